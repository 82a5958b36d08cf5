import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { generateAccounts as generateBook, generateFreshness, generateObservations, generateRiskConfig, GENERATED_NOW } from "../bench/generate.js";
import { compileBook } from "./compiled.js";
import type { EnvironmentInput } from "./environment.js";
import { curveScenarios, liquidationCurve } from "./liquidationCurve.js";
import { D } from "./decimal.js";
import { ScenarioError } from "./scenarios.js";
import { runScenario } from "./stress.js";
import { address, CHAIN_L1, envInput, NOW, observationsAt, testConfig } from "./testing.js";
import type { AccountState } from "./types.js";

const eth = (units: number) => BigInt(units) * 10n ** 18n;
const usdc = (units: number) => BigInt(units) * 10n ** 6n;

function spotAccount(i: number, ethUnits: number, debtUsdc: number): AccountState {
  return {
    address: address(i),
    collateral: [{ chainId: CHAIN_L1, asset: "ETH", amountRaw: eth(ethUnits), decimals: 18 }],
    debt: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: usdc(debtUsdc), decimals: 6 }],
    positions: [],
  };
}

describe("liquidationCurve: the stress engine's cascade per shock", () => {
  // The golden cascade of stress.test.ts: at −10% A then B are liquidated, D = 5,124.61.
  const config = testConfig({ latency: [0, 0, 0], assets: { ETH: { cfMaintenance: "0.8", cfInitial: "0.75", impactKappa: "0.5", depthUsd: "1000000" } } });
  const input = envInput({ observations: observationsAt({ ETH: "1000", USDC: "1", BTC: "60000", SOL: "150" }, NOW) });
  const book = compileBook([spotAccount(1, 100, 75_000), spotAccount(2, 100, 62_000), spotAccount(3, 100, 10_000)], config);
  const curve = liquidationCurve(book, config, input, { asset: "ETH", maxShockPct: "0.6", steps: 6 });

  test("default: steps + 1 points from 0 to −maxShockPct", () => {
    expect(curve.points.map((p) => p.shockPct.toString())).toEqual(["0", "-0.1", "-0.2", "-0.3", "-0.4", "-0.5", "-0.6"]);
    expect(curve.asset).toBe("ETH");
  });

  test("golden: no shock liquidates nobody; −10% is the hand-computed two-round cascade", () => {
    expect(curve.points[0]).toMatchObject({ liquidatedAccounts: 0, rounds: 0, deficiencyExact: true });
    expect(curve.points[0].deficiencyUsd.isZero()).toBe(true);
    const p = curve.points[1];
    expect(p.liquidatedAccounts).toBe(2);
    expect(p.rounds).toBe(2);
    expect(p.deficiencyUsd.toNumber()).toBeCloseTo(5124.61, 1);
    expect(p.deficiencyExact).toBe(false); // float sum rounded up to cents
  });

  test("behavior: each point equals runScenario for the same shock (volume exactly, deficiency to the cent)", () => {
    for (const p of curve.points) {
      const r = runScenario(book, config, input, { name: "x", shocks: [{ asset: "ETH", pct: p.shockPct.toString() }] });
      expect(p.liquidatedVolumeUsd.eq(r.liquidatedVolumeUsd)).toBe(true);
      expect(p.liquidatedAccounts).toBe(r.rounds.reduce((n, x) => n + x.liquidatedAccounts, 0));
      expect(p.deficiencyUsd.minus(r.deficiencyUsd).abs().lte("0.01")).toBe(true);
      expect(p.deficiencyUsd.gte(r.deficiencyUsd)).toBe(true); // rounded up, never below the exact sum
    }
  });

  test("behavior: a bad request names every problem (BAD_SCENARIO)", () => {
    let error: unknown;
    try {
      liquidationCurve(book, config, input, { asset: "DOGE", maxShockPct: "1.5", steps: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const e = error as ScenarioError;
    expect(e.code).toBe("BAD_SCENARIO");
    expect(e.issues.map((i) => i.path)).toEqual(["asset", "maxShockPct", "steps"]);
    expect(e.message).toContain("unknown asset 'DOGE'; expected one of ['BTC', 'ETH', 'SOL', 'USDC']");
    expect(() => liquidationCurve(book, config, input, { asset: "ETH", maxShockPct: "abc", steps: 3 })).toThrow(/'abc' is not a decimal/);
    expect(() => liquidationCurve(book, config, input, { asset: "ETH", maxShockPct: "0.5", steps: 61 })).toThrow(/not an integer from 1 to 60/);
  });

  test("behavior: shocks are exact decimals (no float drift in the labels)", () => {
    expect(curveScenarios("ETH", new D("0.6"), 12).map((s) => s.shocks[0].pct).slice(0, 4)).toEqual(["0", "-0.05", "-0.1", "-0.15"]);
    expect(curveScenarios("ETH", new D("0.5"), 3).map((s) => s.shocks[0].pct)).toEqual(["0", "-0.166667", "-0.333333", "-0.5"]);
  });
});

describe("liquidationCurve: properties", () => {
  const genConfig = generateRiskConfig({ accounts: 2_000 });
  const genInput: EnvironmentInput = { now: GENERATED_NOW, observations: generateObservations(), chains: generateFreshness(), volatility: null, fundingIndexX18: {} };

  test("property: on long-only books deficiency and liquidations never fall as the shock deepens", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom("ETH", "BTC", "SOL"), fc.integer({ min: 2, max: 12 }), (seed, asset, steps) => {
        const book = compileBook(generateBook(80, { seed, longShare: 1, maxLeverage: 6 }), genConfig);
        const { points } = liquidationCurve(book, genConfig, genInput, { asset, maxShockPct: "0.6", steps });
        expect(points).toHaveLength(steps + 1);
        for (let k = 1; k < points.length; k++) {
          expect(points[k].deficiencyUsd.gte(points[k - 1].deficiencyUsd)).toBe(true);
          expect(points[k].liquidatedAccounts).toBeGreaterThanOrEqual(points[k - 1].liquidatedAccounts);
        }
      }),
      { numRuns: 25 },
    );
  });
});
