/**
 * Stress for Aave v3 domains: a price shock, then liquidation cascades by Aave's own rule (close
 * factor, bonus, protocol fee; risk/domains/aaveRule.ts), the collateral liquidators receive sold
 * with the vault cascade's price impact `κ·√(V/depth)` (risk/stress.ts), repeated until a round
 * liquidates nothing or `cascadeMaxRounds`; deficiency per domain at the final prices. Liquidation
 * amounts are exact bigint; USD sums are exact decimals. Pure and deterministic (input order).
 *
 * At scale most accounts are far from both verdicts a round needs (liquidatable? in shortfall?):
 * a float lower bound of each account's health factor and a float test of debt against collateral,
 * with margins wider than every floor and rounding of the exact math, skip the exact rule for
 * those (`screen`, default on; property-tested to give the reference path's results exactly).
 */
import type Decimal from "decimal.js";
import type { Address } from "viem";
import type { CompiledBook } from "../compiled.js";
import { D, ONE, roundUpUsd, ZERO } from "../decimal.js";
import type { EnvironmentInput } from "../environment.js";
import { validateScenario } from "../scenarios.js";
import { runScenarios, type StressOptions } from "../stress.js";
import type { AssetSymbol, ChainId, RiskConfig, ScenarioResult, StressScenario } from "../types.js";
import { aaveBestLiquidationCall, applyLiquidation } from "./aaveRule.js";
import { snapshotAccountData, type AaveAccountSnapshot } from "./aaveSnapshot.js";
import { aaveDomainId } from "./domain.js";
import { DomainInputError } from "./errors.js";

/** One Aave market as the stress engine takes it: its accounts' snapshots at the indexed block. */
export interface AaveStressMarket {
  chainId: ChainId;
  pool: Address;
  /** Aave asset → risk symbol (shocks, κ, depth and the stable group are per symbol) */
  symbols: ReadonlyMap<Address, AssetSymbol>;
  /** AaveOracle.BASE_CURRENCY_UNIT (1e8 on USD markets) */
  baseCurrencyUnit: bigint;
  accounts: readonly AaveAccountSnapshot[];
}

/** Knobs of the Aave cascade; defaults from the risk config. */
export interface AaveStressOptions {
  /** default config.params.cascadeMaxRounds */
  maxRounds?: number;
  /** liquidationCalls per account per round (a liquidator repeats until HF ≥ 1); default 32 */
  maxCallsPerAccount?: number;
  /**
   * impact already caused by other sales of the same assets (e.g. the vault cascade's final
   * `priceImpact`): converted to volume `V = depth·(impact/κ)²` and added to this cascade's.
   */
  priorImpact?: Record<AssetSymbol, Decimal | number | string>;
  /**
   * Skip the exact rule for accounts a float bound proves safe (not liquidatable, no shortfall) at
   * a round's prices (default true). The results are the same either way (tested); false is the
   * reference path that evaluates every account exactly every round.
   */
  screen?: boolean;
}

/** liquidationCalls one account can take per round by default (50% close factor: a few suffice; a bound, not a model). */
export const DEFAULT_MAX_CALLS_PER_ACCOUNT = 32;

/** One round of the Aave cascade across all markets (USD at that round's prices). */
export interface AaveCascadeRound {
  round: number;
  liquidationCalls: number;
  liquidatedAccounts: number;
  /** at that round's prices (USD) */
  debtRepaidUsd: Decimal;
  collateralSeizedUsd: Decimal;
  protocolFeeUsd: Decimal;
  /** cumulative impact per sold symbol after the round (only symbols with impact > 0) */
  priceImpact: Record<AssetSymbol, Decimal>;
  /** Σ over the markets' accounts of max(0, debt − collateral) at the prices after the round's impact */
  deficiencyUsd: Decimal;
}

/** One Aave market's outcome under a scenario. */
export interface AaveDomainStress {
  domainId: string;
  chainId: ChainId;
  pool: Address;
  /** before the shock, at today's prices */
  deficiencyBeforeUsd: Decimal;
  /** at the final prices, after the cascade */
  deficiencyUsd: Decimal;
  liquidationCalls: number;
  debtRepaidUsd: Decimal;
  /** accounts with bad debt at the end, largest first (ties by address) */
  shortfallsUsd: { address: Address; shortfallUsd: Decimal }[];
}

/** One scenario over Aave markets: rounds, per-domain deficiency, total. */
export interface AaveScenarioResult {
  scenario: StressScenario;
  rounds: AaveCascadeRound[];
  domains: AaveDomainStress[];
  deficiencyUsd: Decimal;
  /** the multipliers applied at the end per symbol: (1 + shock)·max(0, 1 − impact) */
  finalMultipliers: Record<AssetSymbol, Decimal>;
}

const usd = (base: bigint, unit: bigint): Decimal => new D(base.toString()).div(unit.toString());

function valueBase(amountRaw: bigint, decimals: number, priceBase: bigint): bigint {
  return (amountRaw * priceBase) / 10n ** BigInt(decimals);
}

/** Prices of one market: every reserve's and eMode source's oracle price from its snapshots (memoised per market), and an index of those assets. */
const pricesMemo = new WeakMap<AaveStressMarket, { ref: Map<Address, bigint>; index: Map<Address, number> }>();
function marketPrices(m: AaveStressMarket): { ref: Map<Address, bigint>; index: Map<Address, number> } {
  const cached = pricesMemo.get(m);
  if (cached !== undefined) return cached;
  const out = new Map<Address, bigint>();
  for (const a of m.accounts) {
    for (const r of a.reserves) if (!out.has(r.asset) && r.priceBase > 0n) out.set(r.asset, r.priceBase);
    if (a.eMode?.priceSourceAsset && !out.has(a.eMode.priceSourceAsset)) out.set(a.eMode.priceSourceAsset, a.eMode.priceBase);
  }
  const result = { ref: out, index: new Map([...out.keys()].map((asset, i) => [asset, i])) };
  pricesMemo.set(m, result);
  return result;
}

function repriced(s: AaveAccountSnapshot, prices: Map<Address, bigint>): AaveAccountSnapshot {
  const eMode = s.eMode && s.eMode.priceSourceAsset ? { ...s.eMode, priceBase: prices.get(s.eMode.priceSourceAsset) ?? s.eMode.priceBase } : s.eMode;
  return { ...s, eMode, reserves: s.reserves.map((r) => ({ ...r, priceBase: prices.get(r.asset) ?? r.priceBase })) };
}

/**
 * An account's items as floats, for the bounds below: per counted collateral / debt item the
 * amount, the token unit, the liquidation threshold that applies, and which price values it (the
 * eMode category's source when the reserve is in the user's category and that price is not 0),
 * as an index into the market's price array (-1: not listed there, the snapshot's own price holds).
 */
interface FloatAccount {
  coll: Float64Array;
  debt: Float64Array;
  unit: Float64Array;
  lt: Float64Array;
  assetIdx: Int32Array;
  /** the eMode source pricing the item: its index, -1 when unlisted, -2 when none */
  sourceIdx: Int32Array;
  ownPrice: Float64Array;
  sourcePrice: Float64Array;
}

/** floatAccount per snapshot (snapshots are never changed in place: a liquidation makes a new one; a snapshot is in one market) */
const floatMemo = new WeakMap<AaveAccountSnapshot, FloatAccount>();

function floatAccount(a: AaveAccountSnapshot, index: ReadonlyMap<Address, number>): FloatAccount {
  const cached = floatMemo.get(a);
  if (cached !== undefined) return cached;
  const items = a.reserves.filter((r) => (r.usingAsCollateral && r.liquidationThresholdBps !== 0n) || r.debtRaw !== 0n);
  const n = items.length;
  const f: FloatAccount = { coll: new Float64Array(n), debt: new Float64Array(n), unit: new Float64Array(n), lt: new Float64Array(n), assetIdx: new Int32Array(n), sourceIdx: new Int32Array(n), ownPrice: new Float64Array(n), sourcePrice: new Float64Array(n) };
  items.forEach((r, k) => {
    const counted = r.usingAsCollateral && r.liquidationThresholdBps !== 0n;
    const inCat = a.eMode !== null && r.eModeCategoryId === a.eMode.categoryId;
    f.coll[k] = counted ? Number(r.collateralRaw) : 0;
    f.debt[k] = Number(r.debtRaw);
    f.unit[k] = 10 ** r.decimals;
    f.lt[k] = Number(inCat ? a.eMode!.liquidationThresholdBps : r.liquidationThresholdBps);
    f.assetIdx[k] = index.get(r.asset) ?? -1;
    f.sourceIdx[k] = inCat && a.eMode!.priceSourceAsset !== null ? (index.get(a.eMode!.priceSourceAsset) ?? -1) : -2;
    f.ownPrice[k] = Number(r.priceBase);
    f.sourcePrice[k] = a.eMode !== null ? Number(a.eMode.priceBase) : 0;
  });
  floatMemo.set(a, f);
  return f;
}

const NOT_LIQUIDATABLE = 1;
const NO_SHORTFALL = 2;

/**
 * Which exact evaluations can be skipped at prices `pF` (base units per whole token, by the
 * market's asset index): NOT_LIQUIDATABLE when a lower bound of the health factor is ≥ 1,
 * NO_SHORTFALL when debt is certainly below collateral. The bounds cover each value's floor (1 base
 * unit per item), the whole-bps floor of the average threshold (1 bps, plus its perturbation by
 * those floors), percentMul / wadDiv rounding and the floats' own error (≤ 1e-12 relative, far
 * below what is used).
 */
function floatSafety(f: FloatAccount, pF: Float64Array): number {
  let C = 0, L = 0, D = 0;
  const n = f.coll.length;
  for (let k = 0; k < n; k++) {
    const ai = f.assetIdx[k];
    let p = ai >= 0 ? pF[ai] : f.ownPrice[k];
    const si = f.sourceIdx[k];
    if (si !== -2) {
      const src = si >= 0 ? pF[si] : f.sourcePrice[k];
      if (src !== 0) p = src;
    }
    const v = (f.coll[k] * p) / f.unit[k];
    C += v;
    L += v * f.lt[k];
    D += (f.debt[k] * p) / f.unit[k];
  }
  if (!Number.isFinite(C) || !Number.isFinite(D) || !Number.isFinite(L)) return 0;
  const slack = n + 1;
  const noShortfall = D * (1 + 1e-12) + slack < C * (1 - 1e-12) - slack ? NO_SHORTFALL : 0;
  if (D === 0) return NOT_LIQUIDATABLE | noShortfall;
  const cLow = C * (1 - 1e-12) - slack;
  const avgLow = C > 0 ? (L / C) * (1 - 1e-9) - 1 - (2e4 * slack) / C : 0;
  const hfLow = cLow > 0 && avgLow > 0 ? ((cLow * avgLow) / 1e4 - 1) / (D * (1 + 1e-12) + slack) : 0;
  return (hfLow >= 1 + 1e-9 ? NOT_LIQUIDATABLE : 0) | noShortfall;
}

function shortfallBase(s: AaveAccountSnapshot): bigint {
  const d = snapshotAccountData(s);
  return d.totalDebtBase > d.totalCollateralBase ? d.totalDebtBase - d.totalCollateralBase : 0n;
}

function symbolOf(m: AaveStressMarket, asset: Address, config: RiskConfig): AssetSymbol {
  const s = m.symbols.get(asset);
  if (s === undefined || !(s in config.assets)) {
    throw new DomainInputError(`Aave asset ${asset} on chain ${m.chainId} has no risk symbol the config lists; map it to one of [${Object.keys(config.assets).sort().join(", ")}]`, { asset, chainId: m.chainId });
  }
  return s;
}

/**
 * One scenario over Aave markets:
 *
 *   prices     P_x = ⌊P_x(now)·(1 + shock_s)·max(0, 1 − impact_s)⌋  (base units; s = symbol of x)
 *   round k    every account of a reachable chain with HF < 1 is liquidated by the best
 *              (collateral, debt) call of aaveAccountRule, again while HF < 1 (≤ maxCallsPerAccount);
 *              the liquidator's collateral (fee excluded: the treasury keeps its aTokens) is sold
 *              unless its symbol is in the "stable" group: V_s += amount × P_x(now) (USD)
 *              impact_s = min(1, κ_s·√(V_s/depth_s))
 *   stop       a round with no call, or cascadeMaxRounds rounds
 *   D(market)  Σ max(0, totalDebtBase − totalCollateralBase) at the final prices (USD, rounded up)
 *
 * Example: `runAaveScenario([market], config, { name: "eth-40", shocks: [{ asset: "ETH", pct: "-0.4" }] })`.
 */
export function runAaveScenario(markets: readonly AaveStressMarket[], config: RiskConfig, scenario: StressScenario, options: AaveStressOptions = {}): AaveScenarioResult {
  const s = validateScenario(scenario, config);
  const maxRounds = options.maxRounds ?? config.params.cascadeMaxRounds;
  const maxCalls = options.maxCallsPerAccount ?? DEFAULT_MAX_CALLS_PER_ACCOUNT;
  const screen = options.screen ?? true;
  const unreachable = new Set(s.unreachableChains ?? []);
  const shock: Record<AssetSymbol, Decimal> = {};
  for (const x of s.shocks) shock[x.asset] = ONE.plus(x.pct);
  const volume: Record<AssetSymbol, number> = {};
  const impact: Record<AssetSymbol, number> = {};
  const kappa = (sym: AssetSymbol) => Number(config.assets[sym].impactKappa);
  const depth = (sym: AssetSymbol) => Number(config.assets[sym].depthUsd);
  for (const [sym, i] of Object.entries(options.priorImpact ?? {})) {
    if (!(sym in config.assets)) throw new DomainInputError(`priorImpact names '${sym}', which the risk config does not list`, { symbol: sym });
    const v = Number(i.toString());
    const k = kappa(sym);
    volume[sym] = k > 0 && v > 0 ? depth(sym) * (v / k) ** 2 : 0;
    impact[sym] = Math.min(1, Math.max(0, v));
  }
  const multiplier = (sym: AssetSymbol): Decimal => {
    const keep = impact[sym] > 0 ? new D(Math.max(0, 1 - impact[sym])) : ONE;
    return (shock[sym] ?? ONE).times(keep);
  };
  const state = markets.map((m) => {
    const { ref, index } = marketPrices(m);
    const symbols = new Map<Address, AssetSymbol>();
    for (const asset of ref.keys()) symbols.set(asset, symbolOf(m, asset, config));
    const refF = Float64Array.from([...ref.values()].map((p) => Number(p)));
    const n = m.accounts.length;
    return { m, ref, index, symbols, accounts: m.accounts.map((a) => a), floats: m.accounts.map((a) => floatAccount(a, index)), prices: ref, pricesF: refF, refF, safe: new Uint8Array(n), safeAt: new Int32Array(n).fill(-1), calls: 0, repaid: ZERO, before: ZERO };
  });
  /** bumped whenever prices change: the float verdicts of the previous prices are then stale */
  let priceVersion = 0;
  type MarketRun = (typeof state)[number];
  /** the account at the round's prices (the exact path's input) */
  const current = (st: MarketRun, i: number): AaveAccountSnapshot => (st.accounts[i] = repriced(st.accounts[i], st.prices));
  /** the float verdicts of account i at the current prices (NOT_LIQUIDATABLE | NO_SHORTFALL), computed once per price version */
  const safety = (st: MarketRun, i: number): number => {
    if (st.safeAt[i] !== priceVersion) {
      st.safe[i] = floatSafety(st.floats[i], st.pricesF);
      st.safeAt[i] = priceVersion;
    }
    return st.safe[i];
  };
  const shortfallAt = (st: MarketRun, i: number): bigint => {
    if (screen && (safety(st, i) & NO_SHORTFALL) !== 0) return 0n;
    return shortfallBase(screen ? repriced(st.accounts[i], st.prices) : st.accounts[i]);
  };
  const pricesOf = (st: (typeof state)[number]) => {
    const p = new Map<Address, bigint>();
    for (const [asset, p0] of st.ref) {
      const m = multiplier(st.symbols.get(asset)!);
      p.set(asset, m.eq(ONE) ? p0 : BigInt(new D(p0.toString()).times(m).floor().toFixed(0)));
    }
    return p;
  };
  const reprice = () => {
    priceVersion++;
    for (const st of state) {
      st.prices = pricesOf(st);
      // the same asset order as `index` (prices keeps ref's insertion order)
      st.pricesF = Float64Array.from([...st.ref.keys()].map((asset) => Number(st.prices.get(asset)!)));
      // the reference path reprices every account now; the screened one when an account is evaluated exactly
      if (!screen) st.accounts = st.accounts.map((a) => repriced(a, st.prices));
    }
  };
  const deficiency = (): Decimal => {
    let total = ZERO;
    for (const st of state) {
      for (let i = 0; i < st.accounts.length; i++) {
        const short = shortfallAt(st, i);
        if (short !== 0n) total = total.plus(usd(short, st.m.baseCurrencyUnit));
      }
    }
    return roundUpUsd(total);
  };
  // before the shock: at the snapshots' own prices
  for (const st of state) {
    for (let i = 0; i < st.accounts.length; i++) {
      const short = screen && (floatSafety(st.floats[i], st.refF) & NO_SHORTFALL) !== 0 ? 0n : shortfallBase(st.accounts[i]);
      if (short !== 0n) st.before = st.before.plus(usd(short, st.m.baseCurrencyUnit));
    }
  }

  reprice();
  const rounds: AaveCascadeRound[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    let calls = 0;
    let accountsHit = 0;
    let repaid = ZERO, seized = ZERO, fees = ZERO;
    for (const st of state) {
      if (unreachable.has(st.m.chainId)) continue;
      const unit = st.m.baseCurrencyUnit;
      // the round's sums in base units (exact), converted once per market
      let repaidBase = 0n, seizedBase = 0n, feesBase = 0n;
      for (let i = 0; i < st.accounts.length; i++) {
        if (screen && (safety(st, i) & NOT_LIQUIDATABLE) !== 0) continue;
        let a = screen ? current(st, i) : st.accounts[i];
        let n = 0;
        for (; n < maxCalls; n++) {
          const plan = aaveBestLiquidationCall(a);
          if (plan === null) break;
          const c = a.reserves.find((r) => r.asset === plan.collateralAsset)!;
          const d = a.reserves.find((r) => r.asset === plan.debtAsset)!;
          const pc = c.priceBase, pd = d.priceBase;
          repaidBase += valueBase(plan.debtRepaidRaw, d.decimals, pd);
          seizedBase += valueBase(plan.collateralSeizedRaw, c.decimals, pc);
          feesBase += valueBase(plan.protocolFeeRaw, c.decimals, pc);
          const sym = st.symbols.get(c.asset)!;
          if (config.assets[sym].group !== "stable") {
            const ref = st.ref.get(c.asset)!;
            volume[sym] = (volume[sym] ?? 0) + usd(valueBase(plan.collateralToLiquidatorRaw, c.decimals, ref), unit).toNumber();
          }
          a = applyLiquidation(a, plan);
        }
        if (n > 0) {
          accountsHit++;
          calls += n;
          st.calls += n;
          st.accounts[i] = a;
          st.floats[i] = floatAccount(a, st.index);
          st.safeAt[i] = -1;
        }
      }
      repaid = repaid.plus(usd(repaidBase, unit));
      seized = seized.plus(usd(seizedBase, unit));
      fees = fees.plus(usd(feesBase, unit));
      st.repaid = st.repaid.plus(usd(repaidBase, unit));
    }
    if (calls === 0) break;
    for (const [sym, v] of Object.entries(volume)) {
      const k = kappa(sym);
      const dep = depth(sym);
      impact[sym] = !(v > 0) || k === 0 ? (impact[sym] ?? 0) : Math.max(impact[sym] ?? 0, dep > 0 ? Math.min(1, k * Math.sqrt(v / dep)) : 1);
    }
    reprice();
    const priceImpact: Record<AssetSymbol, Decimal> = {};
    for (const [sym, i] of Object.entries(impact)) if (i > 0) priceImpact[sym] = new D(i).toDecimalPlaces(12);
    rounds.push({ round, liquidationCalls: calls, liquidatedAccounts: accountsHit, debtRepaidUsd: roundUpUsd(repaid), collateralSeizedUsd: roundUpUsd(seized), protocolFeeUsd: roundUpUsd(fees), priceImpact, deficiencyUsd: deficiency() });
  }
  const domains: AaveDomainStress[] = state.map((st) => {
    const shortfalls = st.accounts
      .map((a, i) => ({ address: a.account, base: shortfallAt(st, i) }))
      .filter((x) => x.base > 0n)
      .sort((x, y) => (x.base !== y.base ? (x.base > y.base ? -1 : 1) : x.address < y.address ? -1 : x.address > y.address ? 1 : 0))
      .map((x) => ({ address: x.address, shortfallUsd: roundUpUsd(usd(x.base, st.m.baseCurrencyUnit)) }));
    return {
      domainId: aaveDomainId(st.m.chainId, st.m.pool),
      chainId: st.m.chainId,
      pool: st.m.pool,
      deficiencyBeforeUsd: roundUpUsd(st.before),
      deficiencyUsd: roundUpUsd(shortfalls.reduce((t, x) => t.plus(x.shortfallUsd), ZERO)),
      liquidationCalls: st.calls,
      debtRepaidUsd: roundUpUsd(st.repaid),
      shortfallsUsd: shortfalls,
    };
  });
  const finalMultipliers: Record<AssetSymbol, Decimal> = {};
  for (const sym of new Set([...Object.keys(shock), ...Object.keys(impact)])) {
    const m = multiplier(sym);
    if (!m.eq(ONE)) finalMultipliers[sym] = m;
  }
  return { scenario: s, rounds, domains, deficiencyUsd: domains.reduce((t, d) => t.plus(d.deficiencyUsd), ZERO), finalMultipliers };
}

/** Deficiency of one domain under one scenario, vault or Aave, in one list. */
export interface DomainScenarioResult {
  scenario: StressScenario;
  /** the vault cascade exactly as runScenarios computes it (unchanged by the Aave markets) */
  vault: ScenarioResult;
  aave: AaveScenarioResult;
  deficiencyByDomain: { domainId: string; deficiencyUsd: Decimal }[];
  totalDeficiencyUsd: Decimal;
}

/**
 * Every domain under each scenario: the vault cascade (risk/stress.ts `runScenarios`, results
 * unchanged), then the Aave cascade starting from the vault's final price impact (the same assets
 * are sold into the same markets), deficiency per domain and in total. One-way coupling: the
 * vault's cascade does not see the Aave sales (docs/risk-model.md says why).
 * Example: `runDomainScenarios(book, config, input, defaultScenarios(config, vol), [market])`.
 */
export function runDomainScenarios(
  book: CompiledBook,
  config: RiskConfig,
  baseInput: EnvironmentInput,
  scenarios: readonly StressScenario[],
  markets: readonly AaveStressMarket[],
  options: { vault?: StressOptions; aave?: AaveStressOptions } = {},
): DomainScenarioResult[] {
  const vault = runScenarios(book, config, baseInput, scenarios, options.vault);
  return vault.map((v) => {
    const last = v.rounds.length > 0 ? v.rounds[v.rounds.length - 1].priceImpact : {};
    const aave = runAaveScenario(markets, config, v.scenario, { ...options.aave, priorImpact: { ...last, ...(options.aave?.priorImpact ?? {}) } });
    const deficiencyByDomain = [{ domainId: "vault", deficiencyUsd: v.deficiencyUsd }, ...aave.domains.map((d) => ({ domainId: d.domainId, deficiencyUsd: d.deficiencyUsd }))];
    return { scenario: v.scenario, vault: v, aave, deficiencyByDomain, totalDeficiencyUsd: deficiencyByDomain.reduce((t, d) => t.plus(d.deficiencyUsd), ZERO) };
  });
}
