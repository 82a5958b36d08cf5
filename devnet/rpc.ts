/** A minimal JSON-RPC client over fetch (keep-alive), with batch requests for bulk traffic. */
import { redactUrl } from "../config/redactUrl.js";
import { RpcError } from "./errors.js";

export interface RpcCall {
  method: string;
  params?: unknown[];
}

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 1;

async function post(url: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (cause) {
    throw new RpcError(`RPC ${redactUrl(url)} is unreachable; is the chain running?`, { rpc: redactUrl(url) }, { cause });
  }
  if (!res.ok) {
    throw new RpcError(`RPC ${redactUrl(url)} answered HTTP ${res.status}; expected 200`, { rpc: redactUrl(url), status: res.status });
  }
  return res.json();
}

/** One JSON-RPC call; throws RpcError with the node's message when it answers an error. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const body = (await post(url, { jsonrpc: "2.0", id: nextId++, method, params })) as RpcResponse;
  if (body.error) {
    throw new RpcError(`${method} failed on ${redactUrl(url)}: ${body.error.message}`, {
      rpc: redactUrl(url),
      method,
      rpcCode: body.error.code,
      data: body.error.data,
    });
  }
  return body.result as T;
}

export type BatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: string };

/** A JSON-RPC batch; results in call order, errors per call (never thrown for a single call). */
export async function rpcBatch<T = unknown>(url: string, calls: RpcCall[]): Promise<BatchResult<T>[]> {
  if (calls.length === 0) return [];
  const first = nextId;
  nextId += calls.length;
  const body = (await post(
    url,
    calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params ?? [] })),
  )) as RpcResponse[] | RpcResponse;
  if (!Array.isArray(body)) {
    throw new RpcError(`batch of ${calls.length} calls failed on ${redactUrl(url)}: ${body.error?.message ?? "not an array"}`, {
      rpc: redactUrl(url),
    });
  }
  const byId = new Map(body.map((r) => [r.id, r]));
  return calls.map((c, i) => {
    const r = byId.get(first + i);
    if (!r) return { ok: false, error: `no answer to ${c.method}` };
    if (r.error) return { ok: false, error: r.error.message };
    return { ok: true, result: r.result as T };
  });
}

/** A batch where every call must succeed (setup traffic); throws the first error. */
export async function rpcBatchStrict<T = unknown>(url: string, calls: RpcCall[], chunk = 500): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < calls.length; i += chunk) {
    const part = calls.slice(i, i + chunk);
    const results = await rpcBatch<T>(url, part);
    results.forEach((r, j) => {
      if (!r.ok) {
        throw new RpcError(`${part[j]!.method} failed on ${redactUrl(url)}: ${r.error}`, { rpc: redactUrl(url), method: part[j]!.method });
      }
      out.push(r.result);
    });
  }
  return out;
}

/**
 * Poll `check` until it returns a value (anything but undefined, null or false) or the deadline
 * passes; a check that throws counts as "not yet", and the last error is named in the timeout.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const last = lastError === undefined ? "" : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new RpcError(`Timed out after ${timeoutMs} ms waiting for ${what}${last}`, { timeoutMs }, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
