/**
 * A fault-injecting JSON-RPC proxy: a real HTTP server on 127.0.0.1 in front of one RPC (an anvil
 * chain), forwarding every POST body unchanged, with switchable faults drawn per request from a
 * seeded PRNG:
 * - drop: close the socket without an answer, or answer HTTP 503;
 * - error: answer a JSON-RPC error (-32000 "header not found", -32603 internal) or HTTP 429;
 * - malformed: answer 200 with a body that is not JSON (truncated or garbage);
 * - stall: hold every request (not forwarded) until `release()` or the time given to `stallFor`.
 * A client that gives up on a held request (Ponder times out after 10 s) is seen as a closed
 * socket, and its request is never forwarded. Counters per fault and per method say what happened.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { rng } from "../../risk/testing.js";

export type DropMode = "close" | "503";
export type ErrorKind = "-32000" | "-32603" | "429";
export type MalformedKind = "truncated" | "garbage";

export interface FaultSettings {
  /** Fraction of requests dropped, 0–1 (default 0). */
  dropRate: number;
  /** How a drop looks; one is drawn per dropped request (default both). */
  dropModes: DropMode[];
  /** Fraction of requests answered with an error, 0–1 (default 0). */
  errorRate: number;
  /** Which errors; one is drawn per errored request (default all three). */
  errorKinds: ErrorKind[];
  /** Fraction of requests answered with a body that is not JSON, 0–1 (default 0). */
  malformedRate: number;
  malformedKinds: MalformedKind[];
  /** Only these JSON-RPC methods are faulted (default: every method). */
  methods: string[] | null;
}

export interface FaultStats {
  requests: number;
  forwarded: number;
  dropped: Record<DropMode, number>;
  errors: Record<ErrorKind, number>;
  malformed: Record<MalformedKind, number>;
  /** Requests held by a stall (released or abandoned). */
  stalled: number;
  /** Held requests whose client closed the socket before the release. */
  abandoned: number;
  /** Faults (any kind) per JSON-RPC method. */
  faultedByMethod: Record<string, number>;
  /** Requests per JSON-RPC method (a batch counts each of its calls). */
  byMethod: Record<string, number>;
}

export interface FaultProxy {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  /** Change some faults (the others keep their values). */
  set(faults: Partial<FaultSettings>): void;
  /** No faults, no stall (held requests are released). */
  clear(): void;
  /** Hold every request from now on until `release()`. */
  stall(): void;
  /** Hold every request for `ms`, then release; resolves at the release. */
  stallFor(ms: number): Promise<void>;
  /** Forward the held requests and stop holding. */
  release(): void;
  readonly stalling: boolean;
  stats(): FaultStats;
  resetStats(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The RPC to forward to. */
  target: string;
  /** Port to listen on; suites pass freePort() (test/harness/ports.ts). Default: one the OS picks. */
  port?: number;
  /** PRNG seed for the fault draws (default 1). */
  seed?: number;
  faults?: Partial<FaultSettings>;
}

const DEFAULTS: FaultSettings = {
  dropRate: 0,
  dropModes: ["close", "503"],
  errorRate: 0,
  errorKinds: ["-32000", "-32603", "429"],
  malformedRate: 0,
  malformedKinds: ["truncated", "garbage"],
  methods: null,
};

function emptyStats(): FaultStats {
  return {
    requests: 0,
    forwarded: 0,
    dropped: { close: 0, "503": 0 },
    errors: { "-32000": 0, "-32603": 0, "429": 0 },
    malformed: { truncated: 0, garbage: 0 },
    stalled: 0,
    abandoned: 0,
    faultedByMethod: {},
    byMethod: {},
  };
}

type Call = { id?: unknown; method?: unknown };

function callsOf(body: string): Call[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]).filter((c): c is Call => typeof c === "object" && c !== null);
  } catch {
    return [];
  }
}

function rpcError(calls: Call[], batch: boolean, code: number, message: string): string {
  const answers = calls.map((c) => ({ jsonrpc: "2.0", id: c.id ?? null, error: { code, message } }));
  return JSON.stringify(batch ? answers : (answers[0] ?? { jsonrpc: "2.0", id: null, error: { code, message } }));
}

/** Start a proxy in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = rng(options.seed ?? 1);
  let faults: FaultSettings = { ...DEFAULTS, ...options.faults };
  let stats = emptyStats();
  let holding = false;
  let held: (() => void)[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;

  async function forward(body: string, res: http.ServerResponse): Promise<void> {
    stats.forwarded++;
    try {
      const upstream = await fetch(options.target, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await upstream.text();
      if (res.destroyed) return;
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      res.end(text);
    } catch (error) {
      if (res.destroyed) return;
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`fault proxy: upstream ${options.target} failed: ${String(error)}`);
    }
  }

  function handle(body: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    stats.requests++;
    const calls = callsOf(body);
    const batch = body.trimStart().startsWith("[");
    const methods = calls.map((c) => String(c.method));
    for (const m of methods) stats.byMethod[m] = (stats.byMethod[m] ?? 0) + 1;
    const faultable = faults.methods === null || methods.some((m) => faults.methods!.includes(m));
    const faulted = () => {
      for (const m of methods) stats.faultedByMethod[m] = (stats.faultedByMethod[m] ?? 0) + 1;
    };

    if (holding) {
      stats.stalled++;
      faulted();
      let abandoned = false;
      res.once("close", () => {
        if (!res.writableFinished) abandoned = true;
      });
      held.push(() => {
        if (abandoned || res.destroyed) {
          stats.abandoned++;
          return;
        }
        void forward(body, res);
      });
      return;
    }

    if (faultable) {
      // One draw per request decides its fate; rates are cumulative slices of [0, 1).
      const r = random();
      if (r < faults.dropRate) {
        const mode = pick(faults.dropModes);
        stats.dropped[mode]++;
        faulted();
        if (mode === "close") req.socket.destroy();
        else {
          res.writeHead(503, { "content-type": "text/plain" });
          res.end("fault proxy: service unavailable");
        }
        return;
      }
      if (r < faults.dropRate + faults.errorRate) {
        const kind = pick(faults.errorKinds);
        stats.errors[kind]++;
        faulted();
        if (kind === "429") {
          res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
          res.end(rpcError(calls, batch, 429, "Too Many Requests (fault proxy)"));
        } else {
          const code = Number(kind);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(rpcError(calls, batch, code, code === -32000 ? "header not found (fault proxy)" : "internal error (fault proxy)"));
        }
        return;
      }
      if (r < faults.dropRate + faults.errorRate + faults.malformedRate) {
        const kind = pick(faults.malformedKinds);
        stats.malformed[kind]++;
        faulted();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(kind === "truncated" ? `{"jsonrpc":"2.0","id":${JSON.stringify(calls[0]?.id ?? 1)},"result":"0x` : "<html>502 Bad Gateway</html>");
        return;
      }
    }
    void forward(body, res);
  }

  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { "content-type": "text/plain" });
      res.end("fault proxy: JSON-RPC over POST only");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(Buffer.concat(chunks).toString("utf8"), req, res));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port ?? 0, host: "127.0.0.1" }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const release = () => {
    holding = false;
    const waiting = held;
    held = [];
    for (const go of waiting) go();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    set(next) {
      faults = { ...faults, ...next };
    },
    clear() {
      faults = { ...DEFAULTS };
      release();
    },
    stall() {
      holding = true;
    },
    async stallFor(ms) {
      holding = true;
      await new Promise((r) => setTimeout(r, ms));
      release();
    },
    release,
    get stalling() {
      return holding;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    async close() {
      holding = false;
      held = [];
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
