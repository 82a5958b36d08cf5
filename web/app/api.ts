/** The page's only I/O: GraphQL over POST and subscriptions over SSE (EventSource), same origin. */
export const GRAPHQL = document.body.dataset.graphql ?? "/graphql";

export class GraphqlError extends Error {}

/** Counts of what this page asked the server for (read by the end-to-end tests and the load bench). */
export const traffic = { queries: 0, subscriptions: 0, pushes: 0 };

export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  traffic.queries++;
  const response = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) throw new GraphqlError(body.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
  if (body.data === undefined) throw new GraphqlError(`HTTP ${response.status} without data`);
  return body.data;
}

/**
 * A GraphQL subscription over SSE (GET with the query in the URL, as `curl -N` in the README).
 * EventSource reconnects by itself when the connection drops; `onNext` gets every `next` event's data.
 */
export function subscribe<T>(query: string, variables: Record<string, unknown>, onNext: (data: T) => void, onError: (message: string) => void): () => void {
  traffic.subscriptions++;
  const url = `${GRAPHQL}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const source = new EventSource(url);
  source.addEventListener("next", (event) => {
    traffic.pushes++;
    const payload = JSON.parse((event as MessageEvent<string>).data) as { data?: T; errors?: { message: string }[] };
    if (payload.errors?.length) onError(payload.errors.map((e) => e.message).join("; "));
    else if (payload.data) onNext(payload.data);
  });
  source.addEventListener("complete", () => source.close());
  return () => source.close();
}
