/**
 * Risk-core benchmark (`npm run bench:risk`, node --expose-gc --max-old-space-size=4096):
 * generated books of 100k and 1M accounts (collateral on 3 chains in ~3 assets, 2 perps, 30% with
 * debt), measuring the full build (compileBook + prepareEnvironment + first screenAll), one price tick
 * of an asset every account holds end to end (prepareEnvironment + screenHolders + the touched
 * accounts' new places in the API's ranking, api/book/ranking.ts, flushed so the order is current),
 * the top-100 endangered query over that ranking and over a plain partial selection, one account's
 * update followed by a top-100 (the ranking's incremental path), the whole default stress library
 * with cascades (100k), and peak RSS. After the ticks the incrementally kept ranking is compared,
 * entry by entry, with one built from scratch. Writes bench/results/risk.json and risk.md.
 *
 * Options: BENCH_SIZES=100000,1000000 (default), BENCH_TICKS=5.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { benchDomains, type DomainBenchResult } from "./riskDomains.js";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EndangeredRanking, TIER_RANK } from "../api/book/ranking.js";
import { assetIndexOf, compileBook, screenAll, screenHolders } from "../risk/compiled.js";
import { prepareEnvironment, type EnvironmentInput } from "../risk/environment.js";
import { defaultScenarios } from "../risk/scenarios.js";
import { runScenarios } from "../risk/stress.js";
import { buildSystemRisk, systemTotals } from "../risk/systemic.js";
import type { AccountScreen, PricePoint, Tier } from "../risk/types.js";
import { estimateVolatility } from "../risk/volatility.js";
import {
  GENERATED_ASSETS,
  GENERATED_NOW,
  generateAccounts,
  generateFreshness,
  generateObservations,
  generateRiskConfig,
  seededRandom,
} from "./generate.js";

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, "results");
const SIZES = (process.env.BENCH_SIZES ?? "100000,1000000").split(",").map((s) => Number(s.trim()));
const TICKS = Number(process.env.BENCH_TICKS ?? 5);
const TICK_ASSET = "ETH";
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const targets = {
  build1M_ms: 10_000,
  build1M_rssMB: 3_072,
  tick100k_ms: 100,
  tick1M_ms: 1_000,
  top100_ms: 5,
  stressLibrary100k_ms: 2_000,
};

function ms(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}
/** CPU time of this process since `start` (user + system), ms: on a shared machine the better estimate of unloaded wall time. */
function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return Math.round((d.user + d.system) / 10) / 100;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function rssMB(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}
function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
function log(line: string) {
  process.stdout.write(`${line}\n`);
}

/** Two days of 60 s GBM prices per risky asset (ρ 0.7 to a common factor), for the volatility estimate and the PC scenario. */
function generatedSeries(): Record<string, PricePoint[]> {
  const rand = seededRandom(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sigma: Record<string, number> = { USDC: 0.005, BTC: 0.55, ETH: 0.7, SOL: 1.0, ARB: 1.1 };
  const out: Record<string, PricePoint[]> = {};
  const logs: Record<string, number> = {};
  for (const a of GENERATED_ASSETS) {
    out[a.config.symbol] = [];
    logs[a.config.symbol] = Math.log(a.priceUsd);
  }
  const steps = 2 * 1440;
  const dt = 60 / 31_536_000;
  for (let k = 0; k <= steps; k++) {
    const common = normal();
    for (const a of GENERATED_ASSETS) {
      const s = a.config.symbol;
      if (k > 0) {
        const z = s === "USDC" ? normal() : 0.7 * common + Math.sqrt(1 - 0.49) * normal();
        logs[s] += sigma[s] * Math.sqrt(dt) * z;
      }
      out[s].push({ time: GENERATED_NOW - (steps - k) * 60, priceRaw: BigInt(Math.round(Math.exp(logs[s]) * 1e8)), decimals: 8 });
    }
  }
  return out;
}

/** The top-k most endangered by a bounded insertion over the screens (no maintained structure): the baseline. */
function topEndangeredScan(screens: (AccountScreen | null)[], k: number): number[] {
  const top: number[] = [];
  const keys: number[] = [];
  for (let i = 0; i < screens.length; i++) {
    const s = screens[i];
    if (!s || s.healthFactor === null) continue;
    const v = TIER_RANK[s.tier] * 1e6 + Math.min(s.healthFactor, 1e5);
    if (top.length === k && v >= keys[k - 1]) continue;
    let j = top.length === k ? k - 1 : top.length;
    while (j > 0 && keys[j - 1] > v) {
      top[j] = top[j - 1];
      keys[j] = keys[j - 1];
      j--;
    }
    top[j] = i;
    keys[j] = v;
  }
  return top;
}

/** Entry by entry, `kept` against a ranking built from scratch out of `entries` (a function, so both lists die with it). */
function sameRanking(kept: EndangeredRanking, entries: Parameters<EndangeredRanking["reset"]>[0]): boolean {
  const fresh = new EndangeredRanking();
  fresh.reset(entries);
  const a = kept.all();
  const b = fresh.all();
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) {
    if (a[j].address !== b[j].address || a[j].tier !== b[j].tier || a[j].healthFactor !== b[j].healthFactor) return false;
  }
  return true;
}

interface SizeResult {
  accounts: number;
  generateMs: number;
  compileMs: number;
  prepareEnvMs: number;
  firstScreenAllMs: number;
  buildMs: number;
  buildCpuMs: number;
  rssAfterBuildMB: number;
  /** the process's high-water RSS right after the build (generation included) */
  peakRssAfterBuildMB: number;
  exactChecksAtBuild: number;
  tiers: Record<Tier, number>;
  /** EndangeredRanking.reset over every screen (the first load) */
  rankingResetMs: number;
  tick: {
    holders: number;
    prepareEnvMs: number[];
    screenHoldersMs: number[];
    /** set() of every touched account + flush(): the ranking's order is current afterwards */
    rankingMs: number[];
    totalMs: number[];
    cpuMs: number[];
    medianTotalMs: number;
    medianCpuMs: number;
  };
  /** after the ticks: the incrementally kept ranking equals, entry by entry, one built from scratch */
  rankingMatchesRebuild: boolean;
  top100: { rankingMedianMs: number; rankingP99Ms: number; scanMedianMs: number; sameAsRanking: boolean };
  /** one account's health factor changes, then top-100 (incremental path: one splice, no rebuild) */
  singleUpdate: { medianMs: number; p99Ms: number; samples: number };
  stress?: {
    scenarios: number;
    coldMs: number;
    warmMs: number;
    coldCpuMs: number;
    warmCpuMs: number;
    perScenario: { name: string; rounds: number; liquidated: number; deficiencyUsd: string; exact: boolean }[];
    systemMs: number;
    action: string;
    coverageRatio: string | null;
  };
  peakRssMB: number;
}

function benchSize(n: number, volatility: ReturnType<typeof estimateVolatility>): SizeResult {
  gc();
  let t = performance.now();
  const accounts = generateAccounts(n, { seed: 42, everyoneHolds: TICK_ASSET });
  const generateMs = ms(t);
  const config = generateRiskConfig({ accounts: n });
  const input: EnvironmentInput = {
    now: GENERATED_NOW,
    observations: generateObservations(),
    chains: generateFreshness(),
    volatility,
    fundingIndexX18: {},
  };
  gc();
  log(`[${n}] generated in ${generateMs} ms, rss ${rssMB()} MB`);

  // ---- full build
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  t = t0;
  const book = compileBook(accounts, config);
  const compileMs = ms(t);
  t = performance.now();
  const env = prepareEnvironment(config, input);
  const prepareEnvMs = ms(t);
  t = performance.now();
  const screens = screenAll(book, env);
  const firstScreenAllMs = ms(t);
  const buildMs = ms(t0);
  const buildCpuMs = cpuMs(c0);
  const exactChecksAtBuild = book.exactChecks;
  const tiers: Record<Tier, number> = { SAFE: 0, MARGIN_CALL: 0, LIQUIDATABLE: 0, INSOLVENT: 0 };
  for (const s of screens) if (s) tiers[s.tier]++;
  const peakRssAfterBuildMB = peakRssMB();
  gc();
  const rssAfterBuildMB = rssMB();
  log(`[${n}] build ${buildMs} ms (cpu ${buildCpuMs} ms; compile ${compileMs}, env ${prepareEnvMs}, screenAll ${firstScreenAllMs}), rss ${rssAfterBuildMB} MB (peak so far ${peakRssAfterBuildMB} MB), tiers ${JSON.stringify(tiers)}`);

  const ranking = new EndangeredRanking();
  // keyed by the compiled book's slots: a tick then hashes no address
  const entries = (bySlot: boolean) =>
    screens.map((s, i) => ({ address: book.addresses[i]!, tier: s!.tier, healthFactor: s!.healthFactor, slot: bySlot ? i : undefined }));
  t = performance.now();
  ranking.reset(entries(true));
  const rankingResetMs = ms(t);
  log(`[${n}] ranking reset (${ranking.size} ranked): ${rankingResetMs} ms`);

  // ---- ticks: one asset every account holds moves ±0.5%, the others stay; the ranking follows
  const ethIdx = assetIndexOf(book, TICK_ASSET);
  const tick: SizeResult["tick"] = { holders: book.holders[ethIdx].size, prepareEnvMs: [], screenHoldersMs: [], rankingMs: [], totalMs: [], cpuMs: [], medianTotalMs: 0, medianCpuMs: 0 };
  const round2 = (x: number) => Math.round(x * 100) / 100;
  for (let k = 0; k < TICKS; k++) {
    const factor = k % 2 === 0 ? 0.995 : 1.0;
    const tickInput: EnvironmentInput = { ...input, now: GENERATED_NOW + 1 + k, observations: generateObservations(GENERATED_NOW + 1 + k, { [TICK_ASSET]: factor }) };
    const cpu = process.cpuUsage();
    const a = performance.now();
    const tickEnv = prepareEnvironment(config, tickInput);
    const b = performance.now();
    const touched = screenHolders(book, ethIdx, tickEnv, screens);
    const c = performance.now();
    for (let j = 0; j < touched.length; j++) {
      const slot = touched[j];
      const s = screens[slot]!;
      ranking.set(book.addresses[slot]!, s.tier, s.healthFactor, slot);
    }
    ranking.flush();
    const d = performance.now();
    tick.cpuMs.push(cpuMs(cpu));
    tick.prepareEnvMs.push(round2(b - a));
    tick.screenHoldersMs.push(round2(c - b));
    tick.rankingMs.push(round2(d - c));
    tick.totalMs.push(round2(d - a));
  }
  tick.medianTotalMs = median(tick.totalMs);
  tick.medianCpuMs = median(tick.cpuMs);
  log(`[${n}] tick (${tick.holders} holders): total ${tick.totalMs.join(", ")} ms (cpu ${tick.cpuMs.join(", ")}; env ${tick.prepareEnvMs.join(", ")}; screen ${tick.screenHoldersMs.join(", ")}; ranking ${tick.rankingMs.join(", ")})`);

  // correctness, not timed: the kept order is the order a fresh build (keyed by address) gives
  const rankingMatchesRebuild = sameRanking(ranking, entries(false));
  log(`[${n}] ranking after ticks equals a fresh rebuild: ${rankingMatchesRebuild}`);

  // ---- top-100 endangered
  const rankingTimes: number[] = [];
  let fromRanking: string[] = [];
  for (let k = 0; k < 200; k++) {
    t = performance.now();
    fromRanking = ranking.top(Number.MAX_VALUE, 100).map((e) => e.address);
    rankingTimes.push(performance.now() - t);
  }
  const scanTimes: number[] = [];
  let fromScan: string[] = [];
  for (let k = 0; k < 5; k++) {
    t = performance.now();
    fromScan = topEndangeredScan(screens, 100).map((i) => book.addresses[i]!);
    scanTimes.push(performance.now() - t);
  }
  const sorted = [...rankingTimes].sort((a, b) => a - b);
  const top100 = {
    rankingMedianMs: Math.round(median(rankingTimes) * 1000) / 1000,
    rankingP99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] * 1000) / 1000,
    scanMedianMs: Math.round(median(scanTimes) * 100) / 100,
    // the scan breaks HF ties by slot, the ranking by address: compare as sets
    sameAsRanking: fromScan.length === fromRanking.length && new Set(fromScan).size === new Set([...fromScan, ...fromRanking]).size,
  };
  log(`[${n}] top-100: ranking ${top100.rankingMedianMs} ms (p99 ${top100.rankingP99Ms}), scan ${top100.scanMedianMs} ms, same set ${top100.sameAsRanking}`);

  // ---- one account changes, then top-100: set + incremental flush (binary search + one splice) + walk
  const rand = seededRandom(99);
  const singleTimes: number[] = [];
  for (let k = 0; k < 200; k++) {
    const slot = Math.floor(rand() * screens.length);
    const s = screens[slot]!;
    if (s.healthFactor === null) continue;
    t = performance.now();
    ranking.set(book.addresses[slot]!, s.tier, s.healthFactor * (1 + (rand() - 0.5) * 1e-6), slot);
    ranking.top(Number.MAX_VALUE, 100);
    singleTimes.push(performance.now() - t);
  }
  const singleSorted = [...singleTimes].sort((a, b) => a - b);
  const singleUpdate = {
    medianMs: Math.round(median(singleTimes) * 1000) / 1000,
    p99Ms: Math.round(singleSorted[Math.floor(singleSorted.length * 0.99)] * 1000) / 1000,
    samples: singleTimes.length,
  };
  log(`[${n}] one account updated + top-100: ${singleUpdate.medianMs} ms (p99 ${singleUpdate.p99Ms})`);
  // put the true values back, so the ranking again describes the screens
  for (let slot = 0; slot < screens.length; slot++) {
    const s = screens[slot]!;
    ranking.set(book.addresses[slot]!, s.tier, s.healthFactor, slot);
  }
  ranking.flush();


  // ---- stress library with cascades (100k only: the target is stated there)
  let stress: SizeResult["stress"];
  if (n <= 100_000) {
    const library = defaultScenarios(config, volatility);
    gc();
    t = performance.now();
    let cpu = process.cpuUsage();
    const cold = runScenarios(book, config, input, library, { baseEnv: env });
    const coldMs = ms(t);
    const coldCpuMs = cpuMs(cpu);
    gc();
    t = performance.now();
    cpu = process.cpuUsage();
    const warm = runScenarios(book, config, input, library, { baseEnv: env });
    const warmMs = ms(t);
    const warmCpuMs = cpuMs(cpu);
    if (JSON.stringify(cold.map((r) => r.deficiencyUsd.toString())) !== JSON.stringify(warm.map((r) => r.deficiencyUsd.toString()))) {
      throw new Error("stress library is not deterministic: two runs differ");
    }
    t = performance.now();
    const totals = systemTotals(
      screens.map((s, i) => ({
        address: book.addresses[i]!,
        tier: s!.tier,
        equityUsd: s!.equityUsd,
        collateralUsd: s!.collateralUsd,
        debtUsd: s!.debtUsd,
        notionalUsd: 0,
      })),
    );
    const system = buildSystemRisk({ totals, insuranceFundUsd: "50000000", stress: warm, previousAction: null, thresholds: config.params.thresholds });
    const systemMs = ms(t);
    stress = {
      scenarios: library.length,
      coldMs,
      warmMs,
      coldCpuMs,
      warmCpuMs,
      perScenario: warm.map((r) => ({
        name: r.scenario.name,
        rounds: r.rounds.length,
        liquidated: r.rounds.reduce((s, x) => s + x.liquidatedAccounts, 0),
        deficiencyUsd: r.deficiencyUsd.toFixed(2),
        exact: r.deficiencyExact ?? true,
      })),
      systemMs,
      action: system.action,
      coverageRatio: system.coverageRatio?.toFixed(4) ?? null,
    };
    log(`[${n}] stress library (${library.length} scenarios): cold ${coldMs} ms (cpu ${coldCpuMs}), warm ${warmMs} ms (cpu ${warmCpuMs}); system totals ${systemMs} ms → ${system.action}, CR ${stress.coverageRatio}`);
    for (const r of stress.perScenario) log(`    ${r.name}: ${r.rounds} rounds, ${r.liquidated} liquidated, D ${r.deficiencyUsd}${r.exact ? "" : " (float)"}`);
  }

  return {
    accounts: n,
    generateMs,
    compileMs,
    prepareEnvMs,
    firstScreenAllMs,
    buildMs,
    buildCpuMs,
    rssAfterBuildMB,
    peakRssAfterBuildMB,
    exactChecksAtBuild,
    tiers,
    rankingResetMs,
    tick,
    rankingMatchesRebuild,
    top100,
    singleUpdate,
    stress,
    peakRssMB: peakRssMB(),
  };
}

function verdict(value: number, target: number): string {
  return value <= target ? "met" : "MISSED";
}

function markdown(result: { startedAt: string; machine: Record<string, unknown>; sizes: SizeResult[]; volatilityMs: number }): string {
  const lines: string[] = [];
  const m = result.machine;
  lines.push("# Risk core benchmark", "");
  lines.push(`Run ${result.startedAt} with \`npm run bench:risk\` on ${m.cpus}× ${m.cpuModel}, ${m.totalMemGB} GB, Node ${m.node}.`);
  lines.push(
    `The machine is shared with other engineers' builds and tests: load average ${m.loadBefore} before and ${m.loadAfter} after the run on ${m.cpus} cores, so wall times are upper bounds (a loaded core runs this single-threaded code 2–5× slower).`,
    "",
  );
  lines.push(
    "Each timed step also records this process's CPU time (user + system): with other processes competing for the cores, CPU time is the closer estimate of the unloaded wall time (it also counts V8's parallel GC threads, so it can exceed wall time on an idle machine). Verdicts use wall time.",
    "",
  );
  lines.push("| measure | accounts | wall | cpu | target | |", "|---|---|---|---|---|---|");
  for (const s of result.sizes) {
    const big = s.accounts >= 1_000_000;
    lines.push(`| full build (compileBook + prepareEnvironment + screenAll) | ${s.accounts.toLocaleString("en")} | ${s.buildMs} ms | ${s.buildCpuMs} ms | ${big ? `${targets.build1M_ms} ms` : "—"} | ${big ? verdict(s.buildMs, targets.build1M_ms) : ""} |`);
    lines.push(`| RSS of the built book (process, after GC; peak during generation + build) | ${s.accounts.toLocaleString("en")} | ${s.rssAfterBuildMB} MB (peak ${s.peakRssAfterBuildMB} MB; whole run ${s.peakRssMB} MB) | | ${big ? `${targets.build1M_rssMB} MB` : "—"} | ${big ? verdict(s.peakRssAfterBuildMB, targets.build1M_rssMB) : ""} |`);
    const tickTarget = big ? targets.tick1M_ms : targets.tick100k_ms;
    lines.push(`| price tick of ${TICK_ASSET} (every account holds it) end to end, ranking kept ordered, median of ${s.tick.totalMs.length} | ${s.accounts.toLocaleString("en")} | ${s.tick.medianTotalMs} ms (env ${median(s.tick.prepareEnvMs)} + screen ${median(s.tick.screenHoldersMs)} + ranking ${median(s.tick.rankingMs)}) | ${s.tick.medianCpuMs} ms | ${tickTarget} ms | ${verdict(s.tick.medianTotalMs, tickTarget)} |`);
    lines.push(`| top-100 endangered (api/book/ranking.ts \`top\`), median | ${s.accounts.toLocaleString("en")} | ${s.top100.rankingMedianMs} ms (p99 ${s.top100.rankingP99Ms}) | | ${targets.top100_ms} ms | ${verdict(s.top100.rankingMedianMs, targets.top100_ms)} |`);
    lines.push(`| top-100 by a scan of all screens (no ordered structure) | ${s.accounts.toLocaleString("en")} | ${s.top100.scanMedianMs} ms | | — | |`);
    lines.push(`| one account updated, then top-100 (incremental path), median of ${s.singleUpdate.samples} | ${s.accounts.toLocaleString("en")} | ${s.singleUpdate.medianMs} ms (p99 ${s.singleUpdate.p99Ms}) | | ${targets.top100_ms} ms | ${verdict(s.singleUpdate.medianMs, targets.top100_ms)} |`);
    lines.push(`| ranking built from scratch (\`reset\`: one native sort of packed 64-bit keys) | ${s.accounts.toLocaleString("en")} | ${s.rankingResetMs} ms | | — | |`);
    if (s.stress) {
      lines.push(`| default stress library with cascades (${s.stress.scenarios} scenarios), warm | ${s.accounts.toLocaleString("en")} | ${s.stress.warmMs} ms (cold ${s.stress.coldMs}) | ${s.stress.warmCpuMs} ms (cold ${s.stress.coldCpuMs}) | ${targets.stressLibrary100k_ms} ms | ${verdict(s.stress.warmMs, targets.stressLibrary100k_ms)} |`);
    }
  }
  lines.push("", `Volatility estimate (5 assets, 2 days of 60 s prices): ${result.volatilityMs} ms.`, "");
  lines.push(
    "The generated book is deliberately fragile (perps up to 8× collateral, 70% long, long perp notional counted as sale volume, depths sized to ~$1.5B of collateral per 100k accounts): every default scenario cascades over several rounds, which exercises the engine; the deficiencies do not describe a realistic pool.",
    "",
  );
  for (const s of result.sizes) {
    lines.push(`## ${s.accounts.toLocaleString("en")} accounts`, "");
    lines.push(`- generation (not timed against a target): ${s.generateMs} ms`);
    lines.push(`- build: compileBook ${s.compileMs} ms, prepareEnvironment ${s.prepareEnvMs} ms, first screenAll ${s.firstScreenAllMs} ms (${s.exactChecksAtBuild} exact re-checks near a tier boundary)`);
    lines.push(`- tiers: ${Object.entries(s.tiers).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    lines.push(`- ticks: ${s.tick.holders} holders re-screened; total ${s.tick.totalMs.join(", ")} ms; prepareEnvironment ${s.tick.prepareEnvMs.join(", ")} ms; screenHolders ${s.tick.screenHoldersMs.join(", ")} ms; ranking set + flush ${s.tick.rankingMs.join(", ")} ms`);
    lines.push(`- ranking after the ticks equals one rebuilt from scratch, entry by entry: ${s.rankingMatchesRebuild ? "yes" : "NO"}; top-100 from the ranking and from a scan of the screens are the same set: ${s.top100.sameAsRanking ? "yes" : "NO"}`);
    if (s.stress) {
      lines.push(`- stress: system totals + action ${s.stress.systemMs} ms → ${s.stress.action} (CR ${s.stress.coverageRatio} with a $50M fund)`, "");
      lines.push("| scenario | rounds | liquidated | D(s) USD | exact |", "|---|---|---|---|---|");
      for (const r of s.stress.perScenario) lines.push(`| ${r.name} | ${r.rounds} | ${r.liquidated} | ${r.deficiencyUsd} | ${r.exact ? "yes" : "float sum, cents"} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function domainsMarkdown(d: DomainBenchResult, vault: SizeResult): string {
  const tickTotal = d.tickMs + vault.tick.medianTotalMs;
  const stressTotal = d.stressMs + (vault.stress?.warmMs ?? NaN);
  return [
    `## Half the accounts in Aave markets (${(d.aaveAccounts + vault.accounts).toLocaleString("en")} accounts: ${vault.accounts.toLocaleString("en")} vault + ${d.aaveAccounts.toLocaleString("en")} Aave in ${d.markets} markets)`,
    "",
    "The Aave half is what the API's domain view (api/domains/domainView.ts) does after a read: compile the float screen from the folded markets (risk/domains/aaveScreen.ts), screen every account, and take the exact path (snapshot at the indexed block, Aave's rule, xmargin's view) only for the accounts the screen cannot decide; the totals and the top-100 list are then checked equal to evaluating every account exactly (the run fails otherwise). The vault half is the book's path measured above at this size. Generated by `bench/riskDomains.ts` (the real replay folds the markets).",
    "",
    "| measure | wall | cpu | target | |",
    "|---|---|---|---|---|",
    `| Aave: first evaluation after a read (compile + screen + exact where undecided) | ${d.evaluateMs} ms | ${d.evaluateCpuMs} ms | — | |`,
    `| price tick of ETH: a new read's Aave half (compile + screen + ${d.tickExact} exact) + vault half's tick | ${d.tickMs} + ${vault.tick.medianTotalMs.toFixed(1)} (median) = ${tickTotal.toFixed(1)} ms | ${d.tickCpuMs} ms (Aave) | 100 ms | ${verdict(tickTotal, 100)} |`,
    `| Aave: exact top 100 below HF 1 after the tick | ${d.endangeredMs} ms | | — | |`,
    `| the check: every Aave account exact (the path before the screen) | ${d.exactAllMs} ms | | — | |`,
    `| bad debt per domain and chain (deficiencyByDomain) | ${d.sumsMs} ms | | — | |`,
    `| stress library: Aave cascade (${d.stressScenarios} scenarios) + vault library (warm) | ${d.stressMs} + ${(vault.stress?.warmMs ?? NaN).toFixed(1)} = ${stressTotal.toFixed(1)} ms | | 2000 ms | ${verdict(stressTotal, 2000)} |`,
    "",
    `Aave accounts liquidatable after the tick: ${d.liquidatable}; bad debt $${d.badDebtUsd}; worst Aave scenario: ${d.worst ? `${d.worst.name}, $${d.worst.deficiencyUsd}, ${d.worst.calls} liquidationCalls` : "—"}. Generation of the markets (not timed against a target): ${d.generationMs} ms.`,
    "",
  ].join("\n");
}

function main() {
  const startedAt = new Date().toISOString();
  const cpuList = cpus();
  const machine = {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    totalMemGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore: loadavg().map((x) => x.toFixed(2)).join(" / "),
    loadAfter: "",
  };
  log(`bench:risk on ${machine.cpus} cores, load ${machine.loadBefore}`);
  let t = performance.now();
  const volatility = estimateVolatility(
    generatedSeries(),
    { gridSeconds: 60, ewmaHalfLifeSeconds: 86_400, yearSeconds: 31_536_000 },
    Object.fromEntries(GENERATED_ASSETS.map((a) => [a.config.symbol, Number(a.config.volFloorAnnual)])),
    GENERATED_NOW,
  );
  const volatilityMs = ms(t);
  log(`volatility: ${volatilityMs} ms, σ ${JSON.stringify(Object.fromEntries(Object.entries(volatility.sigmaAnnual).map(([k, v]) => [k, v.toFixed(3)])))}`);
  const sizes: SizeResult[] = [];
  for (const n of SIZES) {
    sizes.push(benchSize(n, volatility));
    gc();
  }
  // Half the accounts in Aave markets: 50,000 Aave accounts beside the vault book of 50,000.
  const aaveN = Number(process.env.BENCH_AAVE_ACCOUNTS ?? 50_000);
  const domains = benchDomains(aaveN, generateRiskConfig({ accounts: aaveN * 2 }), { now: GENERATED_NOW, observations: generateObservations(), chains: generateFreshness(), volatility, fundingIndexX18: {} }, volatility, log);
  gc();
  const vaultHalf = benchSize(aaveN, volatility);
  machine.loadAfter = loadavg().map((x) => x.toFixed(2)).join(" / ");
  const result = { startedAt, machine, targets, volatilityMs, sizes, domains: { aave: domains, vaultHalf } };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "risk.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, "risk.md"), `${markdown(result)}\n${domainsMarkdown(domains, vaultHalf)}\n`);
  log(`wrote ${join(resultsDir, "risk.json")} and risk.md`);
}

main();
