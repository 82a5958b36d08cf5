/**
 * The serving worker: a worker thread of the Ponder process with its own V8 heap cap, its own
 * event loop and (on a 2-core machine) its own core. It holds the risk book and answers every
 * HTTP request on the API's port: /graphql, /metrics/risk, and Ponder's own routes forwarded to
 * the indexing thread (api/serving/ponderProxy.ts). A client that exhausts this heap or blocks
 * this loop stops this thread only; the supervisor (api/serving/supervisor.ts) restarts it while
 * indexing goes on.
 *
 * The store: over Postgres the worker opens its own read-only pool and LISTENs for committed
 * checkpoints itself; over PGlite (which lives in the indexing thread) it sends its SQL over the
 * SQL bridge and receives the commit notifications the supervisor forwards.
 */
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import pg from "pg";
import { pgRunner, type SqlRunner } from "../book/reader.js";
import type { RiskApi } from "../riskApp.js";
import { coalesce, listenPostgres } from "./commitFeed.js";
import { mountPonderProxy } from "./ponderProxy.js";
import { bridgeRunner } from "./sqlBridge.js";
import type { ServingWorkerData, WorkerToSupervisor } from "./protocol.js";
import { redactUrlsInText } from "../../config/redactUrl.js";

if (parentPort === null) throw new Error("api/serving/worker.ts runs as a worker thread (see api/serving/supervisor.ts).");
const port = parentPort;
const data = workerData as ServingWorkerData;
const tell = (message: WorkerToSupervisor) => port.postMessage(message);

let ponderBase: string | null = data.ponderPort === null ? null : `http://127.0.0.1:${data.ponderPort}`;

let runner: SqlRunner;
let pool: pg.Pool | null = null;
if (data.store.kind === "postgres") {
  pool = new pg.Pool({
    connectionString: data.store.connectionString,
    max: 4,
    application_name: `${data.schema}_xmargin_api`,
    options: "-c default_transaction_read_only=on -c statement_timeout=30000",
  });
  pool.on("error", (error) => console.error("[xmargin serving] store connection error:", redactUrlsInText(error.message)));
  runner = pgRunner(pool);
} else {
  runner = bridgeRunner(port, { timeoutMs: data.sqlTimeoutMs });
}

/** The tier log's writer needs a connection that may write (the readers' are read-only). */
let tierLogPool: pg.Pool | null = null;
function tierLogRunner(): SqlRunner {
  if (data.store.kind !== "postgres" || data.tierLog.kind !== "sql" || data.tierLog.mode === "follow") return runner;
  tierLogPool = new pg.Pool({ connectionString: data.store.connectionString, max: 1, application_name: `${data.schema}_xmargin_tier_log`, options: "-c statement_timeout=30000" });
  tierLogPool.on("error", (error) => console.error("[xmargin serving] tier log connection error:", redactUrlsInText(error.message)));
  return pgRunner(tierLogPool);
}

// The port comes up first with Ponder's routes; the risk API (a large module graph) is loaded
// after it and answers NOT_READY until then.
let risk: RiskApi | null = null;
let riskApp: Hono | null = null;
const app = new Hono();
mountPonderProxy(app, { target: () => ponderBase, extraMetrics: async () => servingMetricsText() + (risk === null ? "" : await risk.api.metricsText()) });
app.all("*", (c) => {
  if (riskApp !== null) return riskApp.fetch(c.req.raw, c.env);
  return new Response(JSON.stringify({ errors: [{ message: "The risk API is starting; retry in a moment.", extensions: { code: "NOT_READY", http: { status: 503 } } }] }), {
    status: 503,
    headers: { "content-type": "application/json; charset=utf-8", "retry-after": "1" },
  });
});

const onCommit = coalesce(async () => {
  await risk?.sync();
});
const postgresCommits =
  data.store.kind === "postgres"
    ? listenPostgres({
        connectionString: data.store.connectionString,
        schema: data.schema,
        onCommit,
        onError: (error) => console.warn("[xmargin serving] commit notifications interrupted, reconnecting:", redactUrlsInText(error instanceof Error ? error.message : String(error))),
      })
    : null;

port.on("message", (message: unknown) => {
  const m = message as { type?: string; port?: number };
  if (m.type === "commit") onCommit();
  else if (m.type === "ponderPort" && typeof m.port === "number") ponderBase = `http://127.0.0.1:${m.port}`;
  else if (m.type === "stop") void shutdown();
});

let server: ServerType | null = null;

async function listen(): Promise<void> {
  const attempts = data.strictPort ? 1 : 20;
  for (let i = 0; i < attempts; i++) {
    const wanted = data.port + i;
    const bound = await new Promise<number | Error>((resolve) => {
      const s = serve({ fetch: app.fetch, port: wanted, hostname: data.host }, (info) => resolve(info.port));
      s.once("error", (error) => resolve(error));
      server = s;
    });
    if (typeof bound === "number") {
      tell({ type: "listening", host: data.host, port: bound, requestedPort: data.port });
      return;
    }
    server = null;
    const code = (bound as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE") {
      tell({ type: "listenFailed", host: data.host, port: wanted, message: bound.message });
      return;
    }
  }
  tell({ type: "listenFailed", host: data.host, port: data.port, message: `port ${data.port} is taken${data.strictPort ? "" : ` (and the ${attempts - 1} after it)`}` });
}

async function shutdown(): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await postgresCommits?.close();
  await risk?.close();
  await pool?.end().catch(() => undefined);
  await tierLogPool?.end().catch(() => undefined);
  process.exit(0);
}

/** The serving worker's own heap (not the process's): what XMARGIN_API_HEAP_MB caps. */
function servingMetricsText(): string {
  const heap = getHeapStatistics();
  return [
    "# HELP xmargin_serving_heap_used_bytes V8 heap in use by the serving worker thread.",
    "# TYPE xmargin_serving_heap_used_bytes gauge",
    `xmargin_serving_heap_used_bytes ${heap.used_heap_size}`,
    "# HELP xmargin_serving_heap_limit_bytes V8 heap limit of the serving worker thread.",
    "# TYPE xmargin_serving_heap_limit_bytes gauge",
    `xmargin_serving_heap_limit_bytes ${heap.heap_size_limit}`,
    "",
  ].join("\n");
}

async function loadRiskApi(): Promise<void> {
  const { mountRiskApi } = await import("../riskApp.js");
  const inner = new Hono();
  risk = mountRiskApi(inner, { runner, schema: data.schema, commitsPushed: true, tierLog: data.tierLog, tierLogRunner: tierLogRunner() });
  riskApp = inner;
}

await listen();
await loadRiskApi();
