/**
 * bench:risk's margin-domain part: a book where half the accounts are Aave v3 accounts. The Aave
 * half is three generated markets (one per chain; USDC/WETH/WBTC with the devnet's parameters),
 * folded by the real replay (protocols/aaveV3/ledger.ts); per account WETH or WBTC collateral and
 * USDC debt sized for a spread of health factors (1% below 1, 10% in 1–1.1, the rest 1.1–4).
 * Measured: what the API's domain view does per read and tick (risk/domains aaveEvaluation.ts: the
 * float screen compiled from the folded state, the exact path for the accounts it cannot decide,
 * the totals), the exact top-100 endangered list, the sums (bad debt per domain and chain), and the
 * Aave cascade over the default stress library. The screened totals and list are checked against
 * every account evaluated exactly (the run fails if they differ). Pure compute, no I/O.
 */
import { applyAaveChanges, type AaveMarketState } from "../protocols/aaveV3/ledger.js";
import {
  aaveAccountSnapshot,
  aaveDomainAccount,
  aaveDomainId,
  aaveViewContext,
  deficiencyByDomain,
  deficiencyFromTotals,
  evaluateAaveMarkets,
  runAaveScenario,
  type AaveDomainAccount,
  type AaveEvaluationMarket,
  type AaveStressMarket,
  type DomainTotals,
} from "../risk/domains/index.js";
import { addr, feedOf, market, plainReserves, USDC, WBTC, WETH } from "../risk/domains/testing.js";
import { prepareEnvironment, type EnvironmentInput } from "../risk/environment.js";
import { defaultScenarios } from "../risk/scenarios.js";
import { rng } from "../risk/testing.js";
import type { RiskConfig, VolatilityEstimate } from "../risk/types.js";

export interface DomainBenchResult {
  aaveAccounts: number;
  markets: number;
  generationMs: number;
  /** the domain view's work per read or environment: compile the screens, screen, totals (exact where undecided) */
  evaluateMs: number;
  evaluateCpuMs: number;
  /** the same after an ETH price move (a new read: new states, screens compiled again) */
  tickMs: number;
  tickCpuMs: number;
  /** accounts that took the exact path in the tick */
  tickExact: number;
  /** the exact top 100 below HF 1 after the tick */
  endangeredMs: number;
  /** the reference: every account exact (not timed against a target) */
  exactAllMs: number;
  sumsMs: number;
  stressMs: number;
  stressScenarios: number;
  liquidatable: number;
  badDebtUsd: string;
  worst: { name: string; deficiencyUsd: string; calls: number } | null;
}

const SYMBOLS = new Map([
  [USDC, "USDC"],
  [WETH, "ETH"],
  [WBTC, "BTC"],
]);
const TIMESTAMP = 1_000_000n;

function generateMarket(count: number, offset: number, seed: number): AaveMarketState {
  const rand = rng(seed);
  const users = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    const hf = r < 0.01 ? 0.8 + rand() * 0.2 : r < 0.11 ? 1 + rand() * 0.1 : 1.1 + rand() * 2.9;
    const btc = rand() < 0.3;
    // collateral worth 1k–101k USD at the fixture prices (WETH 2,000, WBTC 30,000; thresholds 0.825 / 0.75)
    const usd = 1_000 + rand() * 100_000;
    const lt = btc ? 0.75 : 0.825;
    const collateral = btc ? BigInt(Math.round((usd / 30_000) * 1e8)) : BigInt(Math.round((usd / 2_000) * 1e6)) * 10n ** 12n;
    const debtUsdc = BigInt(Math.round(((usd * lt) / hf) * 1e6));
    users.push({ account: addr(0x1000000 + offset + i), supplied: { [btc ? WBTC : WETH]: collateral }, borrowed: { [USDC]: debtUsdc } });
  }
  return market({ reserves: plainReserves(), users, timestamp: TIMESTAMP });
}

function marketsAt(states: AaveMarketState[], input: EnvironmentInput, config: RiskConfig): AaveEvaluationMarket[] {
  const env = prepareEnvironment(config, input);
  return states.map((state, m) => ({
    chainId: m + 1,
    pool: addr(0x9001 + m),
    domainId: aaveDomainId(m + 1, addr(0x9001 + m)),
    state,
    timestamp: TIMESTAMP,
    ctx: aaveViewContext(env, { chainId: m + 1, blockTimestamp: env.now, finalitySeconds: 60, maxDataLagSeconds: 120, symbols: SYMBOLS }),
  }));
}

/** The slow path, every account exact (what the domain view did before the screen): the reference the screen is checked against. */
function exactAll(markets: AaveEvaluationMarket[]): AaveDomainAccount[] {
  return markets.flatMap((m) => [...m.state.accounts].sort().map((u) => aaveDomainAccount(m.chainId, m.pool, aaveAccountSnapshot(m.state, u, m.timestamp), m.ctx, { exactLiquidationPrices: false })));
}

function sameTotals(fast: DomainTotals[], slow: DomainTotals[]): string | null {
  if (fast.length !== slow.length) return `domains ${fast.length} vs ${slow.length}`;
  for (let i = 0; i < fast.length; i++) {
    const f = fast[i], x = slow[i];
    if (f.accounts !== x.accounts || JSON.stringify(f.accountsPerTier) !== JSON.stringify(x.accountsPerTier) || !f.badDebtUsd.eq(x.badDebtUsd)) {
      return `${f.domain.id}: ${f.accounts} ${JSON.stringify(f.accountsPerTier)} $${f.badDebtUsd} vs ${x.accounts} ${JSON.stringify(x.accountsPerTier)} $${x.badDebtUsd}`;
    }
    if (f.collateralUsd.minus(x.collateralUsd).abs().gt(x.collateralUsd.times(1e-9))) return `${f.domain.id}: collateral ${f.collateralUsd} vs ${x.collateralUsd}`;
  }
  return null;
}

const cpu = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return Math.round((u.user + u.system) / 100) / 10;
};

/** Generates `aaveAccounts` Aave accounts over three markets and measures the domain path. */
export function benchDomains(aaveAccounts: number, config: RiskConfig, input: EnvironmentInput, volatility: VolatilityEstimate, log: (line: string) => void): DomainBenchResult {
  const perMarket = Math.ceil(aaveAccounts / 3);
  let t = performance.now();
  const states = [0, 1, 2].map((m) => generateMarket(perMarket, m * perMarket, 100 + m));
  const generationMs = Math.round(performance.now() - t);

  // first evaluation after a read: compile the screens, screen, totals (exact where the screen cannot decide)
  t = performance.now();
  let c = process.cpuUsage();
  const first = evaluateAaveMarkets(marketsAt(states, input, config));
  const evaluateMs = Math.round(performance.now() - t);
  const evaluateCpuMs = cpu(c);
  log(`domains: ${first.totals.reduce((n, d) => n + d.accounts, 0)} Aave accounts screened in ${evaluateMs} ms (${first.exactCount()} exact)`);

  // ETH −10% on every market: a read after the price move gives new states (the screens compile again)
  const moved = states.map((s) => applyAaveChanges(s, [{ kind: "priceAnswer", feed: feedOf(1), answer: 180_000_000_000n, roundId: 2n, updatedAt: TIMESTAMP }]));
  const movedMarkets = marketsAt(moved, input, config);
  t = performance.now();
  c = process.cpuUsage();
  const tick = evaluateAaveMarkets(movedMarkets);
  const tickMs = Math.round(performance.now() - t);
  const tickCpuMs = cpu(c);
  const tickExact = tick.exactCount();
  t = performance.now();
  const endangered = tick.endangered(10n ** 18n, 100);
  const endangeredMs = Math.round((performance.now() - t) * 10) / 10;

  t = performance.now();
  const sums = deficiencyFromTotals(tick.totals);
  const sumsMs = Math.round((performance.now() - t) * 10) / 10;

  // the check: every account exact (the slow path) gives the same tiers and bad debt, and the same list
  t = performance.now();
  const all = exactAll(movedMarkets);
  const exactAllMs = Math.round(performance.now() - t);
  const mismatch = sameTotals(tick.totals, deficiencyByDomain(all).domains);
  if (mismatch !== null) throw new Error(`the screened totals differ from the exact ones: ${mismatch}`);
  const wantList = all.filter((a) => a.rule.liquidatable).sort((a, b) => (a.rule.healthFactorWad! < b.rule.healthFactorWad! ? -1 : a.rule.healthFactorWad! > b.rule.healthFactorWad! ? 1 : a.address < b.address ? -1 : 1)).slice(0, 100);
  if (wantList.map((a) => `${a.domain.id}:${a.address}`).join() !== endangered.map((a) => `${a.domain.id}:${a.address}`).join()) throw new Error("the screened endangered list differs from the exact one");
  log(`domains: tick ${tickMs} ms (${tickExact} exact), endangered top 100 ${endangeredMs} ms, sums ${sumsMs} ms; checked against every account exact (${exactAllMs} ms)`);

  const tickStates = moved;
  const stressMarkets: AaveStressMarket[] = tickStates.map((state, m) => ({ chainId: m + 1, pool: addr(0x9001 + m), symbols: SYMBOLS, baseCurrencyUnit: 100_000_000n, accounts: [...state.accounts].sort().map((u) => aaveAccountSnapshot(state, u, TIMESTAMP)) }));
  const scenarios = defaultScenarios(config, volatility).filter((s) => s.shocks.every((x) => ["ETH", "BTC", "USDC"].includes(x.asset)) || s.shocks.length === 0);
  t = performance.now();
  let worst: DomainBenchResult["worst"] = null;
  for (const s of scenarios) {
    const r = runAaveScenario(stressMarkets, config, s);
    if (worst === null || r.deficiencyUsd.gt(worst.deficiencyUsd)) worst = { name: s.name, deficiencyUsd: r.deficiencyUsd.toFixed(2), calls: r.domains.reduce((n, d) => n + d.liquidationCalls, 0) };
  }
  const stressMs = Math.round(performance.now() - t);
  log(`domains: tick ${tickMs} ms, sums ${sumsMs} ms, Aave stress (${scenarios.length} scenarios) ${stressMs} ms`);
  return {
    aaveAccounts: first.totals.reduce((n, d) => n + d.accounts, 0),
    markets: states.length,
    generationMs,
    evaluateMs,
    evaluateCpuMs,
    tickMs,
    tickCpuMs,
    tickExact,
    endangeredMs,
    exactAllMs,
    sumsMs,
    stressMs,
    stressScenarios: scenarios.length,
    liquidatable: all.filter((a) => a.rule.liquidatable).length,
    badDebtUsd: sums.totalBadDebtUsd.toFixed(2),
    worst,
  };
}
