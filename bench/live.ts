/**
 * Live-indexing benchmark (`npm run bench:live [-- --seconds N] [--rates 1,4,10] [--apps xmargin,baseline]
 * [--dbs pglite,postgres] [--warmup N] [--accounts N] [--crash-every S] [--results-dir DIR]`).
 *
 * `npm start`'s topology per run: three anvil chains (l1 2 s blocks, l2a/l2b 1 s), the reference
 * contracts, the market simulator in live (pipelined) mode, Ponder with the risk API and the
 * reference liquidator — on a fresh PGlite directory or a fresh database of a throwaway Postgres
 * server. The simulator runs at its default rate (a step every 500 ms) and at ×4 and ×10 it
 * (`--step-ms` 125 and 50); beside each, the bare Ponder app (bench/baseline: one insert per event,
 * no API, no liquidator) under the same simulator. After `--warmup` seconds (default 15) it samples
 * every 250 ms for `--seconds` (default 120):
 *
 * - head lag per chain: the chain's head (`eth_blockNumber`) − Ponder's indexed block (`/status`);
 * - Ponder's `ponder_realtime_latency` (a block received → fully processed), p50/p99 from the
 *   histogram's buckets over the window (linear inside a bucket);
 * - events/s indexed (`ponder_indexing_completed_events`) against events/s the simulator emitted;
 * - per event: handler time and store reads (Ponder cache misses, each a database round trip);
 * - the Ponder process's CPU (utime + stime over the window) and the 1-minute load average.
 *
 * Results: bench/results/live.json and bench/results/live.md (machine, versions, load average per run).
 */
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startChains, stopChains, type RunningChain } from "../devnet/chains.js";
import { writeDevnetConfig } from "../devnet/config.js";
import { DEFAULT_CHAINS } from "../devnet/defaults.js";
import { deployDevnet } from "../devnet/deploy.js";
import { startLiquidator, type Liquidator } from "../devnet/liquidator.js";
import { rpcBlockNumber, startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { createSimulator } from "../devnet/simulator.js";
import { createNonceScope } from "../devnet/txSender.js";
import { freePort } from "../test/harness/ports.js";
import { startPostgres, type TestPostgres } from "../test/harness/postgres.js";
import { histogramQuantile, parseMetrics, sumSamples, type MetricSample } from "./metricsText.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BASELINE = path.join(ROOT, "bench/baseline");
const RESULTS = path.join(ROOT, "bench/results");
/** npm start's simulator step (devnet/start.ts `--step-ms` default). */
const DEFAULT_STEP_MS = 500;
const SAMPLE_MS = 250;

type App = "xmargin" | "baseline";
type Db = "pglite" | "postgres";

interface Options {
  seconds: number;
  warmupSeconds: number;
  rates: number[];
  apps: App[];
  dbs: Db[];
  accounts: number;
  crashEverySeconds: number;
  resultsDir: string;
}

function listFlag<T extends string>(raw: string, allowed: readonly T[], flag: string): T[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`--${flag}: '${item}' is not one of ${allowed.join(", ")}; e.g. --${flag} ${allowed.join(",")}`);
  }
  return items as T[];
}

function positive(raw: string, flag: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number ≥ ${min}; got '${raw}'`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string", default: "120" },
      warmup: { type: "string", default: "15" },
      rates: { type: "string", default: "1,4,10" },
      apps: { type: "string", default: "xmargin,baseline" },
      dbs: { type: "string", default: "pglite,postgres" },
      accounts: { type: "string", default: "300" },
      "crash-every": { type: "string", default: "90" },
      "results-dir": { type: "string", default: RESULTS },
    },
    strict: true,
  });
  const rates = values.rates.split(",").map((r) => positive(r, "rates", 0.01));
  for (const r of rates) {
    if (DEFAULT_STEP_MS / r < 50) throw new Error(`--rates: ×${r} would need a step every ${DEFAULT_STEP_MS / r} ms; npm start's floor is 50 ms (×10)`);
  }
  return {
    seconds: positive(values.seconds, "seconds", 5),
    warmupSeconds: positive(values.warmup, "warmup", 0),
    rates,
    apps: listFlag(values.apps, ["xmargin", "baseline"] as const, "apps"),
    dbs: listFlag(values.dbs, ["pglite", "postgres"] as const, "dbs"),
    accounts: positive(values.accounts, "accounts"),
    crashEverySeconds: positive(values["crash-every"], "crash-every", 0),
    resultsDir: path.resolve(values["results-dir"]),
  };
}

// ---- measurements -------------------------------------------------------------------------

/** Nearest-rank percentile of a list (q in [0, 1]); null when empty. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** utime + stime of a process, in clock ticks (100/s on Linux). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

interface LagStats {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

interface RunResult {
  label: string;
  app: App;
  db: Db;
  rate: number;
  stepMs: number;
  seconds: number;
  samples: number;
  headLagBlocks: Record<string, LagStats> & { all: LagStats };
  realtimeLatencyMs: { p50: number | null; p99: number | null; mean: number | null; blocks: number };
  blockArrivalLatencyMs: { p50: number | null; p99: number | null };
  eventsPerSecondIndexed: number;
  eventsPerSecondEmitted: number;
  handlerMsPerEvent: number | null;
  storeReadsPerEvent: number | null;
  ponderCpuPercent: number;
  /** Ponder's CPU time (utime + stime) per event indexed: what an event costs, less sensitive to a busy machine than lag. */
  ponderCpuMsPerEvent: number | null;
  loadAverage1m: { start: number; mean: number; max: number };
  /** Head lag at the end of the window, per chain: growing lag means the indexer does not keep up. */
  finalLagBlocks: Record<string, number>;
}

/** Ponder's /metrics; a busy machine can make one scrape take many seconds, so up to 3 tries of 30 s. */
async function metricsOf(ponder: PonderProcess): Promise<MetricSample[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return parseMetrics(await (await fetch(`${ponder.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text());
    } catch (e) {
      if (attempt >= 3) throw new Error(`${ponder.url}/metrics did not answer in 3 tries of 30 s`, { cause: e });
    }
  }
}

function delta(end: MetricSample[], start: MetricSample[], name: string): number {
  return sumSamples(end, name) - sumSamples(start, name);
}

// ---- one run ------------------------------------------------------------------------------

interface RunSpec {
  app: App;
  db: Db;
  rate: number;
}

async function runOne(spec: RunSpec, opts: Options, postgres: TestPostgres | undefined, log: (m: string) => void): Promise<RunResult> {
  const label = `${spec.app} ${spec.db} ×${spec.rate}`;
  const stepMs = Math.round(DEFAULT_STEP_MS / spec.rate);
  const work = mkdtempSync(path.join(os.tmpdir(), "xmargin-live-"));
  let chains: RunningChain[] = [];
  let ponder: PonderProcess | undefined;
  let liquidator: Liquidator | undefined;
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  try {
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId, blockTimeSeconds: c.blockTimeSeconds })));
    const deployment = await deployDevnet(chains);
    const configPath = path.join(work, "xmargin.config.json");
    const pgliteDir = path.join(work, "pglite");
    mkdirSync(pgliteDir);
    const port = await freePort();
    writeDevnetConfig(deployment, configPath, { pgliteDir, apiPort: port });
    const schema = `live_${Date.now()}`;
    const databaseUrl = spec.db === "postgres" ? await postgres!.createDatabase(schema) : undefined;
    ponder = await startPonder({
      cwd: spec.app === "xmargin" ? ROOT : BASELINE,
      configPath,
      schema,
      port,
      databaseUrl,
      pgliteDir: spec.db === "pglite" ? pgliteDir : undefined,
      startTimeoutMs: 180_000,
      log: (line) => {
        if (/"level":(50|60)/.test(line)) log(`  [ponder] ${line.slice(0, 300)}`);
      },
    });
    const nonceScopes = Object.fromEntries(chains.map((c) => [c.name, createNonceScope()]));
    const sim = createSimulator({ chains, deployment, seed: 1, accounts: opts.accounts, nonceScopes });
    await sim.setup();
    const simRun = sim.run({ intervalMs: stepMs, signal: controller.signal }).catch((e: unknown) => {
      if (!controller.signal.aborted) log(`  simulator stopped: ${e instanceof Error ? e.message : String(e)}`);
    });
    if (opts.crashEverySeconds > 0) {
      const recoverySteps = Math.round(45_000 / stepMs);
      timers.push(setInterval(() => void sim.crash({ asset: "all", pct: 0.25, recoverySteps }).catch(() => undefined), opts.crashEverySeconds * 1000));
    }
    if (spec.app === "xmargin") {
      liquidator = await startLiquidator({ apiUrl: ponder.url, deployment, nonceScopes, log: () => undefined });
    }
    log(`  ${label}: running (a simulator step every ${stepMs} ms); warm-up ${opts.warmupSeconds} s`);
    await delay(opts.warmupSeconds * 1000);

    // the window
    const lags: Record<string, number[]> = Object.fromEntries(chains.map((c) => [c.name, []]));
    const loads: number[] = [];
    const m0 = await metricsOf(ponder);
    const sim0 = sim.stats().events;
    const cpu0 = cpuTicks(ponder.pid);
    const t0 = Date.now();
    const end = t0 + opts.seconds * 1000;
    let lastProgress = t0;
    let samples = 0;
    let finalLag: Record<string, number> = {};
    while (Date.now() < end) {
      const tick = Date.now();
      try {
        const [status, heads] = await Promise.all([ponder.status(), Promise.all(chains.map((c) => rpcBlockNumber(c.rpcUrl)))]);
        const lagNow: Record<string, number> = {};
        chains.forEach((c, i) => {
          const indexed = status[c.name]?.block.number;
          if (indexed === undefined) return;
          const lag = Math.max(0, heads[i]! - indexed);
          lags[c.name]!.push(lag);
          lagNow[c.name] = lag;
        });
        finalLag = lagNow;
        samples++;
      } catch (e) {
        log(`  sample failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      loads.push(os.loadavg()[0]!);
      if (tick - lastProgress >= 10_000) {
        lastProgress = tick;
        log(`  ${label}: ${Math.round((tick - t0) / 1000)}/${opts.seconds} s, lag ${Object.entries(finalLag).map(([k, v]) => `${k} ${v}`).join(" ")}, load ${os.loadavg()[0]!.toFixed(1)}`);
      }
      await delay(Math.max(0, SAMPLE_MS - (Date.now() - tick)));
    }
    const seconds = (Date.now() - t0) / 1000;
    const m1 = await metricsOf(ponder);
    const cpu1 = cpuTicks(ponder.pid);
    const emitted = sim.stats().events - sim0;

    const lagStats = (xs: number[]): LagStats => ({ p50: percentile(xs, 0.5), p99: percentile(xs, 0.99), max: xs.length ? Math.max(...xs) : null });
    const headLagBlocks = { all: lagStats(Object.values(lags).flat()) } as RunResult["headLagBlocks"];
    for (const [name, xs] of Object.entries(lags)) headLagBlocks[name] = lagStats(xs);
    const events = delta(m1, m0, "ponder_indexing_completed_events");
    const handlerMs = delta(m1, m0, "ponder_indexing_function_duration_sum");
    const misses = sumSamples(m1, "ponder_indexing_cache_requests_total", { type: "miss" }) - sumSamples(m0, "ponder_indexing_cache_requests_total", { type: "miss" });
    const latencyBlocks = delta(m1, m0, "ponder_realtime_latency_count");
    const result: RunResult = {
      label,
      ...spec,
      stepMs,
      seconds: Math.round(seconds),
      samples,
      headLagBlocks,
      realtimeLatencyMs: {
        p50: histogramQuantile(m1, m0, "ponder_realtime_latency", 0.5),
        p99: histogramQuantile(m1, m0, "ponder_realtime_latency", 0.99),
        mean: latencyBlocks > 0 ? delta(m1, m0, "ponder_realtime_latency_sum") / latencyBlocks : null,
        blocks: latencyBlocks,
      },
      blockArrivalLatencyMs: {
        p50: histogramQuantile(m1, m0, "ponder_realtime_block_arrival_latency", 0.5),
        p99: histogramQuantile(m1, m0, "ponder_realtime_block_arrival_latency", 0.99),
      },
      eventsPerSecondIndexed: events / seconds,
      eventsPerSecondEmitted: emitted / seconds,
      handlerMsPerEvent: events > 0 ? handlerMs / events : null,
      storeReadsPerEvent: events > 0 ? misses / events : null,
      ponderCpuPercent: ((cpu1 - cpu0) / 100 / seconds) * 100,
      ponderCpuMsPerEvent: events > 0 ? ((cpu1 - cpu0) * 10) / events : null,
      loadAverage1m: { start: loads[0] ?? os.loadavg()[0]!, mean: loads.reduce((s, x) => s + x, 0) / Math.max(1, loads.length), max: Math.max(...loads) },
      finalLagBlocks: finalLag,
    };
    log(
      `  ${label}: head lag p50/p99 ${result.headLagBlocks.all.p50}/${result.headLagBlocks.all.p99} blocks, realtime latency p50/p99 ${fmtMs(result.realtimeLatencyMs.p50)}/${fmtMs(result.realtimeLatencyMs.p99)}, ` +
        `${result.eventsPerSecondIndexed.toFixed(0)} events/s indexed (${result.eventsPerSecondEmitted.toFixed(0)} emitted), ponder CPU ${result.ponderCpuPercent.toFixed(0)}%, load ${result.loadAverage1m.mean.toFixed(1)}`,
    );
    controller.abort();
    await simRun;
    return result;
  } finally {
    controller.abort();
    for (const t of timers) clearInterval(t);
    await liquidator?.stop().catch(() => undefined);
    await ponder?.stop().catch(() => undefined);
    await stopChains(chains);
    rmSync(work, { recursive: true, force: true });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function fmtMs(ms: number | null): string {
  return ms === null ? "–" : `${Math.round(ms)} ms`;
}

// ---- report -------------------------------------------------------------------------------

function versions(): Record<string, string> {
  const read = (p: string) => (JSON.parse(readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")) as { version: string }).version;
  return { node: process.version, ponder: read("ponder"), pglite: read("@electric-sql/pglite"), anvil: read("@foundry-rs/anvil") };
}

function machine(): { cpus: string; cores: number; memGb: number; os: string } {
  return { cpus: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}` };
}

/** The targets (issue 9): at ×4 the default rate, head lag p99 ≤ 1 block; realtime latency p99 ≤ 250 ms (PGlite), ≤ 100 ms (Postgres). */
export function targetVerdict(r: Pick<RunResult, "app" | "db" | "rate" | "headLagBlocks" | "realtimeLatencyMs">): string | null {
  if (r.app !== "xmargin" || r.rate !== 4) return null;
  const latencyTarget = r.db === "pglite" ? 250 : 100;
  const lagOk = r.headLagBlocks.all.p99 !== null && r.headLagBlocks.all.p99 <= 1;
  const latOk = r.realtimeLatencyMs.p99 !== null && r.realtimeLatencyMs.p99 <= latencyTarget;
  return `head lag p99 ≤ 1: ${lagOk ? "met" : "missed"}; latency p99 ≤ ${latencyTarget} ms: ${latOk ? "met" : "missed"}`;
}

function markdown(results: RunResult[], opts: Options, meta: { date: string; machine: ReturnType<typeof machine>; versions: Record<string, string>; command: string }): string {
  const chainNames = DEFAULT_CHAINS.map((c) => c.name);
  const n = (x: number | null) => (x === null ? "–" : String(x));
  const lines = [
    "## Results (generated by bench/live.ts)",
    "",
    `Command: \`${meta.command}\`. Date ${meta.date}. Machine: ${meta.machine.cores} × ${meta.machine.cpus}, ${meta.machine.memGb} GB, ${meta.machine.os}. ` +
      `Versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    "",
    `Each run: ${opts.seconds} s sampled every ${SAMPLE_MS} ms after a ${opts.warmupSeconds} s warm-up, ${opts.accounts} accounts, a crash every ${opts.crashEverySeconds || "–"} s. ` +
      "The machine is shared with other busy processes: the 1-minute load average (mean over the window) is given with every row, and figures taken at a load above the core count are not a clean measurement.",
    "",
    `| app | db | rate | step | head lag p50/p99 (all chains) | ${chainNames.map((c) => `${c} p99`).join(" | ")} | lag at end | realtime latency p50/p99 | mean | events/s indexed / emitted | handler ms/event | store reads/event | ponder CPU | CPU ms/event | load 1m | target (×4) |`,
    `|---|---|---:|---:|---:|${chainNames.map(() => "---:").join("|")}|---|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
  ];
  for (const r of results) {
    lines.push(
      `| ${r.app} | ${r.db} | ×${r.rate} | ${r.stepMs} ms | ${n(r.headLagBlocks.all.p50)} / ${n(r.headLagBlocks.all.p99)} | ${chainNames.map((c) => n(r.headLagBlocks[c]?.p99 ?? null)).join(" | ")} | ${Object.entries(r.finalLagBlocks).map(([k, v]) => `${k} ${v}`).join(", ")} | ` +
        `${fmtMs(r.realtimeLatencyMs.p50)} / ${fmtMs(r.realtimeLatencyMs.p99)} | ${fmtMs(r.realtimeLatencyMs.mean)} | ${r.eventsPerSecondIndexed.toFixed(0)} / ${r.eventsPerSecondEmitted.toFixed(0)} | ` +
        `${r.handlerMsPerEvent === null ? "–" : r.handlerMsPerEvent.toFixed(2)} | ${r.storeReadsPerEvent === null ? "–" : r.storeReadsPerEvent.toFixed(2)} | ${r.ponderCpuPercent.toFixed(0)}% | ${r.ponderCpuMsPerEvent === null ? "–" : r.ponderCpuMsPerEvent.toFixed(1)} | ${r.loadAverage1m.mean.toFixed(1)} (max ${r.loadAverage1m.max.toFixed(1)}) | ${targetVerdict(r) ?? ""} |`,
    );
  }
  lines.push(
    "",
    "Head lag: the chain's head (`eth_blockNumber`) minus Ponder's indexed block (`/status`), sampled; with 1 s blocks and Ponder's 1 s polling interval a lag of 1 is normal between polls. " +
      "Realtime latency: Ponder's `ponder_realtime_latency` histogram (a block received → processed and committed), quantiles interpolated inside its buckets. " +
      "Events emitted: the vault and feed logs the simulator saw mined, including the feeds' `NewRound` logs that no handler indexes, so emitted exceeds indexed even at zero lag. " +
      "Store reads/event: Ponder cache misses per event, each one database round trip inside the block's transaction. Handler ms/event includes those reads.",
  );
  return lines.join("\n");
}

const GENERATED_MARK = "## Results (generated by bench/live.ts)";

/** Keeps the hand-written part of live.md (the profile) and replaces the generated section. */
function writeMarkdown(file: string, generated: string): void {
  let head = "";
  try {
    const old = readFileSync(file, "utf8");
    const at = old.indexOf(GENERATED_MARK);
    head = at >= 0 ? old.slice(0, at) : `${old.trimEnd()}\n\n`;
  } catch {
    head = "# bench:live — live indexing on npm start's topology\n\n";
  }
  writeFileSync(file, `${head}${generated}\n`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
  const specs: RunSpec[] = [];
  for (const db of opts.dbs) for (const rate of opts.rates) for (const app of opts.apps) specs.push({ app, db, rate });
  log(`bench:live: ${specs.length} runs of ${opts.seconds} s (+ ${opts.warmupSeconds} s warm-up and ~30 s setup each)`);
  const postgres = opts.dbs.includes("postgres") ? await startPostgres() : undefined;
  const results: RunResult[] = [];
  try {
    for (const spec of specs) {
      log(`run ${results.length + 1}/${specs.length}: ${spec.app} on ${spec.db}, simulator ×${spec.rate}`);
      results.push(await runOne(spec, opts, postgres, log));
    }
  } finally {
    await postgres?.stop();
  }
  const meta = { date: new Date().toISOString(), machine: machine(), versions: versions(), command: `npm run bench:live -- ${process.argv.slice(2).join(" ")}`.trim() };
  mkdirSync(opts.resultsDir, { recursive: true });
  writeFileSync(path.join(opts.resultsDir, "live.json"), `${JSON.stringify({ ...meta, options: opts, results }, null, 2)}\n`);
  writeMarkdown(path.join(opts.resultsDir, "live.md"), markdown(results, opts, meta));
  log(`written ${path.join(opts.resultsDir, "live.md")} and live.json`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
