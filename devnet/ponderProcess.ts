/**
 * Spawn and control a `ponder start` process: used by `npm start`, the tests and the benchmarks.
 *
 * Why not just `spawn("npx ponder")`: Ponder silently moves to the next port when its port is
 * taken, `/ready` does not mean "caught up", and a killed wrapper leaves the real process running.
 * So: the real ponder binary in its own process group (killed as a group), JSON logs parsed for
 * the port actually bound, and `waitCaughtUp` that compares `/status` with each chain's
 * `eth_blockNumber` read directly from the RPC.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { redactUrl, redactUrlsInText } from "../config/redactUrl.js";
import { freePort } from "./ports.js";
import { XmarginError } from "../errors.js";
import { registerChild, unregisterChild } from "./reaper.js";

export class PonderProcessError extends XmarginError {
  override name = "PonderProcessError";
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("PONDER_PROCESS", message, { details, cause });
  }
}

/**
 * The V8 old-space cap xmargin runs Ponder with, MB. Ponder sizes its row cache at a fifth of the
 * heap limit, and without a cap Node allows ~4 GB on a 24 GB machine: a 100k-event backfill then
 * peaks above 1 GB RSS (bench/results/ingest.md). 1024 MB also leaves room for the risk book in the
 * same process (~260 MB at 100k accounts, bench/results/risk.md); raise it for larger books.
 */
export const DEFAULT_PONDER_HEAP_MB = 1024;

/**
 * `XMARGIN_PONDER_HEAP_MB`: unset → {@link DEFAULT_PONDER_HEAP_MB}; `0` → Node's own default; else
 * whole MB ≥ 256. A NODE_OPTIONS that already sets --max-old-space-size wins.
 */
export function ponderHeapMb(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_PONDER_HEAP_MB;
  const n = Number(raw);
  if (!Number.isInteger(n) || (n !== 0 && n < 256)) {
    throw new PonderProcessError(`XMARGIN_PONDER_HEAP_MB is '${raw}'; expected 0 (Node's default) or a whole number of MB ≥ 256 (default ${DEFAULT_PONDER_HEAP_MB}).`, { value: raw });
  }
  return n;
}

export interface StartPonderOptions {
  /** Project root: the directory holding ponder.config.ts, ponder.schema.ts and src/. */
  cwd: string;
  /** Path of the xmargin JSON config (env XMARGIN_CONFIG). Optional for apps that don't read it. */
  configPath?: string;
  /** Database schema name (`--schema`), required by `ponder start` also with PGlite. */
  schema: string;
  /**
   * The public port. With the risk API (a project that has api/serving/, see `serving`) the
   * serving worker listens here and Ponder itself on a free internal port; otherwise Ponder
   * listens here. Either moves to the next free port when taken; see `strictPort`.
   */
  port: number;
  /**
   * Whether the app runs xmargin's serving worker (api/serving/): its "risk API listening" line
   * gives the public port. Default: when `cwd` holds api/serving/workerEntry.mjs.
   */
  serving?: boolean;
  /** Postgres connection string (env DATABASE_URL). Without it PGlite is used. */
  databaseUrl?: string;
  /** PGlite directory (env XMARGIN_PGLITE_DIR). Use a fresh one per run: Ponder's RPC cache is keyed by chain id. */
  pgliteDir?: string;
  /** Extra environment variables (undefined removes one). */
  env?: Record<string, string | undefined>;
  /** Receives every log line (JSON lines as Ponder prints them with --log-format json). */
  log?: (line: string) => void;
  /**
   * Redact URLs (config/redactUrl.ts: user info, key-looking path segments, query values) in the
   * lines given to `log` and kept for errors.
   * Default true; tests of the config layer's own redaction turn it off to see Ponder's raw output.
   */
  redactLogs?: boolean;
  /** Ponder config file relative to cwd (`--config`), default ponder.config.ts. */
  ponderConfig?: string;
  /** Hostname to bind, default 127.0.0.1. */
  hostname?: string;
  /** Ponder log level (`--log-level`), default "info". */
  logLevel?: "error" | "warn" | "info" | "debug" | "trace";
  /** Fail instead of accepting another port when `port` is taken. Default false. */
  strictPort?: boolean;
  /** How long to wait for /health, default 90 s (PGlite startup is ~8 s on an idle 2-core box). */
  startTimeoutMs?: number;
  /** Lines of log kept for error messages, default 200. */
  tailLines?: number;
}

export interface CaughtUpChain {
  /** Chain name as in the Ponder config (the key /status uses). */
  name?: string;
  chainId?: number;
  rpcUrl: string;
}

export interface PonderProcess {
  readonly pid: number;
  /** The port Ponder actually bound. */
  readonly port: number;
  /** http://hostname:port */
  readonly url: string;
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last log lines, for error messages. */
  logTail(): string;
  /** SIGTERM to the process group, SIGKILL after `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL to the process group, resolves when the process is gone. */
  kill9(): Promise<void>;
  /** /ready answers 200 and /status has reached each chain's head (eth_blockNumber). */
  waitCaughtUp(chains: CaughtUpChain[], timeoutMs: number): Promise<void>;
  /** /status as Ponder reports it: chain name → { id, block: { number, timestamp } }. */
  status(): Promise<PonderStatus>;
}

export type PonderStatus = Record<string, { id: number; block: { number: number; timestamp: number } }>;

/** Every process group this module started and has not seen exit: killed on process exit. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of liveGroups) killGroup(pid, "SIGKILL");
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Locate the real ponder CLI (not the npx wrapper) so the PID we hold is Ponder's. */
function ponderBin(cwd: string): string {
  const candidates = [
    path.join(cwd, "node_modules/ponder/dist/esm/bin/ponder.js"),
    path.resolve(path.dirname(new URL(import.meta.url).pathname), "../node_modules/ponder/dist/esm/bin/ponder.js"),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new PonderProcessError(`The ponder CLI was not found (looked in ${candidates.join(", ")}). Run \`npm ci\` in the project root.`, {
      candidates,
    });
  }
  return found;
}

/**
 * Start `ponder start --schema <schema> --port <port>` and resolve once /health answers.
 * The returned handle reads the port Ponder actually bound from its "Created HTTP server" log.
 */
export async function startPonder(options: StartPonderOptions): Promise<PonderProcess> {
  installExitHook();
  const hostname = options.hostname ?? "127.0.0.1";
  const tailLines = options.tailLines ?? 200;
  const tail: string[] = [];
  const serving = options.serving ?? existsSync(path.join(options.cwd, "api/serving/workerEntry.mjs"));
  const ponderPort = serving ? await freePort() : options.port;
  const args = [
    ponderBin(options.cwd),
    "--log-format",
    "json",
    "--log-level",
    options.logLevel ?? "info",
    ...(options.ponderConfig ? ["--config", options.ponderConfig] : []),
    "start",
    "--schema",
    options.schema,
    "--port",
    String(ponderPort),
    "--hostname",
    hostname,
  ];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.DATABASE_URL;
  delete env.DATABASE_PRIVATE_URL;
  if (options.configPath) env.XMARGIN_CONFIG = options.configPath;
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  if (options.pgliteDir) env.XMARGIN_PGLITE_DIR = options.pgliteDir;
  env.PONDER_TELEMETRY_DISABLED = "true";
  // vitest sets NODE_ENV=test; Ponder is meant to run as it would in production.
  if (env.NODE_ENV === "test") delete env.NODE_ENV;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  if (serving) {
    env.XMARGIN_API_PORT = String(options.port);
    env.XMARGIN_API_HOST = hostname;
    env.XMARGIN_API_STRICT_PORT = options.strictPort ? "true" : "false";
  }
  const heapMb = ponderHeapMb(env.XMARGIN_PONDER_HEAP_MB);
  if (heapMb > 0 && !/--max-old-space-size/.test(env.NODE_OPTIONS ?? "")) {
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--max-old-space-size=${heapMb}`].filter(Boolean).join(" ");
  }

  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new PonderProcessError("Failed to spawn ponder: no pid.", { args });
  const pid = child.pid;
  liveGroups.add(pid);
  registerChild({ pid, group: true, label: "ponder" });

  let boundPort: number | undefined;
  let portMoved = false;
  let listenFailure: string | undefined;
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedFlag = true;
      liveGroups.delete(pid);
      // Worker threads die with the process; anything else left in the group goes too.
      killGroup(pid, "SIGKILL");
      unregisterChild(pid);
      resolve({ code, signal });
    });
  });

  const redact = options.redactLogs ?? true;
  const onLine = (raw: string) => {
    if (!raw) return;
    const line = redact ? redactUrlsInText(raw) : raw;
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
    if (serving) {
      const listening = /\[xmargin\] risk API listening on http:\/\/\S+:(\d+)/.exec(line);
      if (listening) {
        boundPort = Number(listening[1]);
        if (boundPort !== options.port) portMoved = true;
      }
      if (line.includes("[xmargin] risk API could not listen")) listenFailure = line;
    } else if (line.startsWith("{")) {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "Created HTTP server" && typeof entry.port === "number") boundPort = entry.port;
        if (entry.msg === "Port in use") portMoved = true;
      } catch {
        /* not JSON: keep as text */
      }
    }
    options.log?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream?.on("end", () => {
      if (buf) onLine(buf);
      buf = "";
    });
  }

  const logTail = () => redactUrlsInText(tail.join("\n")); // always: error messages travel further than logs

  const signalAndWait = async (signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> => {
    if (exitedFlag) return true;
    killGroup(pid, signal);
    return await Promise.race([exited.then(() => true), delay(timeoutMs).then(() => false)]);
  };
  const stop = async (timeoutMs = 10_000) => {
    if (await signalAndWait("SIGTERM", timeoutMs)) return;
    await signalAndWait("SIGKILL", 10_000);
  };
  const kill9 = async () => {
    await signalAndWait("SIGKILL", 10_000);
  };

  // Wait for the HTTP server: the port comes from the log, then /health must answer.
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  try {
    while (true) {
      if (exitedFlag) {
        const { code, signal } = await exited;
        throw new PonderProcessError(
          `ponder exited before serving /health (code ${code}, signal ${signal}). Last log lines:\n${logTail()}`,
          { code, signal },
        );
      }
      if (listenFailure !== undefined) {
        throw new PonderProcessError(`the risk API could not listen on port ${options.port}: ${listenFailure}`, { requested: options.port });
      }
      if (options.strictPort && portMoved) {
        throw new PonderProcessError(
          `ponder found port ${options.port} taken and moved on instead of ${options.port}. Choose a free port below 32768.`,
          { requested: options.port },
        );
      }
      if (boundPort !== undefined) {
        if (boundPort !== options.port && options.strictPort) {
          throw new PonderProcessError(
            `ponder bound port ${boundPort} instead of ${options.port} (taken). Choose a free port below 32768.`,
            { requested: options.port, bound: boundPort },
          );
        }
        const ok = await fetchOk(`http://${hostname}:${boundPort}/health`);
        if (ok) break;
      }
      if (Date.now() > deadline) {
        throw new PonderProcessError(
          `ponder did not serve /health within ${options.startTimeoutMs ?? 90_000} ms` +
            (portMoved ? ` (port ${options.port} was taken, it moved on)` : "") +
            `. Last log lines:\n${logTail()}`,
          { requested: options.port, bound: boundPort },
        );
      }
      await delay(100);
    }
  } catch (error) {
    await stop(5_000);
    throw error;
  }

  const port = boundPort as number;
  const url = `http://${hostname}:${port}`;

  const status = async (): Promise<PonderStatus> => {
    const res = await fetch(`${url}/status`);
    if (!res.ok) throw new PonderProcessError(`GET /status answered ${res.status}.`, { status: res.status });
    return (await res.json()) as PonderStatus;
  };

  const waitCaughtUp = async (chains: CaughtUpChain[], timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    let last = "";
    while (true) {
      if (exitedFlag) {
        throw new PonderProcessError(`ponder exited while waiting to catch up. Last log lines:\n${logTail()}`);
      }
      try {
        const ready = await fetchOk(`${url}/ready`);
        if (ready) {
          const st = await status();
          const behind: string[] = [];
          for (const chain of chains) {
            const head = await rpcBlockNumber(chain.rpcUrl);
            const entry = Object.entries(st).find(
              ([name, s]) => (chain.name !== undefined && name === chain.name) || (chain.chainId !== undefined && s.id === chain.chainId),
            );
            const at = entry ? entry[1].block.number : -1;
            if (at < head) behind.push(`${chain.name ?? chain.chainId}: ${at} < ${head}`);
          }
          if (behind.length === 0) return;
          last = `behind: ${behind.join(", ")}`;
        } else {
          last = "/ready not 200 (backfill running)";
        }
      } catch (error) {
        last = `error: ${redactUrlsInText(String(error))}`;
      }
      if (Date.now() > until) {
        throw new PonderProcessError(`ponder did not catch up within ${timeoutMs} ms (${last}). Last log lines:\n${logTail()}`, {
          last,
        });
      }
      await delay(100);
    }
  };

  return {
    pid,
    port,
    url,
    exited,
    hasExited: () => exitedFlag,
    logTail,
    stop,
    kill9,
    waitCaughtUp,
    status,
  };
}

/**
 * eth_blockNumber straight from the RPC: viem's getBlockNumber caches for 4 s. User info in the URL
 * (`https://user:pass@host`) is sent as basic auth (fetch refuses URLs with credentials). Errors
 * name the URL redacted and carry no unredacted cause.
 */
export async function rpcBlockNumber(rpcUrl: string): Promise<number> {
  const { url, headers } = withBasicAuth(rpcUrl);
  let res: Response;
  let body: { result?: string; error?: { message: string } };
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
    });
    body = (await res.json()) as typeof body;
  } catch (error) {
    const reason = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error);
    throw new PonderProcessError(`eth_blockNumber failed on ${redactUrl(rpcUrl)}: ${redactUrlsInText(reason)}; expected a JSON-RPC endpoint answering POST.`, {
      rpcUrl: redactUrl(rpcUrl),
    });
  }
  if (!body.result) {
    throw new PonderProcessError(`eth_blockNumber failed on ${redactUrl(rpcUrl)}: ${redactUrlsInText(String(body.error?.message ?? res.status))}`, {
      rpcUrl: redactUrl(rpcUrl),
    });
  }
  return Number(BigInt(body.result));
}

/** `scheme://user:pass@host/…` → the URL without user info and an Authorization header for it. */
function withBasicAuth(rpcUrl: string): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(rpcUrl);
  } catch {
    return { url: rpcUrl, headers: {} };
  }
  if (!parsed.username && !parsed.password) return { url: rpcUrl, headers: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` } };
}

async function fetchOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kill every ponder process group this module started (for afterAll / signal handlers). */
export function killAllPonders(): void {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
}
