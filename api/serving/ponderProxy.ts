/**
 * Ponder's own routes on the API's port: /health, /ready, /status, /metrics and the raw store at
 * /store/graphql are answered by the Ponder server in the indexing thread (on its internal port,
 * bound to 127.0.0.1); the serving worker forwards them, so users keep one URL for everything.
 * /metrics adds the risk metrics to Ponder's.
 */
import type { Hono } from "hono";

export const PONDER_ROUTES = ["/health", "/ready", "/status", "/metrics", "/store/graphql"] as const;

/** Hop-by-hop and body-framing headers that must not be forwarded as they are. */
const DROP_REQUEST = new Set(["host", "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);
const DROP_RESPONSE = new Set(["connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"]);

function filtered(headers: Headers, drop: Set<string>): Headers {
  const out = new Headers();
  headers.forEach((value, key) => {
    if (!drop.has(key.toLowerCase())) out.set(key, value);
  });
  return out;
}

function unavailable(what: string): Response {
  return new Response(JSON.stringify({ errors: [{ message: what, extensions: { code: "NOT_READY", http: { status: 503 } } }] }), {
    status: 503,
    headers: { "content-type": "application/json; charset=utf-8", "retry-after": "1" },
  });
}

export interface PonderProxyOptions {
  /** Ponder's internal base URL, or null while it has not started listening. */
  target: () => string | null;
  /** Extra Prometheus text appended to Ponder's /metrics. */
  extraMetrics?: () => Promise<string>;
  /** Upstream timeout, default 30 s. */
  timeoutMs?: number;
}

export function mountPonderProxy(app: Hono, options: PonderProxyOptions): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const path of PONDER_ROUTES) {
    app.all(path, async (c) => {
      const base = options.target();
      if (base === null) return unavailable("Ponder's HTTP server is not listening yet; retry in a moment.");
      const incoming = c.req.raw;
      const url = new URL(incoming.url);
      const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
      let upstream: Response;
      try {
        upstream = await fetch(`${base}${url.pathname}${url.search}`, {
          method: incoming.method,
          headers: filtered(incoming.headers, DROP_REQUEST),
          body: hasBody ? incoming.body : undefined,
          // @ts-expect-error undici needs duplex for a streamed request body
          duplex: hasBody ? "half" : undefined,
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return unavailable(`Ponder's HTTP server did not answer ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const headers = filtered(upstream.headers, DROP_RESPONSE);
      if (path === "/metrics" && options.extraMetrics && upstream.ok) {
        const text = (await upstream.text()) + "\n" + (await options.extraMetrics());
        return new Response(text, { status: upstream.status, headers });
      }
      return new Response(upstream.body, { status: upstream.status, headers });
    });
  }
}
