import { describe, expect, test } from "vitest";
import { generateRiskConfig } from "../bench/generate.js";
import { isXmarginError } from "../errors.js";
import {
  defaultScenarios,
  principalComponentScenario,
  ScenarioError,
  shockMultipliers,
  validateScenario,
} from "./scenarios.js";
import type { StressScenario, VolatilityEstimate } from "./types.js";

const config = generateRiskConfig(); // USDC (stable), BTC, ETH, SOL, ARB (alts); chains 1337001..3
const Y = 31_536_000;

function estimate(assets: string[], sigma: number[], rho: number[][]): VolatilityEstimate {
  const cov = rho.map((row, i) => row.map((r, j) => r * sigma[i] * sigma[j]));
  const rec = (values: number[]) => Object.fromEntries(assets.map((a, i) => [a, values[i]]));
  return {
    assets,
    sigmaEwmaAnnual: rec(sigma),
    sigmaAnnual: rec(sigma),
    covarianceAnnual: cov,
    correlation: rho,
    samples: rec(assets.map(() => 100)),
    asOf: 0,
  };
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    expect(isXmarginError(error)).toBe(true);
    expect((error as ScenarioError).code).toBe("BAD_SCENARIO");
    return (error as ScenarioError).issues;
  }
  throw new Error("expected a ScenarioError");
}

describe("defaultScenarios", () => {
  test("default: the library of the model, in order, without volatility", () => {
    const library = defaultScenarios(config, null);
    expect(library.map((s) => s.name)).toEqual([
      "risky-10pct",
      "risky-20pct",
      "risky-35pct",
      "risky-50pct",
      "btc-15-eth-25-alts-40",
      "chain-1337001-unreachable",
      "chain-1337002-unreachable",
      "chain-1337003-unreachable",
      "latency-x4",
    ]);
    expect(library[2].shocks).toEqual([
      { asset: "ARB", pct: "-0.35" },
      { asset: "BTC", pct: "-0.35" },
      { asset: "ETH", pct: "-0.35" },
      { asset: "SOL", pct: "-0.35" },
    ]);
    expect(library[4].shocks).toEqual([
      { asset: "ARB", pct: "-0.40" },
      { asset: "BTC", pct: "-0.15" },
      { asset: "ETH", pct: "-0.25" },
      { asset: "SOL", pct: "-0.40" },
    ]);
    expect(library[6]).toEqual({ name: "chain-1337002-unreachable", shocks: [], unreachableChains: [1337002] });
    expect(library[8]).toEqual({ name: "latency-x4", shocks: [], latencyMultiplier: "4" });
    // every default scenario passes validation unchanged in meaning
    for (const s of library) expect(validateScenario(s, config).name).toBe(s.name);
  });

  test("behavior: stables are never shocked by the risky-asset scenarios", () => {
    for (const s of defaultScenarios(config, null).slice(0, 5)) {
      expect(s.shocks.some((shock) => shock.asset === "USDC")).toBe(false);
    }
  });

  test("behavior: with a covariance the PC1 down move is added after the group scenario", () => {
    const vol = estimate(["BTC", "ETH", "USDC"], [0.6, 0.8, 0.01], [
      [1, 0.8, 0],
      [0.8, 1, 0],
      [0, 0, 1],
    ]);
    const library = defaultScenarios(config, vol);
    expect(library[5].name).toBe("pc1-3sigma-down");
    const shocks = Object.fromEntries(library[5].shocks.map((s) => [s.asset, Number(s.pct)]));
    expect(shocks.BTC).toBeLessThan(0);
    expect(shocks.ETH).toBeLessThan(shocks.BTC); // the more volatile asset loads more
    expect(shocks.USDC).toBeUndefined(); // uncorrelated stable: zero loading, left out
  });

  test("behavior: assets the config does not know are left out of the PC scenario", () => {
    const vol = estimate(["DOGE", "ETH"], [3, 0.8], [
      [1, 0],
      [0, 1],
    ]);
    const pc = defaultScenarios(config, vol).find((s) => s.name.startsWith("pc1"));
    expect(pc?.shocks.map((s) => s.asset)).toEqual(["ETH"]);
  });
});

describe("principalComponentScenario", () => {
  test("golden: one asset, σ 80%, 1 day → exp(−3·0.8·√(1/365)) − 1", () => {
    const s = principalComponentScenario(estimate(["ETH"], [0.8], [[1]]), Y);
    const expected = Math.expm1(-3 * 0.8 * Math.sqrt(86_400 / Y));
    expect(Number(s?.shocks[0].pct)).toBeCloseTo(expected, 6);
    expect(expected).toBeCloseTo(-0.1181, 4);
  });

  test("behavior: a negatively loaded asset moves up (hedge), the main factor down", () => {
    const vol = estimate(["BTC", "ETH"], [0.5, 1.0], [
      [1, -0.9],
      [-0.9, 1],
    ]);
    const s = principalComponentScenario(vol, Y)!;
    const byAsset = Object.fromEntries(s.shocks.map((x) => [x.asset, Number(x.pct)]));
    // v ≈ (−0.44, 0.90): Σv > 0, so the down move sells ETH and lifts BTC
    expect(byAsset.ETH).toBeLessThan(0);
    expect(byAsset.BTC).toBeGreaterThan(0);
  });

  test("behavior: a zero covariance has no PC scenario", () => {
    expect(principalComponentScenario(estimate(["ETH"], [0], [[1]]), Y)).toBeNull();
  });

  test("behavior: never below −99%", () => {
    const s = principalComponentScenario(estimate(["ETH"], [50], [[1]]), Y)!;
    expect(Number(s.shocks[0].pct)).toBe(-0.99);
  });
});

describe("validateScenario", () => {
  test("default: a good scenario is normalised", () => {
    const out = validateScenario(
      { name: "eth crash", shocks: [{ asset: "ETH", pct: " -0.400 " }], unreachableChains: [1337003, 1337002, 1337003], latencyMultiplier: "2.50" },
      config,
    );
    expect(out).toEqual({
      name: "eth crash",
      shocks: [{ asset: "ETH", pct: "-0.4" }],
      unreachableChains: [1337002, 1337003],
      latencyMultiplier: "2.5",
    });
  });

  test("behavior: unknown asset lists the known ones", () => {
    const issues = issuesOf(() => validateScenario({ name: "x", shocks: [{ asset: "DOGE", pct: "-0.1" }] }, config));
    expect(issues).toEqual([
      { path: "shocks[0].asset", message: "unknown asset 'DOGE'; expected one of ['ARB', 'BTC', 'ETH', 'SOL', 'USDC']" },
    ]);
  });

  test("boundary: pct −1 and 10.000001 are refused, −0.999999 and 10 accepted", () => {
    expect(issuesOf(() => validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "-1" }] }, config))[0].path).toBe("shocks[0].pct");
    expect(issuesOf(() => validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "10.000001" }] }, config))[0].message).toMatch(
      /outside \(-1, 10\]/,
    );
    expect(validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "-0.999999" }] }, config).shocks[0].pct).toBe("-0.999999");
    expect(validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "10" }] }, config).shocks[0].pct).toBe("10");
  });

  test("behavior: not a number, unknown chain, latency ≤ 0, duplicate asset, empty name: all listed at once", () => {
    const bad = {
      name: "",
      shocks: [
        { asset: "ETH", pct: "ten" },
        { asset: "BTC", pct: "-0.1" },
        { asset: "BTC", pct: "-0.2" },
      ],
      unreachableChains: [1, 1337001],
      latencyMultiplier: "0",
    } as StressScenario;
    const issues = issuesOf(() => validateScenario(bad, config));
    expect(issues.map((i) => i.path)).toEqual(["name", "shocks[0].pct", "shocks[2].asset", "unreachableChains[0]", "latencyMultiplier"]);
    expect(issues[3].message).toBe("unknown chain 1; expected one of [1337001, 1337002, 1337003]");
    expect(() => validateScenario(bad, config)).toThrow(/Scenario '\(unnamed\)' is invalid \(5 problems\)/);
  });

  test("behavior: negative latency multiplier and malformed pct strings", () => {
    expect(issuesOf(() => validateScenario({ name: "x", shocks: [], latencyMultiplier: "-2" }, config))[0].path).toBe("latencyMultiplier");
    expect(issuesOf(() => validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "0x10" }] }, config))[0].path).toBe("shocks[0].pct");
    expect(issuesOf(() => validateScenario({ name: "x", shocks: [{ asset: "ETH", pct: "Infinity" }] }, config))[0].path).toBe("shocks[0].pct");
  });
});

describe("shockMultipliers", () => {
  test("default: 1 + pct, exact", () => {
    expect(shockMultipliers({ name: "x", shocks: [{ asset: "ETH", pct: "-0.35" }, { asset: "BTC", pct: "0.1" }] })).toEqual({
      ETH: "0.65",
      BTC: "1.1",
    });
  });
});
