/**
 * bench:curve — the liquidation curve (risk/liquidationCurve.ts) on a generated 100k-account book
 * (bench/generate.ts: collateral on 3 chains, 2 perps per account): cold (first call in the process,
 * then a new book version with a warm JIT) and cached (the API book's CurveCache hit), for every
 * risky asset with the API's default request (0 to −60% in 12 steps). Writes bench/results/curve.json and curve.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CurveCache } from "../api/book/curveCache.js";
import { compileBook } from "../risk/compiled.js";
import { prepareEnvironment, type EnvironmentInput } from "../risk/environment.js";
import { liquidationCurve, type LiquidationCurveRequest } from "../risk/liquidationCurve.js";
import { generateAccounts, generateFreshness, generateObservations, generateRiskConfig, GENERATED_NOW } from "./generate.js";

const N = 100_000;
const TARGETS = { coldMs: 1000, cachedMs: 10 };
const here = dirname(fileURLToPath(import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 2) => Number(x.toFixed(d));

function main() {
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", totalMemGB: Math.round(totalmem() / 2 ** 30), node: process.version, loadBefore: loadavg().map((x) => x.toFixed(2)).join(" / "), loadAfter: "" };
  const config = generateRiskConfig({ accounts: N });
  const input: EnvironmentInput = { now: GENERATED_NOW, observations: generateObservations(), chains: generateFreshness(), volatility: null, fundingIndexX18: {} };
  const book = compileBook(generateAccounts(N, { seed: 42 }), config);
  const env = prepareEnvironment(config, input);
  const assets = Object.entries(config.assets).filter(([, a]) => a.group !== "stable").map(([s]) => s).sort();
  const rows: { asset: string; firstColdMs: number | null; coldMs: number; coldCpuMs: number; cachedMs: number; points: number; deficiencyAt60: string; liquidatedAt60: number }[] = [];
  let first = true;
  for (const asset of assets) {
    const request: LiquidationCurveRequest = { asset, maxShockPct: "0.6", steps: 12 };
    let firstColdMs: number | null = null;
    if (first) {
      const t = performance.now();
      liquidationCurve(book, config, input, request, { baseEnv: env });
      firstColdMs = performance.now() - t;
      first = false;
    }
    // a new book version per run: the cache misses and recomputes (maxAgeMs 0: no reuse across versions)
    const cache = new CurveCache(64, 0);
    const cold: number[] = [];
    const coldCpu: number[] = [];
    let curve = null as ReturnType<typeof liquidationCurve> | null;
    for (let version = 0; version < 5; version++) {
      const t = performance.now();
      const c = process.cpuUsage();
      curve = cache.get(version, env, request, () => ({ curve: liquidationCurve(book, config, input, request, { baseEnv: env }), stamp: null })).curve;
      cold.push(performance.now() - t);
      const used = process.cpuUsage(c);
      coldCpu.push((used.user + used.system) / 1000);
    }
    const cached: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      cache.get(4, env, request, () => {
        throw new Error("cache miss on the same version");
      });
      cached.push(performance.now() - t);
    }
    const last = curve!.points[curve!.points.length - 1];
    rows.push({ asset, firstColdMs: firstColdMs === null ? null : round(firstColdMs, 1), coldMs: round(median(cold), 1), coldCpuMs: round(median(coldCpu), 1), cachedMs: round(median(cached), 4), points: curve!.points.length, deficiencyAt60: last.deficiencyUsd.toFixed(2), liquidatedAt60: last.liquidatedAccounts });
    console.log(`${asset}: first ${firstColdMs?.toFixed(0) ?? "-"} ms, cold median ${median(cold).toFixed(0)} ms, cached median ${median(cached).toFixed(4)} ms; at −60%: D ${last.deficiencyUsd.toFixed(2)}, ${last.liquidatedAccounts} liquidated`);
  }
  machine.loadAfter = loadavg().map((x) => x.toFixed(2)).join(" / ");
  const worstCold = Math.max(...rows.map((r) => Math.max(r.coldMs, r.firstColdMs ?? 0)));
  const worstCached = Math.max(...rows.map((r) => r.cachedMs));
  const result = { startedAt: new Date().toISOString(), accounts: N, machine, targets: TARGETS, rows, worstColdMs: worstCold, worstCachedMs: worstCached };
  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "curve.json"), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `# bench:curve — liquidation curve, ${N.toLocaleString("en")} accounts`,
    "",
    `${result.startedAt}, ${machine.cpus} cores (${machine.cpuModel}), ${machine.totalMemGB} GB, Node ${machine.node}, load ${machine.loadBefore} → ${machine.loadAfter}.`,
    "Request: 0 to −60% in 12 steps (13 stress runs with cascades). Cold: a new book version (first call in the process separately); cached: the book's CurveCache hit.",
    "",
    "| asset | first call in process | cold (median of 5), wall | cold, CPU | cached (median of 1000) | D at −60% | liquidated at −60% |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.asset} | ${r.firstColdMs === null ? "—" : `${r.firstColdMs} ms`} | ${r.coldMs} ms | ${r.coldCpuMs} ms | ${r.cachedMs} ms | $${r.deficiencyAt60} | ${r.liquidatedAt60} |`),
    "",
    `Targets: cold ≤ ${TARGETS.coldMs} ms: ${worstCold <= TARGETS.coldMs ? "met" : "MISSED"} (worst ${worstCold} ms); cached ≤ ${TARGETS.cachedMs} ms: ${worstCached <= TARGETS.cachedMs ? "met" : "MISSED"} (worst ${worstCached} ms).`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "curve.md"), md);
  console.log(md);
}

main();
