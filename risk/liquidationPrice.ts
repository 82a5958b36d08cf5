/**
 * Liquidation prices (risk model §4): with every other price fixed, maintenance health is linear in
 * `P_x` (standard mode, no stale position crossing zero), so `P*_x = P_x − healthM / k_x`.
 */
import type Decimal from "decimal.js";

import type { AssetSymbol } from "./types.js";

/** An asset's current price and the slope of maintenance health in it, `k_x = ∂healthM/∂P_x` (USD per USD). */
export interface PriceSensitivity {
  asset: AssetSymbol;
  priceUsd: Decimal;
  /** k_x = Σcoll q·cfM·(1−hM) − Σdebt q·(1+uM) + Σperp (n − |n|·mr) over the terms that count */
  slope: Decimal;
  /** false when health is only piecewise linear in this price (portfolio mode, a zeroed perp's PnL) */
  linear: boolean;
}

/**
 * A P* below this fraction of the current price is reported as "never": it is a rounding residue of
 * a health that is proportional to P (e.g. stablecoin collateral against stablecoin debt, P* = 0).
 */
export const MIN_LIQUIDATION_PRICE_RATIO = "1e-12";

/**
 * `P* = P − healthM / k`, or null when `k = 0` or `P* ≤ P·1e-12` (no price at which it happens).
 * Units USD. Example: healthM 500, P 2000, k 1 (one ETH of collateral at weight 1) → 1500.
 */
export function linearLiquidationPrice(healthM: Decimal, priceUsd: Decimal, slope: Decimal): Decimal | null {
  if (slope.isZero()) return null;
  const p = priceUsd.minus(healthM.div(slope));
  return p.gt(priceUsd.times(MIN_LIQUIDATION_PRICE_RATIO)) ? p : null;
}

/** Exact maintenance health with one asset at another price, and the gross scale of its terms there. */
export type HealthAt = (asset: AssetSymbol, priceUsd: Decimal) => { healthUsd: Decimal; scaleUsd: Decimal };

/** Relative tolerance the iterative solver stops at, against the account's gross health terms. */
export const LIQUIDATION_PRICE_TOLERANCE = 1e-12;

/**
 * Every asset's liquidation price. Linear assets use {@link linearLiquidationPrice}; the others start
 * from it and are refined by secant steps on `healthAt(asset, P)` (exact health at another price of
 * the asset) until |health| ≤ tolerance·scale, up to 60 steps; a price the solver cannot confirm is
 * left out. Sorted by asset symbol.
 *
 * Example: one long ETH perp, size 1, entry 2000, collateral 100 USDC, mmr 0.03, P 2000 →
 * healthM 40, k 0.97 → P* ≈ 1958.76 (Hyperliquid's liq_px for the same inputs).
 */
export function liquidationPrices(
  healthM: Decimal,
  sensitivities: readonly PriceSensitivity[],
  healthAt: HealthAt | null,
  scaleUsd: Decimal,
): { asset: AssetSymbol; priceUsd: Decimal }[] {
  const out: { asset: AssetSymbol; priceUsd: Decimal }[] = [];
  for (const s of [...sensitivities].sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0))) {
    let p = linearLiquidationPrice(healthM, s.priceUsd, s.slope);
    if (!s.linear && healthAt) p = refine(s, healthM, healthAt, scaleUsd, p);
    if (p !== null && p.gt(s.priceUsd.times(MIN_LIQUIDATION_PRICE_RATIO))) out.push({ asset: s.asset, priceUsd: p });
  }
  return out;
}

function refine(
  s: PriceSensitivity,
  healthM: Decimal,
  healthAt: HealthAt,
  scaleUsd: Decimal,
  start: Decimal | null,
): Decimal | null {
  // the tolerance is relative to the terms at the price being tried, so a health that merely shrinks
  // with P (proportional to it) is never "confirmed" near P = 0
  const tolAt = (scale: Decimal) => scale.abs().times(LIQUIDATION_PRICE_TOLERANCE).plus("1e-15");
  if (healthM.abs().lte(tolAt(scaleUsd))) return s.priceUsd.gt(0) ? s.priceUsd : null;
  let p0 = s.priceUsd;
  let h0 = healthM;
  let p1 = start ?? (s.slope.isZero() ? null : s.priceUsd.minus(healthM.div(s.slope)));
  if (p1 === null) return null;
  if (!p1.gt(0)) p1 = s.priceUsd.div(1000);
  for (let step = 0; step < 60; step++) {
    const at = healthAt(s.asset, p1);
    const h1 = at.healthUsd;
    if (h1.abs().lte(tolAt(at.scaleUsd))) return p1;
    const dh = h1.minus(h0);
    if (dh.isZero()) return null;
    let next = p1.minus(h1.times(p1.minus(p0)).div(dh));
    if (!next.gt(0)) next = p1.div(2); // stay in the positive half-line
    p0 = p1;
    h0 = h1;
    p1 = next;
  }
  return null;
}

