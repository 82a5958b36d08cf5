/**
 * bench:risk's margin-domain part: a book where half the accounts are Aave v3 accounts. The Aave
 * half is three generated markets (one per chain; USDC/WETH/WBTC with the devnet's parameters),
 * folded by the real replay (protocols/aaveV3/ledger.ts); per account WETH or WBTC collateral and
 * USDC debt sized for a spread of health factors (1% below 1, 10% in 1–1.1, the rest 1.1–4).
 * Measured: what the API's domain view does per read and tick (snapshots at the indexed block and
 * every account's rule + view), the sums (bad debt per domain and chain), and the Aave cascade
 * over the default stress library. Pure compute, no I/O.
 */
import { applyAaveChanges, type AaveMarketState } from "../protocols/aaveV3/ledger.js";
import {
  aaveAccountSnapshot,
  aaveDomainAccount,
  aaveViewContext,
  deficiencyByDomain,
  runAaveScenario,
  type AaveAccountSnapshot,
  type AaveDomainAccount,
  type AaveStressMarket,
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
  /** snapshots + rule + view of every Aave account (the domain view's work per read or environment) */
  evaluateMs: number;
  evaluateCpuMs: number;
  /** the same after an ETH price move (a new read: the view re-evaluates every account) */
  tickMs: number;
  tickCpuMs: number;
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

function evaluateAll(states: AaveMarketState[], input: EnvironmentInput, config: RiskConfig): { accounts: AaveDomainAccount[]; snapshots: AaveAccountSnapshot[][] } {
  const env = prepareEnvironment(config, input);
  const accounts: AaveDomainAccount[] = [];
  const snapshots: AaveAccountSnapshot[][] = [];
  states.forEach((state, m) => {
    const ctx = aaveViewContext(env, { chainId: m + 1, blockTimestamp: env.now, finalitySeconds: 60, maxDataLagSeconds: 120, symbols: SYMBOLS });
    const list: AaveAccountSnapshot[] = [];
    for (const user of state.accounts) {
      const s = aaveAccountSnapshot(state, user, TIMESTAMP);
      list.push(s);
      accounts.push(aaveDomainAccount(m + 1, addr(0x9001 + m), s, ctx, { exactLiquidationPrices: false }));
    }
    snapshots.push(list);
  });
  return { accounts, snapshots };
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

  t = performance.now();
  let c = process.cpuUsage();
  const first = evaluateAll(states, input, config);
  const evaluateMs = Math.round(performance.now() - t);
  const evaluateCpuMs = cpu(c);
  log(`domains: ${first.accounts.length} Aave accounts evaluated in ${evaluateMs} ms`);

  // ETH −10% on every market (a new price answer: what a read after the price move gives the view)
  const moved = states.map((s) => applyAaveChanges(s, [{ kind: "priceAnswer", feed: feedOf(1), answer: 180_000_000_000n, roundId: 2n, updatedAt: TIMESTAMP }]));
  t = performance.now();
  c = process.cpuUsage();
  const tick = evaluateAll(moved, input, config);
  const tickMs = Math.round(performance.now() - t);
  const tickCpuMs = cpu(c);

  t = performance.now();
  const sums = deficiencyByDomain(tick.accounts);
  const sumsMs = Math.round((performance.now() - t) * 10) / 10;

  const stressMarkets: AaveStressMarket[] = tick.snapshots.map((accounts, m) => ({ chainId: m + 1, pool: addr(0x9001 + m), symbols: SYMBOLS, baseCurrencyUnit: 100_000_000n, accounts }));
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
    aaveAccounts: first.accounts.length,
    markets: states.length,
    generationMs,
    evaluateMs,
    evaluateCpuMs,
    tickMs,
    tickCpuMs,
    sumsMs,
    stressMs,
    stressScenarios: scenarios.length,
    liquidatable: tick.accounts.filter((a) => a.rule.liquidatable).length,
    badDebtUsd: sums.totalBadDebtUsd.toFixed(2),
    worst,
  };
}
