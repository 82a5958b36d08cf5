/**
 * The supervisor, in the indexing thread: starts the serving worker (api/serving/worker.ts) with
 * its own heap cap, answers its SQL when the store is PGlite, forwards committed checkpoints to
 * it, and restarts it when it stops (out of memory, a crash), with a delay that doubles up to
 * 30 s and resets after a minute of health. Indexing never waits on it: everything here is a
 * message handler or a timer.
 */
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { SqlRunner } from "../book/reader.js";
import { redactUrlsInText } from "../../config/redactUrl.js";
import { listenPglite, type PgliteLike } from "./commitFeed.js";
import type { ServingSettings } from "./settings.js";
import type { ServingWorkerData, StoreAccess, TierLogAccess, SupervisorToWorker, WorkerToSupervisor } from "./protocol.js";
import { answerSql } from "./sqlBridge.js";

export interface SuperviseOptions {
  settings: ServingSettings;
  schema: string;
  store: StoreAccess;
  /** Where the book keeps tier changes across restarts; default none (memory only). */
  tierLog?: TierLogAccess;
  /** PGlite only: runs the worker's SQL on Ponder's read-only handle. */
  runner?: SqlRunner;
  /** PGlite only: Ponder's instance, for commit notifications. */
  pglite?: PgliteLike;
  /** Ponder's HTTP port once it listens (polled until known). */
  ponderPort: () => number | undefined;
  log?: (line: string) => void;
  /** Worker entry (default: ./workerEntry.mjs beside this file). */
  entry?: URL;
}

export interface Supervisor {
  /** Resolves with the URL once the worker first listens (or rejects when it cannot). */
  readonly listening: Promise<string>;
  /** The number of times the worker was (re)started. */
  starts(): number;
  stop(): Promise<void>;
}

const MAX_RESTART_MS = 30_000;
const HEALTHY_MS = 60_000;

export function superviseServing(options: SuperviseOptions): Supervisor {
  const log = options.log ?? ((line: string) => console.info(line));
  const { settings } = options;
  const entry = options.entry ?? new URL("./workerEntry.mjs", import.meta.url);
  let worker: Worker | null = null;
  let stopped = false;
  let count = 0;
  let delayMs = settings.restartMs;
  let restartTimer: NodeJS.Timeout | null = null;
  let ponderPort: number | null = null;
  let stopSql: (() => void) | null = null;
  let resolveListening!: (url: string) => void;
  let rejectListening!: (e: Error) => void;
  let settled = false;
  const listening = new Promise<string>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  listening.catch(() => undefined);

  const send = (message: SupervisorToWorker) => worker?.postMessage(message);

  // Ponder's port is known only after its server listens, which is after this module loads.
  const portTimer = setInterval(() => {
    const p = options.ponderPort();
    if (p !== undefined && p > 0) {
      ponderPort = p;
      send({ type: "ponderPort", port: p });
      clearInterval(portTimer);
    }
  }, 50);
  portTimer.unref();

  let unlisten: Promise<() => Promise<void>> | null = null;
  if (options.pglite) {
    unlisten = listenPglite(options.pglite, options.schema, () => send({ type: "commit" }));
    unlisten.catch((error) => log(`[xmargin serving] could not LISTEN for commits (the book falls back to polling): ${String(error)}`));
  }

  function start(): void {
    if (stopped) return;
    count++;
    const startedAt = Date.now();
    const data: ServingWorkerData = {
      schema: options.schema,
      store: options.store,
      tierLog: options.tierLog ?? { kind: "none" },
      host: settings.host,
      port: settings.port,
      strictPort: settings.strictPort,
      ponderPort,
      sqlTimeoutMs: 10_000,
    };
    // V8 lets --max-old-space-size (Ponder runs with it in NODE_OPTIONS) override a worker's
    // resourceLimits. The flag is read when an isolate is created: setting it now caps the
    // worker's heap and leaves this thread's, configured at start, as it is.
    setFlagsFromString(`--max-old-space-size=${settings.heapMb}`);
    const w = new Worker(entry, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: settings.heapMb },
      name: "xmargin-serving",
    });
    worker = w;
    stopSql = options.runner ? answerSql(w, options.runner) : null;
    let listenFailed = false;
    w.on("message", (message: WorkerToSupervisor) => {
      if (message?.type === "listening") {
        const url = `http://${message.host.includes(":") ? `[${message.host}]` : message.host}:${message.port}`;
        log(`[xmargin] risk API listening on ${url} (serving worker, heap cap ${settings.heapMb} MB${count > 1 ? `, start ${count}` : ""})`);
        if (message.port !== message.requestedPort) log(`[xmargin] port ${message.requestedPort} was taken: the API is on ${message.port}`);
        if (!settled) {
          settled = true;
          resolveListening(url);
        }
      } else if (message?.type === "listenFailed") {
        listenFailed = true;
        log(`[xmargin] risk API could not listen on ${message.host}:${message.port}: ${message.message}. Set XMARGIN_API_PORT to a free port (or XMARGIN_API_HOST); indexing goes on without the API.`);
        if (!settled) {
          settled = true;
          rejectListening(new Error(`risk API could not listen on ${message.host}:${message.port}: ${message.message}`));
        }
        void w.terminate();
      }
    });
    w.on("error", (error) => {
      const oom = (error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
      log(`[xmargin] serving worker stopped: ${oom ? `out of memory (heap cap ${settings.heapMb} MB, XMARGIN_API_HEAP_MB)` : redactUrlsInText(error.stack ?? error.message)}`);
    });
    w.on("exit", (code) => {
      stopSql?.();
      stopSql = null;
      if (worker === w) worker = null;
      if (stopped || listenFailed) return;
      if (Date.now() - startedAt > HEALTHY_MS) delayMs = settings.restartMs;
      log(`[xmargin] serving worker exited (code ${code}); restarting in ${delayMs} ms. Indexing goes on.`);
      restartTimer = setTimeout(start, delayMs);
      restartTimer.unref();
      delayMs = Math.min(delayMs * 2, MAX_RESTART_MS);
    });
  }
  start();

  return {
    listening,
    starts: () => count,
    async stop() {
      stopped = true;
      clearInterval(portTimer);
      if (restartTimer !== null) clearTimeout(restartTimer);
      const w = worker;
      if (w !== null) {
        const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
        w.postMessage({ type: "stop" } satisfies SupervisorToWorker);
        const timer = setTimeout(() => void w.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }
      const off = await unlisten?.catch(() => null);
      await off?.();
    },
  };
}
