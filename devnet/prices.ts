/**
 * Pure price dynamics of the simulator: correlated log-normal random walks for the risky assets
 * (BTC, ETH, ARB), occasional crashes, a pegged quote asset, and per-chain feeds that push on their
 * own deviation threshold and heartbeat, the way Chainlink feeds do.
 */
import type { DevnetAsset } from "./defaults.js";
import type { Rng } from "./random.js";

export const RISKY_ASSETS = ["BTC", "ETH", "ARB"] as const;
export type RiskyAsset = (typeof RISKY_ASSETS)[number];
export const SECONDS_PER_YEAR = 31_536_000;

export interface PriceModelParams {
  /** Annualised volatility per risky asset. */
  volAnnual: Record<RiskyAsset, number>;
  /** Correlation matrix in RISKY_ASSETS order (symmetric, positive definite). */
  correlation: number[][];
  /** Simulated seconds per step. */
  dtSeconds: number;
  /** Probability per step of a market-wide crash. */
  crashProbability: number;
  /** Crash size range, as fractions (0.1 = −10%). */
  crashPct: [number, number];
  /** Pull of log price toward its anchor per step (0 = pure random walk). */
  meanReversion: number;
}

export const DEFAULT_PRICE_PARAMS: PriceModelParams = {
  volAnnual: { BTC: 0.6, ETH: 0.75, ARB: 1.1 },
  correlation: [
    [1, 0.8, 0.6],
    [0.8, 1, 0.7],
    [0.6, 0.7, 1],
  ],
  dtSeconds: 3600,
  crashProbability: 0.002,
  crashPct: [0.08, 0.25],
  meanReversion: 0.002,
};

/** Lower-triangular L with L·Lᵀ = m (Cholesky); throws when m is not positive definite. */
export function cholesky(m: number[][]): number[][] {
  const n = m.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (sum <= 0) throw new RangeError(`correlation matrix is not positive definite (pivot ${i} = ${sum})`);
        l[i]![j] = Math.sqrt(sum);
      } else l[i]![j] = sum / l[j]![j]!;
    }
  }
  return l;
}

export type Prices = Record<DevnetAsset, number>;

/**
 * One step: log-returns r = −σ²dt/2 + σ√dt·(L·z) − κ·ln(P/anchor), σ annualised, dt in years;
 * with probability crashProbability every risky asset also drops by one common crash fraction.
 * The quote asset (USDC) stays within ±0.5% of 1.
 */
export function stepPrices(prices: Prices, anchor: Prices, rng: Rng, params: PriceModelParams = DEFAULT_PRICE_PARAMS, chol = cholesky(params.correlation)): { prices: Prices; crashed: number | null } {
  const z = RISKY_ASSETS.map(() => rng.normal());
  const dtYears = params.dtSeconds / SECONDS_PER_YEAR;
  const next = { ...prices };
  RISKY_ASSETS.forEach((asset, i) => {
    let correlated = 0;
    for (let k = 0; k <= i; k++) correlated += chol[i]![k]! * z[k]!;
    const sigma = params.volAnnual[asset];
    const drift = -0.5 * sigma * sigma * dtYears - params.meanReversion * Math.log(prices[asset] / anchor[asset]);
    next[asset] = prices[asset] * Math.exp(drift + sigma * Math.sqrt(dtYears) * correlated);
  });
  let crashed: number | null = null;
  if (rng.chance(params.crashProbability)) {
    crashed = rng.range(params.crashPct[0], params.crashPct[1]);
    for (const asset of RISKY_ASSETS) next[asset] *= 1 - crashed * (asset === "ARB" ? 1.5 : asset === "BTC" ? 0.8 : 1);
  }
  next.USDC = Math.min(1.005, Math.max(0.995, 1 + (prices.USDC - 1) * 0.5 + rng.normal() * 0.0003));
  return { prices: next, crashed };
}

/** How one chain's feeds push: a deviation threshold and a heartbeat, checked every `checkEvery` steps from `offset`. */
export interface FeedPolicy {
  deviation: number;
  heartbeatSteps: number;
  checkEvery: number;
  offset: number;
  /** Relative noise of this chain's answer around the true price (feeds differ slightly per chain). */
  noise: number;
}

/** Staggered policies: chain i gets the i-th (mod 3) of these, so chains update at different moments. */
export function defaultFeedPolicy(chainIndex: number): FeedPolicy {
  const policies: FeedPolicy[] = [
    { deviation: 0.005, heartbeatSteps: 40, checkEvery: 2, offset: 0, noise: 0.0005 },
    { deviation: 0.002, heartbeatSteps: 20, checkEvery: 1, offset: 0, noise: 0.0008 },
    { deviation: 0.003, heartbeatSteps: 25, checkEvery: 3, offset: 1, noise: 0.0008 },
  ];
  return policies[chainIndex % policies.length]!;
}

export interface FeedState {
  /** Last pushed answer, USD with 8 decimals. */
  lastUsd8: bigint;
  lastStep: number;
}

/** USD float → 8-decimal integer, rounded to nearest; at least 1. */
export function toUsd8(usd: number): bigint {
  const v = BigInt(Math.round(usd * 1e8));
  return v > 0n ? v : 1n;
}

/**
 * The feeds of one chain due at `step`: those whose true price moved more than `deviation` from the
 * last pushed answer, or whose last push is `heartbeatSteps` old. Returns the answers to push.
 */
export function feedsDue(
  feeds: Record<DevnetAsset, FeedState>,
  prices: Prices,
  step: number,
  policy: FeedPolicy,
  rng: Rng,
): { asset: DevnetAsset; answerUsd8: bigint }[] {
  if ((step - policy.offset) % policy.checkEvery !== 0) return [];
  const due: { asset: DevnetAsset; answerUsd8: bigint }[] = [];
  for (const asset of Object.keys(feeds) as DevnetAsset[]) {
    const state = feeds[asset];
    const last = Number(state.lastUsd8) / 1e8;
    const moved = Math.abs(prices[asset] / last - 1) > policy.deviation;
    const stale = step - state.lastStep >= policy.heartbeatSteps;
    if (moved || stale) due.push({ asset, answerUsd8: toUsd8(prices[asset] * (1 + rng.normal() * policy.noise)) });
  }
  return due;
}
