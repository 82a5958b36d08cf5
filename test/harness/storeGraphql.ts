/**
 * Query the live store through Ponder's built-in GraphQL at /store/graphql (api/app.ts), and poll
 * a condition on the answer with a deadline: the "wait until indexed" every suite needs, no sleeps.
 */
export async function storeGraphql<T = any>(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${baseUrl}/store/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`/store/graphql: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!res.ok || !body.data) throw new Error(`/store/graphql answered HTTP ${res.status} without data`);
  return body.data;
}

/** One query to the risk API at /graphql; GraphQL errors are thrown with the HTTP status. */
export async function apiGraphql<T = any>(baseUrl: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors (${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Poll `query` until `check(data)` returns something other than undefined; throws after `timeoutMs`. */
export async function pollGraphql<T, R>(
  baseUrl: string,
  query: string,
  check: (data: T) => R | undefined,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const data = await storeGraphql<T>(baseUrl, query);
      last = data;
      const out = check(data);
      if (out !== undefined) return out;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Condition on ${query.slice(0, 120)} not met within ${timeoutMs} ms; last answer: ${JSON.stringify(last, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Poll any async condition until it returns a value: the one in devnet/rpc.ts. */
export { pollUntil } from "../../devnet/rpc.js";
