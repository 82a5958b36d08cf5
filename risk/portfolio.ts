/**
 * The correlation-aware portfolio view (risk model §4): net USD exposure per asset across all chains,
 * `PMR = z · √(eᵀ Σ e · T / Y)`, and how much it saves over per-position margin.
 */
import type Decimal from "decimal.js";
import { D, roundUpUsd, toDecimal, ZERO, type Numeric } from "./decimal.js";
import type { PreparedEnvironment } from "./environment.js";
import type { AssetSymbol } from "./types.js";

export type CovarianceView = Pick<PreparedEnvironment, "assetOrder" | "covariance" | "covarianceKnown" | "assets" | "yearSeconds">;

/**
 * `PMR = z · sd · √(T / Y)` in USD, rounded up, where `sd = √(max(0, eᵀ Σ e))` over assets with a
 * covariance estimate plus `Σ |e_x|·σ_x` over the rest (no estimate: worst-case correlation, the
 * triangle-inequality bound, so missing data never lowers the requirement). `e` in USD, Σ annualised,
 * T and Y in seconds.
 *
 * Example: e = {ETH: +1000, (perp on another chain) ETH: −1000} nets to e_ETH = 0 → PMR = 0.
 * e_ETH = 10,000, σ 0.8, T = 1 day, z 2.326 → 2.326 · 8000 · √(1/365) ≈ 974.0.
 */
export function portfolioRequirement(
  exposureUsd: Readonly<Record<AssetSymbol, Decimal>>,
  horizonSeconds: Numeric,
  z: Numeric,
  view: CovarianceView,
): Decimal {
  const T = toDecimal(horizonSeconds);
  if (T.lte(0)) return ZERO;
  const order = view.assetOrder;
  let variance = ZERO;
  let linear = ZERO;
  for (let a = 0; a < order.length; a++) {
    const ea = exposureUsd[order[a]];
    if (!ea || ea.isZero()) continue;
    if (!view.covarianceKnown[a]) {
      linear = linear.plus(ea.abs().times(view.assets[order[a]].sigmaAnnual));
      continue;
    }
    for (let b = 0; b < order.length; b++) {
      const eb = exposureUsd[order[b]];
      if (!eb || eb.isZero() || !view.covarianceKnown[b]) continue;
      const cov = view.covariance[a][b];
      if (cov) variance = variance.plus(ea.times(eb).times(cov));
    }
  }
  const sd = (variance.isPos() ? variance.sqrt() : ZERO).plus(linear);
  if (sd.isZero()) return ZERO;
  return roundUpUsd(toDecimal(z).times(sd).times(T.div(view.yearSeconds).sqrt()));
}

/**
 * `1 − PMR / MR_gross`: the share of per-position margin the portfolio view saves (null when there is
 * no gross requirement). Can be negative when collateral/debt exposure outweighs perp margin.
 * Example: PMR 0, MR_gross 300 → 1.
 */
export function marginEfficiency(portfolioRequirementUsd: Decimal, grossRequirementUsd: Decimal): Decimal | null {
  if (grossRequirementUsd.isZero()) return null;
  return new D(1).minus(portfolioRequirementUsd.div(grossRequirementUsd));
}

/**
 * The requirement a pool in `portfolio` mode charges: `max(PMR, floor · MR_gross)`, rounded up.
 * Example: PMR 10, floor 0.2, MR_gross 300 → 60.
 */
export function portfolioModeRequirement(pmrUsd: Decimal, grossUsd: Decimal, floor: Decimal): Decimal {
  return roundUpUsd(D.max(pmrUsd, floor.times(grossUsd)));
}
