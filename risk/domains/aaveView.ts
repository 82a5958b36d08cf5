/**
 * xmargin's risk-adjusted view of an Aave v3 account, beside the protocol's rule: the vault model's
 * volatility haircuts (risk/haircut.ts, σ from risk/volatility.ts via the prepared environment) over
 * the prices Aave itself uses, with a same-chain horizon (the chain's finality + measured data lag:
 * no cross-chain messaging), the tiers of docs/risk-model.md, liquidation prices at which the
 * haircut health reaches 0, and the stale-data lower bound (stale data takes credit away).
 */
import type Decimal from "decimal.js";
import type { Address } from "viem";
import { D, fromRaw, ONE, roundDownUsd, roundUpUsd, ZERO } from "../decimal.js";
import { steppedLagSeconds, type PreparedEnvironment } from "../environment.js";
import { tierOf } from "../evaluateAccount.js";
import { haircutPair } from "../haircut.js";
import { linearLiquidationPrice } from "../liquidationPrice.js";
import type { AccountRisk, AssetSymbol, ChainId, DegradedReason, Tier } from "../types.js";
import { countsAsCollateral, effectiveLtvBps, effectivePriceBase, effectiveThresholdBps, type AaveAccountSnapshot } from "./aaveSnapshot.js";
import { DomainInputError } from "./errors.js";

/** What the view needs besides the snapshot: one chain's clock and the assets' volatility. */
export interface AaveViewContext {
  chainId: ChainId;
  /** unix seconds the view is computed for */
  now: number;
  /** unix seconds of the chain's last indexed block; null: nothing indexed (stale) */
  blockTimestamp: number | null;
  /** time to liquidate on this chain itself: finality + execution, seconds (no messaging) */
  finalitySeconds: number;
  /** data older than this makes the chain stale, seconds */
  maxDataLagSeconds: number;
  /** the measured lag is stepped as the vault model does (environment.ts steppedLagSeconds) */
  lagStepSeconds: number;
  zMaintenance: Decimal;
  zInitial: Decimal;
  yearSeconds: number;
  /** AaveOracle.BASE_CURRENCY_UNIT: base units per USD (1e8 on USD markets) */
  baseCurrencyUnit: bigint;
  /** Aave asset → the risk config's symbol (for σ and price freshness) */
  symbols: ReadonlyMap<Address, AssetSymbol>;
  /** per symbol: σ used for haircuts, max(σEWMA, σfloor) annualised, and whether its price is stale */
  assets: Readonly<Record<AssetSymbol, { sigmaAnnual: Decimal; priceStale: boolean }>>;
}

/**
 * A context from the vault model's prepared environment: z, year, lag step and, per symbol, σ
 * (`env.assets[s].sigmaAnnual`) and price staleness (`band.priceStale`: no fresh answer on any chain)
 * from the same tick. Example: `aaveViewContext(env, { chainId: 1, blockTimestamp, finalitySeconds: 900, maxDataLagSeconds: 120, symbols })`.
 */
export function aaveViewContext(
  env: PreparedEnvironment,
  chain: { chainId: ChainId; blockTimestamp: number | null; finalitySeconds: number; maxDataLagSeconds: number; symbols: ReadonlyMap<Address, AssetSymbol>; baseCurrencyUnit?: bigint },
): AaveViewContext {
  const assets: Record<AssetSymbol, { sigmaAnnual: Decimal; priceStale: boolean }> = {};
  for (const [symbol, a] of Object.entries(env.assets)) assets[symbol] = { sigmaAnnual: a.sigmaAnnual, priceStale: a.band.priceStale || a.band.last === null };
  return {
    chainId: chain.chainId,
    now: env.now,
    blockTimestamp: chain.blockTimestamp,
    finalitySeconds: chain.finalitySeconds,
    maxDataLagSeconds: chain.maxDataLagSeconds,
    lagStepSeconds: env.config.params.lagStepSeconds,
    zMaintenance: env.zMaintenance,
    zInitial: env.zInitial,
    yearSeconds: env.yearSeconds,
    baseCurrencyUnit: chain.baseCurrencyUnit ?? 100_000_000n,
    symbols: chain.symbols,
    assets,
  };
}

/** One collateral or debt item of the view: value, weights, haircuts and its contributions (USD). */
export interface AaveItemView {
  kind: "collateral" | "debt";
  asset: Address;
  symbol: AssetSymbol;
  amountRaw: bigint;
  decimals: number;
  /** at the protocol's price for this user, no haircut */
  valueUsd: Decimal;
  /** cfM = the liquidation threshold that applies, cfI = the LTV (collateral); 1 for debt */
  cfMaintenance: Decimal;
  cfInitial: Decimal;
  haircutMaintenance: Decimal;
  haircutInitial: Decimal;
  /** contribution to healthM / healthI (collateral +, debt −) */
  maintenanceValueUsd: Decimal;
  initialValueUsd: Decimal;
  zeroedByStaleness: boolean;
}

/** xmargin's risk-adjusted view of one Aave account (USD), the vault report's shape where it can be. */
export interface AaveAccountView
  extends Pick<AccountRisk, "tier" | "healthFactor" | "maintenanceHealthUsd" | "initialHealthUsd" | "equityUsd" | "collateralValueUsd" | "debtValueUsd"> {
  // healthFactor: CM / DM, floored to 18 decimals; null when DM = 0. equityUsd: Σ counted
  // collateral − Σ debt at the protocol's prices, unhaircut (stale items at their last value).
  /** T = finality + stepped lag, seconds; maintenance horizon T, initial 2T */
  latencySeconds: { configured: number; measuredLag: number; total: number };
  degraded: boolean;
  degradedReasons: DegradedReason[];
  items: AaveItemView[];
  /** P* per collateral symbol where healthM = 0, others fixed (linear: P − healthM/k) */
  liquidationPrices: { asset: Address; symbol: AssetSymbol; priceUsd: Decimal }[];
}

const BPS = new D(10_000);

/**
 * haircutPair per (context, symbol, z, horizon): every account of a chain shares them, and each is
 * an exp and a sqrt in decimal.js (most of a view's cost when computed per item). Same numbers.
 */
const haircutMemo = new WeakMap<AaveViewContext, Map<string, ReturnType<typeof haircutPair>>>();
export function haircutOfContext(ctx: AaveViewContext, symbol: AssetSymbol, sigma: Decimal, z: Decimal, horizon: number): ReturnType<typeof haircutPair> {
  let memo = haircutMemo.get(ctx);
  if (memo === undefined) haircutMemo.set(ctx, (memo = new Map()));
  const key = `${symbol}|${z.toString()}|${horizon}`;
  let pair = memo.get(key);
  if (pair === undefined) memo.set(key, (pair = haircutPair(sigma, z, horizon, ctx.yearSeconds)));
  return pair;
}

function symbolOf(ctx: AaveViewContext, asset: Address): AssetSymbol {
  const s = ctx.symbols.get(asset);
  if (s === undefined || ctx.assets[s] === undefined) {
    throw new DomainInputError(`Aave asset ${asset} on chain ${ctx.chainId} has no risk symbol; map it to one of [${Object.keys(ctx.assets).join(", ")}]`, { asset, chainId: ctx.chainId });
  }
  return s;
}

/**
 * The risk-adjusted view of one Aave account (docs/risk-model.md, "Margin domains"), in USD:
 * per item value `v = q·P/unit/baseUnit` at the protocol's price; `T = finality + τobs` (τobs
 * stepped, same chain only), `hM = 1 − exp(−zM·σ·√(T/Y))`, `hI` with zI and 2T, debt mark-ups
 * `u = exp(+zσ√(T/Y)) − 1`;
 *   CM = Σ v·LT·(1 − hM)   CI = Σ v·LTV·(1 − hI)   DM = Σ v·(1 + uM)   DI = Σ v·(1 + uI)
 *   healthM = CM − DM, healthI = CI − DI, equity = Σcoll v − Σdebt v, HF = CM/DM (null if DM = 0).
 * Only collateral Aave counts (bit on, LT ≠ 0) backs debt. A stale chain (τobs > maxDataLag or not
 * indexed) or a stale price zeroes the positive contributions (DEGRADED). Contributions round down
 * (collateral) and up (debt) at 18 decimals. With σ = 0 and one collateral, HF equals Aave's.
 * Example: 1 WETH at 2000 (LT 0.825), 1000 USDC debt, σ 0 → healthM 650, HF 1.65.
 */
export function aaveAccountView(snapshot: AaveAccountSnapshot, ctx: AaveViewContext): AaveAccountView {
  const reasons: DegradedReason[] = [];
  const indexed = ctx.blockTimestamp !== null;
  const measuredLag = indexed ? steppedLagSeconds(ctx.now - ctx.blockTimestamp!, ctx.lagStepSeconds) : 0;
  const chainStale = !indexed || measuredLag > ctx.maxDataLagSeconds;
  if (!indexed) reasons.push({ code: "CHAIN_NOT_INDEXED", chainId: ctx.chainId });
  else if (chainStale) reasons.push({ code: "CHAIN_STALE", chainId: ctx.chainId, lagSeconds: measuredLag, maxSeconds: ctx.maxDataLagSeconds });
  const total = ctx.finalitySeconds + measuredLag;
  if (!(total >= 0) || !Number.isFinite(total)) throw new DomainInputError(`the Aave horizon must be a finite number of seconds ≥ 0, got ${total}`, { total });
  const unitUsd = new D(ctx.baseCurrencyUnit.toString());
  const items: AaveItemView[] = [];
  let cm = ZERO, ci = ZERO, dm = ZERO, di = ZERO, coll = ZERO, debt = ZERO;
  const slopes = new Map<Address, { symbol: AssetSymbol; slope: Decimal; priceUsd: Decimal }>();
  const staleSymbols = new Set<AssetSymbol>();
  for (const r of snapshot.reserves) {
    const collateral = countsAsCollateral(r) && r.collateralRaw > 0n;
    if (!collateral && r.debtRaw === 0n) continue;
    const symbol = symbolOf(ctx, r.asset);
    const a = ctx.assets[symbol];
    if (a.priceStale) staleSymbols.add(symbol);
    const priceUsd = new D(effectivePriceBase(snapshot, r).toString()).div(unitUsd);
    const m = haircutOfContext(ctx, symbol, a.sigmaAnnual, ctx.zMaintenance, total);
    const i = haircutOfContext(ctx, symbol, a.sigmaAnnual, ctx.zInitial, 2 * total);
    let slope = ZERO;
    if (collateral) {
      const q = fromRaw(r.collateralRaw, r.decimals);
      const v = roundDownUsd(q.times(priceUsd));
      const cfM = new D(effectiveThresholdBps(snapshot, r).toString()).div(BPS);
      const cfI = new D(effectiveLtvBps(snapshot, r).toString()).div(BPS);
      const zeroed = chainStale || a.priceStale;
      const wM = cfM.times(ONE.minus(m.haircut));
      const mv = zeroed ? ZERO : roundDownUsd(v.times(wM));
      const iv = zeroed ? ZERO : roundDownUsd(v.times(cfI).times(ONE.minus(i.haircut)));
      cm = cm.plus(mv);
      ci = ci.plus(iv);
      coll = coll.plus(v);
      if (!zeroed) slope = slope.plus(q.times(wM));
      items.push({ kind: "collateral", asset: r.asset, symbol, amountRaw: r.collateralRaw, decimals: r.decimals, valueUsd: v, cfMaintenance: cfM, cfInitial: cfI, haircutMaintenance: m.haircut, haircutInitial: i.haircut, maintenanceValueUsd: mv, initialValueUsd: iv, zeroedByStaleness: zeroed });
    }
    if (r.debtRaw > 0n) {
      const q = fromRaw(r.debtRaw, r.decimals);
      const v = roundUpUsd(q.times(priceUsd));
      const mv = roundUpUsd(v.times(ONE.plus(m.markup)));
      const iv = roundUpUsd(v.times(ONE.plus(i.markup)));
      dm = dm.plus(mv);
      di = di.plus(iv);
      debt = debt.plus(v);
      slope = slope.minus(q.times(ONE.plus(m.markup)));
      items.push({ kind: "debt", asset: r.asset, symbol, amountRaw: r.debtRaw, decimals: r.decimals, valueUsd: v, cfMaintenance: ONE, cfInitial: ONE, haircutMaintenance: m.markup, haircutInitial: i.markup, maintenanceValueUsd: mv.neg(), initialValueUsd: iv.neg(), zeroedByStaleness: false });
    }
    if (collateral) slopes.set(r.asset, { symbol, slope, priceUsd });
  }
  for (const s of [...staleSymbols].sort()) reasons.push({ code: "PRICE_STALE", asset: s });
  const healthM = cm.minus(dm);
  const healthI = ci.minus(di);
  const equity = coll.minus(debt);
  const liquidationPrices: AaveAccountView["liquidationPrices"] = [];
  if (!dm.isZero()) {
    for (const [asset, s] of slopes) {
      const p = linearLiquidationPrice(healthM, s.priceUsd, s.slope);
      if (p !== null) liquidationPrices.push({ asset, symbol: s.symbol, priceUsd: p });
    }
  }
  return {
    tier: tierOf(healthI, healthM, equity),
    healthFactor: dm.isZero() ? null : roundDownUsd(cm.div(dm)),
    maintenanceHealthUsd: healthM,
    initialHealthUsd: healthI,
    equityUsd: equity,
    collateralValueUsd: coll,
    debtValueUsd: debt,
    latencySeconds: { configured: ctx.finalitySeconds, measuredLag, total },
    degraded: reasons.length > 0,
    degradedReasons: reasons,
    items,
    liquidationPrices,
  };
}
