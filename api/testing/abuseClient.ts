/** The client side of the abuse suites (api/abuse.test.ts in process, test/abuse.e2e.test.ts on the full stack). */
import type { AbuseRequest } from "./abuseCases.js";

/** Sends one request to `base`; the body parsed as JSON when it is JSON, else the text. */
export async function sendAbuse(base: string, r: AbuseRequest): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function inBatches<T, U>(items: T[], concurrency: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
