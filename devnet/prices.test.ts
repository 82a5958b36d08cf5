import { describe, expect, it } from "vitest";
import { cholesky, DEFAULT_PRICE_PARAMS, defaultFeedPolicy, feedsDue, stepPrices, toUsd8, type Prices } from "./prices.js";
import { createRng } from "./random.js";

const P0: Prices = { USDC: 1, BTC: 60_000, ETH: 3_000, ARB: 1 };

describe("cholesky", () => {
  it("default: L·Lᵀ reproduces the correlation matrix", () => {
    const m = DEFAULT_PRICE_PARAMS.correlation;
    const l = cholesky(m);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += l[i]![k]! * l[j]![k]!;
      expect(s).toBeCloseTo(m[i]![j]!, 12);
    }
  });
  it("behavior: rejects a matrix that is not positive definite", () => {
    expect(() => cholesky([[1, 2], [2, 1]])).toThrow(RangeError);
  });
});

describe("stepPrices", () => {
  it("behavior: log-returns have the configured volatility and correlation", () => {
    const rng = createRng(11);
    const params = { ...DEFAULT_PRICE_PARAMS, crashProbability: 0, meanReversion: 0 };
    const n = 20_000;
    const r: Record<string, number[]> = { BTC: [], ETH: [], ARB: [] };
    let p = { ...P0 };
    for (let i = 0; i < n; i++) {
      const next = stepPrices(p, P0, rng, params).prices;
      for (const a of ["BTC", "ETH", "ARB"] as const) r[a]!.push(Math.log(next[a] / p[a]));
      p = next;
    }
    const dtYears = params.dtSeconds / 31_536_000;
    const sd = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
    };
    const corr = (xs: number[], ys: number[]) => {
      const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
      const my = ys.reduce((s, y) => s + y, 0) / ys.length;
      let c = 0;
      for (let i = 0; i < xs.length; i++) c += (xs[i]! - mx) * (ys[i]! - my);
      return c / xs.length / (sd(xs) * sd(ys));
    };
    expect(sd(r.ETH!) / Math.sqrt(dtYears)).toBeCloseTo(0.75, 1);
    expect(sd(r.ARB!) / Math.sqrt(dtYears)).toBeCloseTo(1.1, 1);
    expect(corr(r.BTC!, r.ETH!)).toBeCloseTo(0.8, 1);
    expect(corr(r.ETH!, r.ARB!)).toBeCloseTo(0.7, 1);
  });

  it("behavior: a crash drops every risky asset in the same step; USDC stays pegged", () => {
    const rng = createRng(12);
    const params = { ...DEFAULT_PRICE_PARAMS, crashProbability: 1, crashPct: [0.2, 0.2] as [number, number] };
    const { prices, crashed } = stepPrices(P0, P0, rng, params);
    expect(crashed).toBe(0.2);
    expect(prices.ETH).toBeLessThan(3_000 * 0.85);
    expect(prices.BTC).toBeLessThan(60_000 * 0.88);
    expect(prices.ARB).toBeLessThan(0.8);
    expect(Math.abs(prices.USDC - 1)).toBeLessThanOrEqual(0.005);
  });
});

describe("feedsDue", () => {
  const fresh = () => ({
    USDC: { lastUsd8: 100_000_000n, lastStep: 0 },
    BTC: { lastUsd8: 6_000_000_000_000n, lastStep: 0 },
    ETH: { lastUsd8: 300_000_000_000n, lastStep: 0 },
    ARB: { lastUsd8: 100_000_000n, lastStep: 0 },
  });
  const quiet = { ...defaultFeedPolicy(1), noise: 0 };

  it("boundary: nothing is due when prices sit within the deviation threshold", () => {
    expect(feedsDue(fresh(), { ...P0, ETH: 3_000 * 1.0019 }, 1, quiet, createRng(1))).toEqual([]);
  });
  it("behavior: a move past the threshold pushes that asset only", () => {
    expect(feedsDue(fresh(), { ...P0, ETH: 3_000 * 1.0021 }, 1, quiet, createRng(1))).toEqual([{ asset: "ETH", answerUsd8: toUsd8(3_000 * 1.0021) }]);
  });
  it("behavior: the heartbeat pushes every feed", () => {
    expect(feedsDue(fresh(), P0, quiet.heartbeatSteps, quiet, createRng(1)).map((d) => d.asset).sort()).toEqual(["ARB", "BTC", "ETH", "USDC"]);
  });
  it("behavior: chains check on their own cadence (staggered)", () => {
    const l2b = { ...defaultFeedPolicy(2), noise: 0 };
    const moved = { ...P0, ETH: 3_300 };
    expect(feedsDue(fresh(), moved, 2, l2b, createRng(1))).toEqual([]);
    expect(feedsDue(fresh(), moved, 4, l2b, createRng(1))).toHaveLength(1);
    expect(defaultFeedPolicy(0)).not.toEqual(defaultFeedPolicy(1));
  });
});

describe("toUsd8", () => {
  it("boundary: rounds to nearest and never returns 0 or less", () => {
    expect(toUsd8(1)).toBe(100_000_000n);
    expect(toUsd8(0.000000014)).toBe(1n);
    expect(toUsd8(0)).toBe(1n);
    expect(toUsd8(3000.123456785)).toBe(300_012_345_679n);
  });
});
