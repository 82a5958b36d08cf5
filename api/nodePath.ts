/**
 * The Node path for plain GraphQL queries. Under Node's HTTP server (Ponder serves its Hono app
 * with @hono/node-server), `c.req.raw` builds a WHATWG `Request` (an AbortSignal, a web stream
 * over the socket) and Hono writes the WHATWG `Response` back through a stream reader. For a
 * small query that conversion costs more than executing it. Here yoga reads the Node request and
 * writes the Node response itself (`handleNodeRequestAndResponse` + `sendNodeResponse`), and Hono
 * is told the response is already sent.
 *
 * Only POST queries with a declared body length within the body limit take it; subscriptions
 * (`Accept: text/event-stream`), GET (GraphiQL, persisted GET queries), chunked bodies and
 * oversized bodies stay on the WHATWG path, which enforces the body limit while it reads.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import { sendNodeResponse } from "@whatwg-node/server";

export interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** The Node request/response @hono/node-server puts in `c.env`, or null under any other server. */
export function nodeBindingsOf(env: unknown): NodeBindings | null {
  if (typeof env !== "object" || env === null) return null;
  const { incoming, outgoing } = env as Partial<NodeBindings>;
  return incoming instanceof IncomingMessage && outgoing instanceof ServerResponse ? { incoming, outgoing } : null;
}

/** A declared Content-Length as a byte count, or null when absent or not a whole number ≥ 0. */
export function declaredBodyLength(header: string | null | undefined): number | null {
  if (header === undefined || header === null) return null;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** Whether a request can be answered on the Node path (see the module comment). */
export function takesNodePath(incoming: IncomingMessage, maxBodyBytes: number): boolean {
  if (incoming.method !== "POST") return false;
  const headers = incoming.headers;
  if (headers["transfer-encoding"] !== undefined) return false;
  const length = declaredBodyLength(headers["content-length"]);
  if (length === null || length > maxBodyBytes) return false;
  const accept = headers.accept;
  return accept === undefined || !accept.includes("text/event-stream");
}

/** Hono's marker for "the handler wrote the response itself"; its status feeds Ponder's HTTP metrics. */
export function alreadySent(status: number): Response {
  return new Response(null, { status, headers: { "x-hono-already-sent": "true" } });
}

interface NodeCapableYoga {
  handleNodeRequestAndResponse(incoming: IncomingMessage, outgoing: ServerResponse, context: Record<string, unknown>): Response | Promise<Response>;
}

/** Answers the request on the Node response; returns what Hono should see. */
export async function answerOnNode(yoga: NodeCapableYoga, { incoming, outgoing }: NodeBindings): Promise<Response> {
  const response = await yoga.handleNodeRequestAndResponse(incoming, outgoing, { remoteAddress: incoming.socket.remoteAddress });
  await sendNodeResponse(response as never, outgoing, incoming, true);
  return alreadySent(response.status);
}
