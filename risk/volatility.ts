/**
 * Volatility and correlation from the indexed mark-price series (risk model §5): resample on a fixed
 * grid of block time, log returns, EWMA covariance with a half-life, annualise, floors on σ.
 * Pure and deterministic: the same stored series and the same `now` give the same numbers in any
 * process, in any input order, after any restart (no hidden state). Floats are fine here: the
 * estimate feeds haircuts and scenarios, it is never a balance shown to people.
 */
import type { AssetSymbol, PricePoint, RiskParams, VolatilityEstimate } from "./types.js";

/** A series on a fixed grid: `pricesUsd[k]` is the price at `startTime + k·gridSeconds`. */
export interface ResampledSeries {
  /** first grid time at which a price is known (aligned to `from` + k·grid) */
  startTime: number;
  gridSeconds: number;
  pricesUsd: number[];
}

export type VolatilityParams = Pick<RiskParams, "gridSeconds" | "ewmaHalfLifeSeconds" | "yearSeconds">;

/**
 * EWMA weights older than this many half-lives are below 2⁻³⁰ ≈ 1e-9 of the newest and are not
 * read: bounded work on long series, and the cut depends only on `now`, so it stays deterministic.
 */
export const EWMA_LOOKBACK_HALF_LIVES = 30;

function toUsd(point: PricePoint): number {
  return Number(point.priceRaw) / 10 ** point.decimals;
}

/** Sorted by time; equal times ordered by price so that input order never matters. */
function sortPoints(points: readonly PricePoint[]): PricePoint[] {
  return [...points].sort((a, b) => {
    if (a.time !== b.time) return a.time - b.time;
    const pa = toUsd(a);
    const pb = toUsd(b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

/**
 * Last observation carried forward on the grid `from, from+g, …, ≤ to` (unix seconds of block time).
 * The value at grid time t is the price of the latest point with `time ≤ t` (ties: the higher
 * price, so input order never matters). Grid times before the first point are left out, so the
 * result starts where the series does; no points at or before `to` gives an empty series.
 *
 * Units: prices in USD (priceRaw / 10^decimals, as a float). Example: points at t=0 (100) and
 * t=90 (110), grid 60, from 0, to 180 → startTime 0, pricesUsd [100, 100, 110, 110].
 */
export function resampleSeries(
  points: readonly PricePoint[],
  gridSeconds: number,
  from: number,
  to: number,
): ResampledSeries {
  if (!(gridSeconds > 0)) throw new RangeError(`gridSeconds must be > 0, got ${gridSeconds}`);
  const sorted = sortPoints(points);
  const pricesUsd: number[] = [];
  let startTime = from;
  let i = 0;
  let last: number | null = null;
  for (let t = from; t <= to; t += gridSeconds) {
    while (i < sorted.length && sorted[i].time <= t) {
      last = toUsd(sorted[i]);
      i++;
    }
    if (last === null) {
      startTime = t + gridSeconds;
      continue;
    }
    pricesUsd.push(last);
  }
  return { startTime, gridSeconds, pricesUsd };
}

/**
 * Annualised EWMA covariance of grid log returns, σ with floors, correlation.
 *
 *   r_x(t)   = ln(P_x(t) / P_x(t−Δt))                      Δt = gridSeconds (block time)
 *   α        = 1 − exp(−Δt·ln2 / H)                         H = ewmaHalfLifeSeconds
 *   S_xy    ← (1−α)·S_xy + α·r_x·r_y/Δt,  W ← (1−α)·W + α   (per-second variance rate)
 *   cov_xy   = S_xy / W · Y                                  (annualised; /W removes the start-up bias)
 *   σEWMA_x  = √cov_xx,  ρ_xy = cov_xy / (σEWMA_x·σEWMA_y)  (ρ = 0 when either σEWMA is 0, ρ_xx = 1)
 *   σ_x      = max(σEWMA_x, σfloor_x);  covarianceAnnual_xy = ρ_xy·σ_x·σ_y
 *
 * One common grid for all assets, aligned to multiples of Δt, from the first observation of any
 * asset (or now − 30·H, whichever is later) to now; an asset's returns before its first
 * observation count as 0, which keeps the matrix positive semi-definite (`samples` says how many
 * real returns each asset had). Assets are the union of `series` and `floors`, sorted by symbol.
 * Example: a price alternating 100 ↔ 101 every 60 s has σEWMA = ln(1.01)·√(31,536,000/60) ≈ 7.214 (721%).
 */
export function estimateVolatility(
  series: Record<AssetSymbol, readonly PricePoint[]>,
  params: VolatilityParams,
  floors: Record<AssetSymbol, number>,
  now: number,
): VolatilityEstimate {
  const grid = params.gridSeconds;
  const assets = [...new Set([...Object.keys(series), ...Object.keys(floors)])].sort();
  const n = assets.length;
  const to = Math.floor(now / grid) * grid;
  const lookbackStart = Math.floor((now - EWMA_LOOKBACK_HALF_LIVES * params.ewmaHalfLifeSeconds) / grid) * grid;

  let firstTime = Number.POSITIVE_INFINITY;
  for (const asset of assets) {
    for (const point of series[asset] ?? []) if (point.time < firstTime) firstTime = point.time;
  }
  const from = Math.max(lookbackStart, Math.ceil(firstTime / grid) * grid);

  const resampled = assets.map((asset) => {
    const points = series[asset] ?? [];
    return Number.isFinite(from) && from <= to ? resampleSeries(points, grid, from, to) : null;
  });
  const steps = Number.isFinite(from) && from <= to ? Math.floor((to - from) / grid) + 1 : 0;

  const alpha = 1 - Math.exp((-grid * Math.LN2) / params.ewmaHalfLifeSeconds);
  const s: number[][] = assets.map(() => new Array<number>(n).fill(0));
  let weight = 0;
  const samples: Record<AssetSymbol, number> = {};
  for (const asset of assets) samples[asset] = 0;
  const r = new Array<number>(n).fill(0);
  const offsets = resampled.map((series) => (series ? Math.round((series.startTime - from) / grid) : 0));

  for (let k = 1; k < steps; k++) {
    for (let x = 0; x < n; x++) {
      const rs = resampled[x];
      const j = k - offsets[x];
      if (!rs || j < 1 || j >= rs.pricesUsd.length) {
        r[x] = 0;
        continue;
      }
      const prev = rs.pricesUsd[j - 1];
      const cur = rs.pricesUsd[j];
      r[x] = prev > 0 && cur > 0 ? Math.log(cur / prev) : 0;
      if (prev > 0 && cur > 0) samples[assets[x]]++;
    }
    weight = (1 - alpha) * weight + alpha;
    for (let x = 0; x < n; x++) {
      for (let y = x; y < n; y++) {
        s[x][y] = (1 - alpha) * s[x][y] + (alpha * r[x] * r[y]) / grid;
      }
    }
  }

  const annualCov: number[][] = assets.map(() => new Array<number>(n).fill(0));
  for (let x = 0; x < n; x++) {
    for (let y = x; y < n; y++) {
      const v = weight > 0 ? (s[x][y] / weight) * params.yearSeconds : 0;
      annualCov[x][y] = v;
      annualCov[y][x] = v;
    }
  }

  const sigmaEwmaAnnual: Record<AssetSymbol, number> = {};
  const sigmaAnnual: Record<AssetSymbol, number> = {};
  const sigmaEwma = assets.map((_, x) => Math.sqrt(Math.max(0, annualCov[x][x])));
  const sigma = assets.map((asset, x) => Math.max(sigmaEwma[x], floors[asset] ?? 0));
  assets.forEach((asset, x) => {
    sigmaEwmaAnnual[asset] = sigmaEwma[x];
    sigmaAnnual[asset] = sigma[x];
  });

  const correlation: number[][] = assets.map(() => new Array<number>(n).fill(0));
  const covarianceAnnual: number[][] = assets.map(() => new Array<number>(n).fill(0));
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      let rho: number;
      if (x === y) rho = 1;
      else if (sigmaEwma[x] > 0 && sigmaEwma[y] > 0) {
        rho = Math.max(-1, Math.min(1, annualCov[x][y] / (sigmaEwma[x] * sigmaEwma[y])));
      } else rho = 0;
      correlation[x][y] = rho;
      covarianceAnnual[x][y] = rho * sigma[x] * sigma[y];
    }
  }

  return { assets, sigmaEwmaAnnual, sigmaAnnual, covarianceAnnual, correlation, samples, asOf: now };
}

/** The largest eigenvalue of a symmetric PSD matrix and its unit eigenvector. */
export interface PrincipalComponent {
  eigenvalue: number;
  /** unit length; sign fixed so that Σ v ≥ 0 (first non-zero entry positive on a tie) */
  vector: number[];
}

function multiply(m: readonly (readonly number[])[], v: readonly number[]): number[] {
  return m.map((row) => row.reduce((sum, value, j) => sum + value * v[j], 0));
}

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
}

/**
 * First principal component by power iteration: v ← Σv/‖Σv‖ until ‖v_{k+1} − v_k‖ < 1e-12
 * (≤ 10,000 iterations), λ = vᵀΣv. Starts from the all-ones vector, then from each basis vector if
 * a start is orthogonal to the top eigenvector. The sign is fixed (Σ v ≥ 0) so the result is
 * deterministic; "the down move" along it is −v. A zero matrix gives λ = 0 and v = e₁.
 * Example: [[4, 0], [0, 1]] → λ = 4, v = [1, 0].
 */
export function firstPrincipalComponent(cov: readonly (readonly number[])[]): PrincipalComponent {
  const n = cov.length;
  if (n === 0) return { eigenvalue: 0, vector: [] };
  const starts: number[][] = [new Array<number>(n).fill(1 / Math.sqrt(n))];
  for (let i = 0; i < n; i++) starts.push(Array.from({ length: n }, (_, j) => (j === i ? 1 : 0)));

  let best: PrincipalComponent | null = null;
  for (const start of starts) {
    let v = start;
    let collapsed = false;
    for (let iter = 0; iter < 10_000; iter++) {
      const w = multiply(cov, v);
      const len = norm(w);
      if (!(len > 1e-300)) {
        collapsed = true;
        break;
      }
      const next = w.map((value) => value / len);
      // Eigenvalues of equal size and opposite sign would flip v each step: compare up to sign.
      const diff = Math.min(norm(next.map((value, j) => value - v[j])), norm(next.map((value, j) => value + v[j])));
      v = next;
      if (diff < 1e-12) break;
    }
    if (collapsed) continue;
    const cv = multiply(cov, v);
    const eigenvalue = v.reduce((sum, value, i) => sum + value * cv[i], 0);
    if (!best || eigenvalue > best.eigenvalue * (1 + 1e-9)) best = { eigenvalue, vector: v };
  }
  if (!best) return { eigenvalue: 0, vector: Array.from({ length: n }, (_, j) => (j === 0 ? 1 : 0)) };

  const sum = best.vector.reduce((a, b) => a + b, 0);
  const firstNonZero = best.vector.find((value) => Math.abs(value) > 1e-15) ?? 1;
  const flip = sum < -1e-12 || (Math.abs(sum) <= 1e-12 && firstNonZero < 0);
  return { eigenvalue: best.eigenvalue, vector: flip ? best.vector.map((value) => -value || 0) : best.vector };
}
