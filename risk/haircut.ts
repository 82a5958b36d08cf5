/**
 * Latency-adjusted haircuts (risk model §3): the lognormal lower quantile of the price over the time
 * it takes to seize and sell collateral, with √-time scaling.
 */
import type Decimal from "decimal.js";
import { D, ONE, toDecimal, ZERO, type Numeric } from "./decimal.js";
import { RiskInputError } from "./errors.js";

function checkInputs(sigmaAnnual: Numeric, z: Numeric, horizonSeconds: Numeric, yearSeconds: Numeric) {
  const sigma = toDecimal(sigmaAnnual);
  const zD = toDecimal(z);
  const t = toDecimal(horizonSeconds);
  const y = toDecimal(yearSeconds);
  if (sigma.isNeg() || zD.isNeg() || t.isNeg() || !y.gt(0) || !sigma.isFinite() || !t.isFinite()) {
    throw new RiskInputError(
      `Haircut inputs must be σ ≥ 0, z ≥ 0, horizon ≥ 0 s and year > 0 s; got σ=${sigma}, z=${zD}, horizon=${t}, year=${y}.`,
      { sigmaAnnual: String(sigma), z: String(zD), horizonSeconds: String(t), yearSeconds: String(y) },
    );
  }
  return { sigma, zD, t, y };
}

/** `z · σ · √(T / Y)`: the standardised log-move over the horizon. */
function logMove(sigma: Decimal, z: Decimal, t: Decimal, y: Decimal): Decimal {
  if (t.isZero() || sigma.isZero() || z.isZero()) return ZERO;
  return z.times(sigma).times(t.div(y).sqrt());
}

/**
 * Collateral haircut `h = 1 − exp(−z·σ·√(T/Y))` (a fraction in [0, 1)). Units: σ annualised, T and Y in
 * seconds. Monotone non-decreasing in σ, z and T; exactly 0 when any of them is 0. Precision 50 digits,
 * unrounded (the values it multiplies are rounded down at the edge).
 *
 * Example: `haircut("0.7", "2.326", 1200, 31_536_000)` ≈ 0.01004 (σ 70%, 20 min → 1.0%).
 */
export function haircut(sigmaAnnual: Numeric, z: Numeric, horizonSeconds: Numeric, yearSeconds: Numeric): Decimal {
  const { sigma, zD, t, y } = checkInputs(sigmaAnnual, z, horizonSeconds, yearSeconds);
  const move = logMove(sigma, zD, t, y);
  if (move.isZero()) return ZERO;
  return ONE.minus(D.exp(move.neg()));
}

/**
 * Liability mark-up `u = exp(+z·σ·√(T/Y)) − 1 = h / (1 − h)`: the upper quantile, applied to debt as
 * `q·P·(1 + u)`. The model writes `(1 + h)`; the price's 99% upper quantile is `exp(+zσ√(T/Y))`, which
 * is larger, so `(1 + h)` would under-reserve debt (docs/risk-model-notes.md). 0 when any input is 0.
 *
 * Example: `liabilityMarkup("0.7", "2.326", 86_400, 31_536_000)` ≈ 0.0889 (vs h ≈ 0.0817).
 */
export function liabilityMarkup(sigmaAnnual: Numeric, z: Numeric, horizonSeconds: Numeric, yearSeconds: Numeric): Decimal {
  const { sigma, zD, t, y } = checkInputs(sigmaAnnual, z, horizonSeconds, yearSeconds);
  const move = logMove(sigma, zD, t, y);
  if (move.isZero()) return ZERO;
  return D.exp(move).minus(ONE);
}

/**
 * Both sides at once for one horizon: `{ haircut: 1 − e, markup: 1/e − 1 }` with `e = exp(−z·σ·√(T/Y))`
 * (one exp instead of two; `markup` equals {@link liabilityMarkup} to ~1e-49). Memoised by the exact
 * inputs (bounded; a pure cache, the result depends on the arguments only) because every tick and
 * every stress scenario asks for the same (σ, T) pairs.
 * Example: `haircutPair("0.7", "2.326", 86_400, 31_536_000)` → { haircut ≈ 0.0817, markup ≈ 0.0889 }.
 */
export function haircutPair(
  sigmaAnnual: Numeric,
  z: Numeric,
  horizonSeconds: Numeric,
  yearSeconds: Numeric,
): { haircut: Decimal; markup: Decimal } {
  const { sigma, zD, t, y } = checkInputs(sigmaAnnual, z, horizonSeconds, yearSeconds);
  const key = `${sigma.toString()}|${zD.toString()}|${t.toString()}|${y.toString()}`;
  const hit = pairCache.get(key);
  if (hit) return hit;
  const move = logMove(sigma, zD, t, y);
  let out: { haircut: Decimal; markup: Decimal };
  if (move.isZero()) out = { haircut: ZERO, markup: ZERO };
  else {
    const e = D.exp(move.neg());
    out = { haircut: ONE.minus(e), markup: ONE.div(e).minus(ONE) };
  }
  if (pairCache.size >= PAIR_CACHE_MAX) pairCache.clear();
  pairCache.set(key, out);
  return out;
}

const PAIR_CACHE_MAX = 4096;
const pairCache = new Map<string, { haircut: Decimal; markup: Decimal }>();
