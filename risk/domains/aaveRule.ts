/**
 * The Aave v3 domain's own rule, exactly (protocols/aaveV3/math.ts): health factor, totals in base
 * currency, liquidatable below 1, the close factor, and per account the liquidationCall a
 * liquidator should send (which debt / collateral pair, debt to cover, collateral received, the
 * protocol's fee), plus the exact liquidation price of each collateral asset. Pure bigint.
 */
import type { Address } from "viem";
import {
  closeFactorBps,
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD_WAD,
  liquidationAmounts,
  MAX_UINT256,
  type LiquidationAmounts,
  type UserAccountData,
} from "../../protocols/aaveV3/math.js";
import {
  countsAsCollateral,
  effectiveBonusBps,
  effectivePriceBase,
  inUserCategory,
  snapshotAccountData,
  withPrice,
  type AaveAccountSnapshot,
} from "./aaveSnapshot.js";

/** One liquidationCall(collateralAsset, debtAsset, user, debtToCover, receiveAToken) and what it yields. */
export interface AaveLiquidationPlan extends LiquidationAmounts {
  collateralAsset: Address;
  debtAsset: Address;
  /**
   * What to pass as `debtToCover`: the debt this call repays (= debtRepaidRaw). Passing
   * type(uint256).max gives the same call (the contract caps it the same way).
   */
  debtToCoverRaw: bigint;
  /** the bonus applied (bps; the eMode category's when the collateral is in the user's category) */
  liquidationBonusBps: bigint;
  /** value received minus value repaid, base currency (liquidator's share at the protocol's prices, floored; repaid rounded up) */
  liquidatorProfitBase: bigint;
  /** the user's health factor right after this call (wad; null when the call repays all debt) */
  healthFactorAfterWad: bigint | null;
}

/** The protocol's view of one account. */
export interface AaveAccountRule extends UserAccountData {
  /** healthFactor < 1 (wad): Aave lets anyone call liquidationCall */
  liquidatable: boolean;
  /** 5000 above HF 0.95, 10000 at or below it; null with no debt */
  closeFactorBps: bigint | null;
  /** debt − collateral (base currency, ≥ 0): what no collateral of this account in this market covers */
  badDebtBase: bigint;
  /** the most profitable single call (null unless liquidatable and some pair is seizable) */
  bestLiquidation: AaveLiquidationPlan | null;
  /** every (collateral, debt) pair a call could name, best first */
  liquidationCandidates: AaveLiquidationPlan[];
}

const unitOf = (decimals: number): bigint => 10n ** BigInt(decimals);
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/**
 * The liquidationCall of one (collateral, debt) pair for a user with health factor `healthFactorWad`:
 * math.ts `liquidationAmounts` with `debtToCover = type(uint256).max` (the close factor caps it),
 * the user's whole debt in `debtAsset`, their aToken balance of `collateralAsset`, the prices the
 * protocol uses for this user (eMode resolved) and the bonus (the category's in eMode). Profit =
 * ⌊toLiquidator·Pc/unit_c⌋ − ⌈repaid·Pd/unit_d⌉ (base currency). Null when the pair cannot be
 * liquidated (no such debt, collateral off or LT 0, nothing to seize).
 * Example: USDC debt 1000 at HF 0.97, WETH collateral → covers 500 USDC, receives 500·1.05/P WETH.
 */
export function aaveLiquidationPlan(snapshot: AaveAccountSnapshot, collateralAsset: Address, debtAsset: Address, healthFactorWad: bigint): AaveLiquidationPlan | null {
  const core = liquidationCall(snapshot, collateralAsset, debtAsset, healthFactorWad);
  if (core === null) return null;
  const after = snapshotAccountData(applyLiquidation(snapshot, core));
  return { ...core, healthFactorAfterWad: after.healthFactorWad };
}

/** A plan without the health factor after it (what ranking and the stress cascade need). */
type LiquidationCall = Omit<AaveLiquidationPlan, "healthFactorAfterWad">;

function liquidationCall(snapshot: AaveAccountSnapshot, collateralAsset: Address, debtAsset: Address, healthFactorWad: bigint): LiquidationCall | null {
  const c = snapshot.reserves.find((r) => r.asset === collateralAsset);
  const d = snapshot.reserves.find((r) => r.asset === debtAsset);
  if (!c || !d || d.debtRaw === 0n || !countsAsCollateral(c) || c.collateralRaw === 0n) return null;
  const collateralPriceBase = effectivePriceBase(snapshot, c);
  const debtPriceBase = effectivePriceBase(snapshot, d);
  if (collateralPriceBase === 0n || debtPriceBase === 0n) return null;
  const bonus = effectiveBonusBps(snapshot, c);
  const amounts = liquidationAmounts({
    debtToCoverRaw: MAX_UINT256,
    userTotalDebtRaw: d.debtRaw,
    healthFactorWad,
    userCollateralBalanceRaw: c.collateralRaw,
    collateralPriceBase,
    debtPriceBase,
    collateralDecimals: c.decimals,
    debtDecimals: d.decimals,
    liquidationBonusBps: bonus,
    liquidationProtocolFeeBps: c.liquidationProtocolFeeBps,
  });
  if (amounts.debtRepaidRaw === 0n && amounts.collateralSeizedRaw === 0n) return null;
  const received = (amounts.collateralToLiquidatorRaw * collateralPriceBase) / unitOf(c.decimals);
  const paid = ceilDiv(amounts.debtRepaidRaw * debtPriceBase, unitOf(d.decimals));
  return {
    ...amounts,
    collateralAsset,
    debtAsset,
    debtToCoverRaw: amounts.debtRepaidRaw,
    liquidationBonusBps: bonus,
    liquidatorProfitBase: received - paid,
  };
}

/**
 * The call aaveAccountRule(snapshot).bestLiquidation names, without the rest of the rule (no
 * health factor after each candidate): null unless the account is liquidatable and some pair is
 * seizable. What the stress cascade asks once per liquidationCall.
 * Example: `aaveBestLiquidationCall(s)?.debtRepaidRaw === aaveAccountRule(s).bestLiquidation?.debtRepaidRaw`.
 */
export function aaveBestLiquidationCall(snapshot: AaveAccountSnapshot): LiquidationCall | null {
  const hf = snapshotAccountData(snapshot).healthFactorWad;
  if (hf === null || hf >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD_WAD) return null;
  let best: LiquidationCall | null = null;
  for (const c of snapshot.reserves) {
    if (!countsAsCollateral(c) || c.collateralRaw === 0n) continue;
    for (const d of snapshot.reserves) {
      if (d.debtRaw === 0n) continue;
      const call = liquidationCall(snapshot, c.asset, d.asset, hf);
      if (call !== null && (best === null || comparePlans(call, best) < 0)) best = call;
    }
  }
  return best;
}

/**
 * The snapshot after a liquidationCall: the debt asset's debt − debtRepaid, the collateral's
 * balance − collateralSeized (the fee goes to the treasury, the rest to the liquidator). Exact in
 * token units; the contract burns scaled amounts (rayDiv, half up), which can differ by 1 wei.
 * Example: `applyLiquidation(s, plan)` then `snapshotAccountData` for the health factor after.
 */
export function applyLiquidation(
  snapshot: AaveAccountSnapshot,
  call: { collateralAsset: Address; debtAsset: Address; debtRepaidRaw: bigint; collateralSeizedRaw: bigint },
): AaveAccountSnapshot {
  return {
    ...snapshot,
    reserves: snapshot.reserves.map((r) => {
      let out = r;
      if (r.asset === call.debtAsset) out = { ...out, debtRaw: out.debtRaw - call.debtRepaidRaw };
      if (r.asset === call.collateralAsset) out = { ...out, collateralRaw: out.collateralRaw - call.collateralSeizedRaw };
      return out;
    }),
  };
}

function comparePlans(a: LiquidationCall, b: LiquidationCall): number {
  if (a.liquidatorProfitBase !== b.liquidatorProfitBase) return a.liquidatorProfitBase > b.liquidatorProfitBase ? -1 : 1;
  if (a.debtRepaidRaw !== b.debtRepaidRaw) return a.debtRepaidRaw > b.debtRepaidRaw ? -1 : 1;
  const ka = `${a.collateralAsset}:${a.debtAsset}`;
  const kb = `${b.collateralAsset}:${b.debtAsset}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The protocol's rule for one account: `userAccountData` (exact: HF = wadDiv(percentMul(C, ⌊avg
 * LT⌋bps), D), null with no debt), liquidatable when HF < 1e18, close factor 50% / 100% at HF ≤
 * 0.95, bad debt `max(0, D − C)` in base currency, and, when liquidatable, every (collateral, debt)
 * pair's call ranked by the liquidator's profit at the protocol's prices (ties: more debt repaid,
 * then by address). Example: HF 0.967 with USDC debt and WETH collateral → bestLiquidation covers
 * half the USDC debt and receives that value × 1.05 in WETH, minus the fee.
 */
export function aaveAccountRule(snapshot: AaveAccountSnapshot): AaveAccountRule {
  const data = snapshotAccountData(snapshot);
  const hf = data.healthFactorWad;
  const liquidatable = hf !== null && hf < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_WAD;
  const candidates: AaveLiquidationPlan[] = [];
  if (liquidatable) {
    for (const c of snapshot.reserves) {
      if (!countsAsCollateral(c) || c.collateralRaw === 0n) continue;
      for (const d of snapshot.reserves) {
        if (d.debtRaw === 0n) continue;
        const plan = aaveLiquidationPlan(snapshot, c.asset, d.asset, hf);
        if (plan !== null) candidates.push(plan);
      }
    }
    candidates.sort(comparePlans);
  }
  return {
    ...data,
    liquidatable,
    closeFactorBps: hf === null ? null : closeFactorBps(hf),
    badDebtBase: data.totalDebtBase > data.totalCollateralBase ? data.totalDebtBase - data.totalCollateralBase : 0n,
    bestLiquidation: candidates[0] ?? null,
    liquidationCandidates: candidates,
  };
}

/** Where Aave's health factor crosses 1 as one price moves, the others fixed. */
export interface AaveLiquidationPrice {
  /** the collateral asset */
  asset: Address;
  /** the oracle asset whose price moves: the collateral itself, or its eMode category's price source */
  priceAsset: Address;
  /** "below": liquidatable at or below priceBase (collateral worth more than the same asset's debt); "above": at or above it */
  direction: "below" | "above";
  /** the boundary price, base-currency units per whole token (integer, exact for the protocol's rounding) */
  priceBase: bigint;
}

const LIQ = (s: AaveAccountSnapshot): boolean => {
  const hf = snapshotAccountData(s).healthFactorWad;
  return hf !== null && hf < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_WAD;
};

/**
 * Per counted collateral asset, the oracle price at which Aave's health factor hits 1 with every
 * other price fixed: found on the integer price grid by bisection over `userAccountData` itself
 * (so the whole-basis-point average threshold and every floor are the contract's). Direction
 * "below": the account is liquidatable at any price ≤ priceBase; "above": ≥ priceBase (the user
 * owes more of that asset than it backs). For a collateral priced by its eMode category's source,
 * that source's price moves (it prices every reserve of the category). Null entries are left out:
 * no price in [0, 2^40 × today's] changes the verdict. Assumes HF is monotone in one price (a ratio
 * of two linear functions; the floors only move it by one unit). No debt → [].
 * Example: 1 WETH (LT 82.5%) against 1000 USDC debt → below ≈ 1212.12 USD (1000 / 0.825).
 */
export function aaveLiquidationPrices(snapshot: AaveAccountSnapshot): AaveLiquidationPrice[] {
  if (snapshotAccountData(snapshot).healthFactorWad === null) return [];
  const out: AaveLiquidationPrice[] = [];
  for (const c of snapshot.reserves) {
    if (!countsAsCollateral(c) || c.collateralRaw === 0n) continue;
    const byCategory = inUserCategory(snapshot, c) && snapshot.eMode!.priceBase !== 0n && snapshot.eMode!.priceSourceAsset !== null;
    const priceAsset = byCategory ? snapshot.eMode!.priceSourceAsset! : c.asset;
    const current = byCategory ? snapshot.eMode!.priceBase : c.priceBase;
    const at = (p: bigint) => LIQ(withPrice(snapshot, priceAsset, p));
    const atZero = at(0n);
    let hi = current > 0n ? current * 2n : 1n;
    const cap = (current > 0n ? current : 1n) << 40n;
    while (at(hi) === atZero && hi < cap) hi *= 2n;
    if (at(hi) === atZero) continue;
    // invariant: at(lo) === atZero, at(hi) !== atZero
    let lo = 0n;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (at(mid) === atZero) lo = mid;
      else hi = mid;
    }
    out.push(atZero ? { asset: c.asset, priceAsset, direction: "below", priceBase: lo } : { asset: c.asset, priceAsset, direction: "above", priceBase: hi });
  }
  return out;
}
