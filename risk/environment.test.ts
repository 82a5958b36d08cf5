import { describe, expect, test } from "vitest";
import { haircut } from "./haircut.js";
import fc from "fast-check";
import { prepareEnvironment, steppedLagSeconds, withAssetPrice } from "./environment.js";
import { D } from "./decimal.js";
import { CHAIN_L1, CHAIN_L2A, CHAIN_L2B, envInput, freshChains, NOW, testConfig } from "./testing.js";
import type { VolatilityEstimate } from "./types.js";

const Y = 31_536_000;

describe("prepareEnvironment", () => {
  test("default: T_c = configured latency + measured lag; hM at zM and T, hI at zI and 2T; σ floors without an estimate", () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput({ chains: [...freshChains(NOW, 30)] }));
    const c = env.chains[CHAIN_L2B];
    expect(c.measuredLagSeconds).toBe(30);
    expect(c.totalLatencySeconds.toNumber()).toBe(1230);
    expect(c.stale).toBe(false);
    const h = env.haircuts.ETH[CHAIN_L2B];
    expect(h.maintenance.eq(haircut("0.45", "2.326", 1230, Y))).toBe(true);
    expect(h.initial.eq(haircut("0.45", "2.576", 2460, Y))).toBe(true);
    expect(h.latencySeconds).toEqual({ configured: 1200, measuredLag: 30, total: 1230 });
    expect(h.collateralWeightM.eq(new D("0.85").times(h.maintenance.neg().plus(1)))).toBe(true);
  });
  test("behavior: the estimate's σ is used when above the floor, the floor otherwise", () => {
    const config = testConfig();
    const vol: VolatilityEstimate = {
      assets: ["ETH", "BTC"],
      sigmaEwmaAnnual: { ETH: 0.9, BTC: 0.1 },
      sigmaAnnual: { ETH: 0.9, BTC: 0.4 },
      covarianceAnnual: [[0.81, 0.2], [0.2, 0.16]],
      correlation: [[1, 0.55], [0.55, 1]],
      samples: { ETH: 100, BTC: 100 },
      asOf: NOW,
    };
    const env = prepareEnvironment(config, envInput({ volatility: vol }));
    expect(env.assets.ETH.sigmaAnnual.toNumber()).toBe(0.9);
    expect(env.assets.BTC.sigmaAnnual.toNumber()).toBe(0.4);
    expect(env.assets.SOL.sigmaAnnual.toNumber()).toBe(0.7);
    expect(env.covarianceKnown).toEqual([true, true, false, false]); // BTC, ETH, SOL, USDC
    expect(env.covariance[0][1]!.toNumber()).toBeCloseTo(0.55 * 0.4 * 0.9, 12);
  });
  test("boundary: lag above maxDataLagSeconds → CHAIN_STALE; no freshness → CHAIN_NOT_INDEXED; future block → lag 0", () => {
    const config = testConfig();
    const env = prepareEnvironment(
      config,
      envInput({
        chains: [
          { chainId: CHAIN_L1, blockNumber: 1n, blockTimestamp: NOW - 121 },
          { chainId: CHAIN_L2A, blockNumber: 1n, blockTimestamp: NOW + 5 },
        ],
      }),
    );
    expect(env.chains[CHAIN_L1].reason).toEqual({ code: "CHAIN_STALE", chainId: CHAIN_L1, lagSeconds: 121, maxSeconds: 120 });
    expect(env.chains[CHAIN_L2A].measuredLagSeconds).toBe(0);
    expect(env.chains[CHAIN_L2A].reason).toBeNull();
    expect(env.chains[CHAIN_L2B].reason).toEqual({ code: "CHAIN_NOT_INDEXED", chainId: CHAIN_L2B });
    expect(env.fast.chainZeroed).toEqual(new Uint8Array([1, 0, 1]));
  });
  test("boundary: a stepped lag rounds up to whole steps, at least one; stale compares the stepped lag", () => {
    const config = testConfig({ params: { lagStepSeconds: 5 } });
    const at = (lag: number) => prepareEnvironment(config, envInput({ chains: freshChains(NOW, lag) })).chains[CHAIN_L1];
    expect(at(0).measuredLagSeconds).toBe(5);
    expect(at(0).totalLatencySeconds.toNumber()).toBe(905);
    expect(at(5).measuredLagSeconds).toBe(5);
    expect(at(6).measuredLagSeconds).toBe(10);
    expect(at(120).stale).toBe(false); // 120 is a whole number of steps
    expect(at(116).measuredLagSeconds).toBe(120);
    expect(at(121).stale).toBe(true);
    expect(at(121).reason).toEqual({ code: "CHAIN_STALE", chainId: CHAIN_L1, lagSeconds: 125, maxSeconds: 120 });
    // every lag inside one step gives the same haircuts (what lets the risk book keep its reports)
    expect(at(1).totalLatencySeconds.eq(at(4).totalLatencySeconds)).toBe(true);
  });
  test("property: steppedLagSeconds never understates the lag, overstates it by less than one step, and step 0 is exact", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e7, noNaN: true }), fc.integer({ min: 1, max: 3600 }), (raw, step) => {
        const lag = steppedLagSeconds(raw, step);
        const clamped = Math.max(0, raw);
        expect(lag).toBeGreaterThanOrEqual(clamped);
        expect(lag - clamped).toBeLessThanOrEqual(step);
        expect(lag % step).toBe(0);
        expect(lag).toBeGreaterThanOrEqual(step);
        expect(steppedLagSeconds(raw, 0)).toBe(clamped);
      }),
    );
  });
  test("behavior: a lag exactly at maxDataLagSeconds is not stale", () => {
    const env = prepareEnvironment(testConfig(), envInput({ chains: freshChains(NOW, 120) }));
    expect(env.chains[CHAIN_L1].stale).toBe(false);
  });
  test("scenario: price multipliers shock the marks, latency multiplier scales configured latency only, unreachable chains", () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput({ chains: freshChains(NOW, 10) }), {
      priceMultipliers: { ETH: "0.65" },
      latencyMultiplier: 4,
      unreachableChains: [CHAIN_L2A],
    });
    expect(env.marks.ETH.priceUsd!.toString()).toBe("3000");
    expect(env.shockedMarks.ETH.priceUsd!.toString()).toBe("1950");
    expect(env.assets.ETH.band.last!.toString()).toBe("1950");
    expect(env.chains[CHAIN_L1].totalLatencySeconds.toNumber()).toBe(900 * 4 + 10);
    expect(env.chains[CHAIN_L2A].reason).toEqual({ code: "CHAIN_UNREACHABLE", chainId: CHAIN_L2A });
    expect(env.fast.chainUnreachable).toEqual(new Uint8Array([0, 1, 0]));
    expect(() => prepareEnvironment(config, envInput(), { priceMultipliers: { ETH: -1 } })).toThrow(/≥ 0/);
  });
  test("behavior: deterministic — same inputs in any order give the same environment", () => {
    const config = testConfig();
    const input = envInput();
    const a = prepareEnvironment(config, input);
    const b = prepareEnvironment(config, { ...input, observations: [...input.observations].reverse(), chains: [...input.chains].reverse() });
    const dump = (e: typeof a) => JSON.stringify({ m: e.marks, h: e.haircuts, c: e.chains }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(dump(a)).toBe(dump(b));
  });
  test("withAssetPrice replaces one asset's prices in both the decimal and the float copies", () => {
    const env = prepareEnvironment(testConfig(), envInput());
    const moved = withAssetPrice(env, "ETH", new D(2500));
    expect(moved.assets.ETH.band.mark!.toNumber()).toBe(2500);
    expect(moved.fast.assetLast[moved.assets.ETH.index]).toBe(2500);
    expect(env.fast.assetLast[env.assets.ETH.index]).toBe(3000);
  });
});
