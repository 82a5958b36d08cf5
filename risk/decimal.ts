/**
 * decimal.js, configured once for the risk core: a private clone (the global `Decimal` keeps its
 * defaults for everyone else) with a fixed precision and deliberate rounding helpers.
 *
 * - PRECISION = 50 significant digits for every arithmetic result (ROUND_HALF_EVEN in between).
 * - On-chain integers convert exactly ({@link fromRaw} inserts the decimal point in the string, so
 *   2^256 − 1 with 0 or 18 decimals keeps all 78 digits).
 * - USD results are rounded to {@link USD_DP} decimal places at the edge of the core, the direction
 *   chosen per quantity: collateral rounds down, liabilities round up — i.e. every contribution to a
 *   health number rounds toward −∞ ({@link roundDownUsd}), every requirement or debt magnitude toward
 *   +∞ ({@link roundUpUsd}). Health is then never overstated by rounding.
 */
import Decimal from "decimal.js";

export const PRECISION = 50;
/** USD results are kept to 18 decimal places (far below a cent; well above PRECISION's floor up to 1e32 USD). */
export const USD_DP = 18;

/** The risk core's Decimal constructor. Use `D` (not the global Decimal) for all risk math. */
export const D = Decimal.clone({
  precision: PRECISION,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -30,
  toExpPos: 60,
});
export type D = Decimal;

export const ZERO = new D(0);
export const ONE = new D(1);

/** Anything a caller may hand the core as a number: decimal strings (exact), Decimals, finite numbers. */
export type Numeric = Decimal | string | number | bigint;

/**
 * Converts to the core's Decimal. Strings and bigints are exact; numbers go through their shortest
 * round-trip string (`0.1` → "0.1"). Example: `toDecimal("0.85")`.
 */
export function toDecimal(x: Numeric): Decimal {
  if (typeof x === "bigint") return new D(x.toString());
  if (typeof x === "number") {
    if (!Number.isFinite(x)) throw new RangeError(`Expected a finite number, got ${x}`);
    return new D(x);
  }
  return new D(x);
}

/**
 * `raw / 10^decimals`, exact (no rounding at any precision).
 * Example: `fromRaw(1_500_000n, 6)` → 1.5; `fromRaw(2n ** 256n - 1n, 18)` keeps all 78 digits.
 */
export function fromRaw(raw: bigint, decimals: number): Decimal {
  if (!Number.isInteger(decimals) || decimals < 0) {
    throw new RangeError(`decimals must be a non-negative integer, got ${decimals}`);
  }
  const negative = raw < 0n;
  let digits = (negative ? -raw : raw).toString();
  if (decimals > 0) {
    digits = digits.padStart(decimals + 1, "0");
    digits = `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
  }
  return new D(negative ? `-${digits}` : digits);
}

/** Rounds toward −∞ at USD_DP: collateral and every contribution to health. Example: 1.0000000000000000009 → 1. */
export function roundDownUsd(x: Decimal): Decimal {
  return x.toDecimalPlaces(USD_DP, Decimal.ROUND_FLOOR);
}

/** Rounds toward +∞ at USD_DP: liabilities and requirements (magnitudes). Example: 1.0000000000000000001 → 1.000000000000000001. */
export function roundUpUsd(x: Decimal): Decimal {
  return x.toDecimalPlaces(USD_DP, Decimal.ROUND_CEIL);
}

/** Exact comparison helper for tests and tie-breaks: the larger of two Decimals. */
export function maxDecimal(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}

/** The smaller of two Decimals. */
export function minDecimal(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}
