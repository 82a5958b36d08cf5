/**
 * Preflight: before Ponder starts, ask every configured RPC for its chain id. A wrong URL
 * otherwise shows up as an indexer that never advances, or worse, indexes another chain.
 * A failed request is asked again (a flaky RPC that drops or rate-limits one request in ten must
 * not stop the indexer from starting, when Ponder itself retries every request it sends); a
 * wrong chain id is an answer, and is never retried.
 */
import { createPublicClient, webSocket } from "viem";
import { ConfigError, type ConfigIssue } from "./ConfigError.js";
import { redactUrl } from "./redactUrl.js";
import type { XmarginConfig } from "./types.js";

export interface CheckRpcsOptions {
  /** per request; default 5000 ms */
  timeoutMs?: number;
  /** requests per URL before it counts as failed; default 3 */
  attempts?: number;
  /** wait before the first retry, doubled before each next one; default 250 ms */
  retryDelayMs?: number;
}

export const DEFAULT_PREFLIGHT_TIMEOUT_MS = 5_000;
export const DEFAULT_PREFLIGHT_ATTEMPTS = 3;
export const DEFAULT_PREFLIGHT_RETRY_DELAY_MS = 250;

/** Why a request failed, in words, with no URL in it. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  const codes = chain.map((e) => (e as { code?: unknown }).code).filter((c): c is string => typeof c === "string");
  const names = chain.map((e) => (e as { name?: unknown }).name).filter((n): n is string => typeof n === "string");
  if (codes.includes("ECONNREFUSED")) return "refused the connection";
  if (names.includes("TimeoutError") || names.includes("AbortError") || codes.includes("ETIMEDOUT")) return `did not answer within ${timeoutMs} ms`;
  if (codes.includes("ENOTFOUND") || codes.includes("EAI_AGAIN")) return "has a host name that does not resolve";
  if (codes.includes("ECONNRESET")) return "reset the connection";
  if (codes.length > 0) return `failed (${codes[0]})`;
  return "failed to answer eth_chainId";
}

async function chainIdOverHttp(url: string, timeoutMs: number): Promise<number> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new PreflightAnswerError(`answered HTTP ${response.status}`);
  const body = (await response.json().catch(() => undefined)) as { result?: unknown; error?: { message?: unknown } } | undefined;
  if (typeof body?.result !== "string") {
    const reason = typeof body?.error?.message === "string" ? `: ${body.error.message}` : "";
    throw new PreflightAnswerError(`answered eth_chainId without a result${reason}`);
  }
  return Number(BigInt(body.result));
}

async function chainIdOverWebSocket(url: string, timeoutMs: number): Promise<number> {
  const transport = webSocket(url, { timeout: timeoutMs, retryCount: 0, reconnect: false, keepAlive: false });
  const client = createPublicClient({ transport });
  const timer = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error("timeout"), { name: "TimeoutError" })), timeoutMs);
    t.unref();
  });
  try {
    return await Promise.race([client.getChainId(), timer]);
  } finally {
    await client.transport
      .getRpcClient()
      .then((rpc: { close: () => void }) => rpc.close())
      .catch(() => undefined);
  }
}

class PreflightAnswerError extends Error {
  override name = "PreflightAnswerError";
}

/**
 * Calls eth_chainId on every configured RPC URL in parallel and compares it with the chain's
 * configured chainId. A request that fails (refused, reset, timed out, HTTP error, no result) is
 * sent again up to `attempts` times in all, waiting `retryDelayMs`, then twice that, …; so with
 * the defaults a dead URL costs 3 × 5 s + 0.75 s at most. Throws one `ConfigError` (code
 * RPC_PREFLIGHT) naming each failing chain and its redacted URL with the last failure: refused,
 * timed out, or another chain id. Resolves when all answer correctly.
 * Example: `await checkRpcs(config, { timeoutMs: 2000 })`.
 */
export async function checkRpcs(config: XmarginConfig, options: CheckRpcsOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PREFLIGHT_TIMEOUT_MS;
  const attempts = Math.max(1, options.attempts ?? DEFAULT_PREFLIGHT_ATTEMPTS);
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_PREFLIGHT_RETRY_DELAY_MS;
  const checks = Object.values(config.chains).flatMap((chain) =>
    chain.rpc.map(async (url, i): Promise<ConfigIssue | null> => {
      const path = `chains.${chain.name}.rpc${chain.rpc.length > 1 ? `[${i}]` : ""}`;
      const shown = `'${redactUrl(url)}'`;
      for (let attempt = 1; ; attempt++) {
        try {
          const chainId = url.startsWith("ws") ? await chainIdOverWebSocket(url, timeoutMs) : await chainIdOverHttp(url, timeoutMs);
          if (chainId !== chain.chainId) {
            return { path, message: `${shown} is chain ${chainId}; expected chain ${chain.chainId} (chains.${chain.name}.chainId)` };
          }
          return null;
        } catch (error) {
          if (attempt < attempts) {
            await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
            continue;
          }
          const reason = error instanceof PreflightAnswerError ? error.message : describeFailure(error, timeoutMs);
          const tries = attempts > 1 ? ` (${attempts} attempts)` : "";
          return { path, message: `${shown} ${reason}${tries}; expected a reachable RPC of chain ${chain.chainId}` };
        }
      }
    }),
  );
  const issues = (await Promise.all(checks)).filter((issue): issue is ConfigIssue => issue !== null);
  if (issues.length > 0) throw new ConfigError("RPC preflight failed", issues, { code: "RPC_PREFLIGHT" });
}
