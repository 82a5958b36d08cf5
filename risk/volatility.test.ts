import { describe, expect, test } from "vitest";
import type { PricePoint } from "./types.js";
import { estimateVolatility, firstPrincipalComponent, resampleSeries } from "./volatility.js";
import { rng } from "./testing.js";

const Y = 31_536_000;
const params = { gridSeconds: 60, ewmaHalfLifeSeconds: 86_400, yearSeconds: Y };

function point(time: number, priceUsd: number): PricePoint {
  return { time, priceRaw: BigInt(Math.round(priceUsd * 1e8)), decimals: 8 };
}


function normals(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Two GBM paths with annual σ and correlation ρ, one point per `step` seconds. */
function gbmPair(opts: { sigmaX: number; sigmaY: number; rho: number; steps: number; step: number; seed: number }) {
  const z = normals(opts.seed);
  const dt = opts.step / Y;
  let lx = Math.log(2000);
  let ly = Math.log(60000);
  const xs: PricePoint[] = [point(0, Math.exp(lx))];
  const ys: PricePoint[] = [point(0, Math.exp(ly))];
  for (let k = 1; k <= opts.steps; k++) {
    const z1 = z();
    const z2 = opts.rho * z1 + Math.sqrt(1 - opts.rho ** 2) * z();
    lx += -0.5 * opts.sigmaX ** 2 * dt + opts.sigmaX * Math.sqrt(dt) * z1;
    ly += -0.5 * opts.sigmaY ** 2 * dt + opts.sigmaY * Math.sqrt(dt) * z2;
    xs.push(point(k * opts.step, Math.exp(lx)));
    ys.push(point(k * opts.step, Math.exp(ly)));
  }
  return { xs, ys, end: opts.steps * opts.step };
}

describe("resampleSeries", () => {
  test("default: last observation carried forward on the grid", () => {
    const out = resampleSeries([point(0, 100), point(90, 110)], 60, 0, 180);
    expect(out).toEqual({ startTime: 0, gridSeconds: 60, pricesUsd: [100, 100, 110, 110] });
  });

  test("behavior: grid times before the first point are left out", () => {
    const out = resampleSeries([point(130, 5)], 60, 0, 240);
    expect(out.startTime).toBe(180);
    expect(out.pricesUsd).toEqual([5, 5]);
  });

  test("behavior: no points gives an empty series", () => {
    expect(resampleSeries([], 60, 0, 600).pricesUsd).toEqual([]);
  });

  test("behavior: input order and equal-time ties do not matter", () => {
    const points = [point(60, 3), point(0, 1), point(60, 2), point(125, 4)];
    const a = resampleSeries(points, 60, 0, 180);
    const b = resampleSeries([...points].reverse(), 60, 0, 180);
    expect(a).toEqual(b);
    expect(a.pricesUsd).toEqual([1, 3, 3, 4]);
  });

  test("behavior: decimals are applied", () => {
    const out = resampleSeries([{ time: 0, priceRaw: 123_450_000n, decimals: 6 }], 60, 0, 0);
    expect(out.pricesUsd).toEqual([123.45]);
  });

  test("behavior: a non-positive grid is refused", () => {
    expect(() => resampleSeries([], 0, 0, 10)).toThrow(/gridSeconds/);
  });
});

describe("estimateVolatility", () => {
  test("behavior: constant prices give σEWMA 0 and the floor applies", () => {
    const series = {
      ETH: Array.from({ length: 500 }, (_, k) => point(k * 60, 2000)),
      USDC: Array.from({ length: 500 }, (_, k) => point(k * 60, 1)),
    };
    const est = estimateVolatility(series, params, { ETH: 0.45, USDC: 0.01 }, 499 * 60);
    expect(est.assets).toEqual(["ETH", "USDC"]);
    expect(est.sigmaEwmaAnnual).toEqual({ ETH: 0, USDC: 0 });
    expect(est.sigmaAnnual).toEqual({ ETH: 0.45, USDC: 0.01 });
    expect(est.covarianceAnnual).toEqual([
      [0.45 * 0.45, 0],
      [0, 0.01 * 0.01],
    ]);
    expect(est.correlation).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(est.samples).toEqual({ ETH: 499, USDC: 499 });
    expect(est.asOf).toBe(499 * 60);
  });

  test("golden: alternating ±ln(1.01) returns → σ = ln(1.01)·√(Y/Δt) (units and annualisation)", () => {
    // every r² is the same, so the EWMA (bias-corrected) is exactly r²/Δt per second, × Y per year
    const points = Array.from({ length: 2000 }, (_, k) => point(k * 60, k % 2 === 0 ? 100 : 101));
    const est = estimateVolatility({ X: points }, params, {}, 1999 * 60);
    const r = Math.log(101 / 100);
    expect(est.sigmaEwmaAnnual.X).toBeCloseTo(r * Math.sqrt(Y / 60), 6);
    expect(est.sigmaEwmaAnnual.X).toBeCloseTo(7.2138, 3);
  });

  test("golden: one half-life of flat prices halves the variance (α = 1 − exp(−Δt·ln2/H))", () => {
    const H = 3600;
    const active = 20 * 60; // 20 half-lives of alternating returns: start-up weight 2⁻²⁰
    const points = Array.from({ length: active + 1 }, (_, k) => point(k * 60, k % 2 === 0 ? 100 : 101));
    const now = active * 60 + H; // then exactly 60 flat steps = one half-life
    const est = estimateVolatility({ X: points }, { ...params, ewmaHalfLifeSeconds: H }, {}, now);
    const full = Math.log(1.01) ** 2 * (Y / 60);
    // S = c·(1−α)^60·(1 − (1−α)^1200), W = 1 − (1−α)^1260, with (1−α)^60 = ½
    const expected = (full * 0.5 * (1 - 2 ** -20)) / (1 - 2 ** -21);
    expect(est.sigmaEwmaAnnual.X ** 2 / expected).toBeCloseTo(1, 4);
  });

  test("golden: GBM samples with σ 80% and 50%, ρ 0.6 are recovered", () => {
    const { xs, ys, end } = gbmPair({ sigmaX: 0.8, sigmaY: 0.5, rho: 0.6, steps: 20_000, step: 60, seed: 7 });
    const est = estimateVolatility({ ETH: xs, BTC: ys }, params, { ETH: 0, BTC: 0 }, end);
    // EWMA with H = 1 day on 60 s returns has ≈ 4,150 effective samples: σ standard error ≈ 1.1%
    expect(est.sigmaEwmaAnnual.ETH).toBeGreaterThan(0.8 * 0.95);
    expect(est.sigmaEwmaAnnual.ETH).toBeLessThan(0.8 * 1.05);
    expect(est.sigmaEwmaAnnual.BTC).toBeGreaterThan(0.5 * 0.95);
    expect(est.sigmaEwmaAnnual.BTC).toBeLessThan(0.5 * 1.05);
    const [b, e] = [est.assets.indexOf("BTC"), est.assets.indexOf("ETH")];
    expect(est.correlation[b][e]).toBeGreaterThan(0.55);
    expect(est.correlation[b][e]).toBeLessThan(0.65);
    expect(est.correlation[e][b]).toBe(est.correlation[b][e]);
  });

  test("behavior: perfectly correlated series give ρ = 1", () => {
    const { xs, end } = gbmPair({ sigmaX: 0.7, sigmaY: 0.1, rho: 0, steps: 3000, step: 60, seed: 3 });
    const doubled = xs.map((p) => ({ ...p, priceRaw: p.priceRaw * 2n }));
    const est = estimateVolatility({ A: xs, B: doubled }, params, {}, end);
    expect(est.correlation[0][1]).toBeCloseTo(1, 9);
    expect(est.sigmaEwmaAnnual.A).toBeCloseTo(est.sigmaEwmaAnnual.B, 9);
  });

  test("behavior: floors raise σ and keep the correlation", () => {
    const { xs, ys, end } = gbmPair({ sigmaX: 0.2, sigmaY: 0.3, rho: 0.5, steps: 5000, step: 60, seed: 11 });
    const raw = estimateVolatility({ A: xs, B: ys }, params, {}, end);
    const floored = estimateVolatility({ A: xs, B: ys }, params, { A: 1.5 }, end);
    expect(floored.sigmaAnnual.A).toBe(1.5);
    expect(floored.sigmaAnnual.B).toBe(raw.sigmaAnnual.B);
    expect(floored.correlation).toEqual(raw.correlation);
    expect(floored.covarianceAnnual[0][1]).toBeCloseTo(raw.correlation[0][1] * 1.5 * raw.sigmaAnnual.B, 12);
    expect(floored.covarianceAnnual[0][0]).toBeCloseTo(2.25, 12);
  });

  test("behavior: permutation of the input (points and assets) gives the same result", () => {
    const { xs, ys, end } = gbmPair({ sigmaX: 0.6, sigmaY: 0.4, rho: -0.3, steps: 2000, step: 45, seed: 5 });
    const a = estimateVolatility({ ETH: xs, BTC: ys }, params, { ETH: 0.1, BTC: 0.1, USDC: 0.01 }, end);
    const shuffle = <T>(items: T[], seed: number): T[] => {
      const u = rng(seed);
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    };
    const b = estimateVolatility(
      { BTC: shuffle(ys, 1), ETH: shuffle(xs, 2) },
      params,
      { USDC: 0.01, BTC: 0.1, ETH: 0.1 },
      end,
    );
    expect(b).toEqual(a);
    expect(a.assets).toEqual(["BTC", "ETH", "USDC"]);
    expect(a.samples.USDC).toBe(0);
  });

  test("behavior: no data at all gives floors and no samples", () => {
    const est = estimateVolatility({}, params, { ETH: 0.5 }, 1000);
    expect(est.sigmaAnnual).toEqual({ ETH: 0.5 });
    expect(est.sigmaEwmaAnnual).toEqual({ ETH: 0 });
    expect(est.samples).toEqual({ ETH: 0 });
  });

  test("behavior: the covariance matrix is positive semi-definite with a late-starting asset", () => {
    const { xs, ys, end } = gbmPair({ sigmaX: 0.6, sigmaY: 0.6, rho: 0.9, steps: 3000, step: 60, seed: 9 });
    const est = estimateVolatility({ A: xs, B: ys.slice(2000) }, params, {}, end);
    const [[a, b], [, d]] = est.covarianceAnnual;
    expect(a * d - b * b).toBeGreaterThanOrEqual(0);
    expect(est.samples.B).toBe(1000);
    expect(est.samples.A).toBe(3000);
  });
});

describe("firstPrincipalComponent", () => {
  test("default: a diagonal matrix", () => {
    const pc = firstPrincipalComponent([
      [4, 0],
      [0, 1],
    ]);
    expect(pc.eigenvalue).toBeCloseTo(4, 10);
    expect(pc.vector[0]).toBeCloseTo(1, 10);
    expect(pc.vector[1]).toBeCloseTo(0, 10);
  });

  test("behavior: correlated assets load with the same sign (the market factor)", () => {
    const pc = firstPrincipalComponent([
      [1, 0.9],
      [0.9, 1],
    ]);
    expect(pc.eigenvalue).toBeCloseTo(1.9, 10);
    expect(pc.vector[0]).toBeCloseTo(Math.SQRT1_2, 10);
    expect(pc.vector[1]).toBeCloseTo(Math.SQRT1_2, 10);
  });

  test("behavior: a start orthogonal to the top eigenvector still finds it; sign fixed", () => {
    const pc = firstPrincipalComponent([
      [1, -1],
      [-1, 1],
    ]);
    expect(pc.eigenvalue).toBeCloseTo(2, 10);
    expect(pc.vector[0]).toBeCloseTo(Math.SQRT1_2, 10);
    expect(pc.vector[1]).toBeCloseTo(-Math.SQRT1_2, 10);
  });

  test("behavior: matches the eigen-equation on a 3×3 covariance", () => {
    const s = [0.8, 0.6, 1.2];
    const rho = [
      [1, 0.7, 0.5],
      [0.7, 1, 0.6],
      [0.5, 0.6, 1],
    ];
    const cov = rho.map((row, i) => row.map((r, j) => r * s[i] * s[j]));
    const pc = firstPrincipalComponent(cov);
    const cv = cov.map((row) => row.reduce((sum, c, j) => sum + c * pc.vector[j], 0));
    cv.forEach((value, i) => expect(value).toBeCloseTo(pc.eigenvalue * pc.vector[i], 9));
    expect(pc.vector.every((v) => v > 0)).toBe(true);
    const trace = cov[0][0] + cov[1][1] + cov[2][2];
    expect(pc.eigenvalue).toBeLessThan(trace);
    expect(pc.eigenvalue).toBeGreaterThan(trace / 3);
  });

  test("behavior: zero and empty matrices", () => {
    expect(firstPrincipalComponent([])).toEqual({ eigenvalue: 0, vector: [] });
    expect(
      firstPrincipalComponent([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual({ eigenvalue: 0, vector: [1, 0] });
  });
});
