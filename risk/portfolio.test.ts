import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { D } from "./decimal.js";
import { prepareEnvironment } from "./environment.js";
import { evaluateAccount } from "./evaluateAccount.js";
import { marginEfficiency, portfolioModeRequirement, portfolioRequirement } from "./portfolio.js";
import { address, CHAIN_L1, CHAIN_L2A, envInput, NOW, testConfig } from "./testing.js";
import type { AccountState, VolatilityEstimate } from "./types.js";

const Y = 31_536_000;
const E18 = 10n ** 18n;

function vol(rhoBtcEth: number): VolatilityEstimate {
  const assets = ["BTC", "ETH"];
  return {
    assets,
    sigmaEwmaAnnual: { BTC: 0.6, ETH: 0.8 },
    sigmaAnnual: { BTC: 0.6, ETH: 0.8 },
    covarianceAnnual: [[0.36, rhoBtcEth * 0.48], [rhoBtcEth * 0.48, 0.64]],
    correlation: [[1, rhoBtcEth], [rhoBtcEth, 1]],
    samples: { BTC: 500, ETH: 500 },
    asOf: NOW,
  };
}

describe("portfolioRequirement", () => {
  const env = prepareEnvironment(testConfig(), envInput({ volatility: vol(0.8) }));
  test("default: e_ETH = 10,000, σ 0.8, T = 1 day, z 2.326 → 2.326·8000·√(1/365)", () => {
    const pmr = portfolioRequirement({ ETH: new D(10_000) }, 86_400, "2.326", env);
    expect(pmr.toNumber()).toBeCloseTo(2.326 * 8000 * Math.sqrt(86_400 / Y), 9);
  });
  test("boundary: zero exposure, zero horizon → 0", () => {
    expect(portfolioRequirement({}, 86_400, "2.326", env).isZero()).toBe(true);
    expect(portfolioRequirement({ ETH: new D(10_000) }, 0, "2.326", env).isZero()).toBe(true);
  });
  test("behavior: correlation — long BTC / short ETH is cheaper at ρ 0.8 than the sum of the two", () => {
    const e = { BTC: new D(10_000), ETH: new D(-10_000) };
    const hedged = portfolioRequirement(e, 86_400, "2.326", env).toNumber();
    const sd = Math.sqrt(6000 ** 2 + 8000 ** 2 - 2 * 0.8 * 6000 * 8000);
    expect(hedged).toBeCloseTo(2.326 * sd * Math.sqrt(86_400 / Y), 9);
  });
  test("behavior: no estimate → worst-case correlation Σ|e|σfloor (missing data never lowers PMR)", () => {
    const noVol = prepareEnvironment(testConfig(), envInput({ volatility: null }));
    const e = { BTC: new D(10_000), ETH: new D(-10_000) };
    const pmr = portfolioRequirement(e, 86_400, "2.326", noVol).toNumber();
    expect(pmr).toBeCloseTo(2.326 * (10_000 * 0.4 + 10_000 * 0.45) * Math.sqrt(86_400 / Y), 9);
  });
  test("property: 0 ≤ PMR ≤ worst-case bound, and PMR is homogeneous of degree 1 in e (to rounding)", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), (b, e, rho) => {
        const v = prepareEnvironment(testConfig(), envInput({ volatility: vol(rho) }));
        const x = { BTC: new D(b), ETH: new D(e) };
        const pmr = portfolioRequirement(x, 3600, "2.326", v);
        const bound = new D("2.326").times(new D(b).abs().times("0.6").plus(new D(e).abs().times("0.8"))).times(new D(3600).div(Y).sqrt());
        expect(pmr.gte(0)).toBe(true);
        expect(pmr.lte(bound.plus("1e-12"))).toBe(true);
        const twice = portfolioRequirement({ BTC: new D(b).times(2), ETH: new D(e).times(2) }, 3600, "2.326", v);
        expect(twice.minus(pmr.times(2)).abs().lte("1e-17")).toBe(true);
      }),
    );
  });
  test("helpers: efficiency and the portfolio-mode charge", () => {
    expect(marginEfficiency(new D(0), new D(300))!.toString()).toBe("1");
    expect(marginEfficiency(new D(1), new D(0))).toBeNull();
    expect(portfolioModeRequirement(new D(10), new D(300), new D("0.2")).toString()).toBe("60");
    expect(portfolioModeRequirement(new D(100), new D(300), new D("0.2")).toString()).toBe("100");
  });
});

describe("a long perp on one chain hedged by an equal short on another", () => {
  const hedged: AccountState = {
    address: address(7),
    collateral: [],
    debt: [],
    positions: [
      { chainId: CHAIN_L1, marketId: 1, asset: "ETH", sizeRaw: 10n * E18, entryPriceRaw: 3000n * 10n ** 8n, priceDecimals: 8, fundingIndexX18: 0n },
      { chainId: CHAIN_L2A, marketId: 1, asset: "ETH", sizeRaw: -10n * E18, entryPriceRaw: 3000n * 10n ** 8n, priceDecimals: 8, fundingIndexX18: 0n },
    ],
  };
  test("PMR ≈ 0 while the gross MR counts both legs", () => {
    const r = evaluateAccount(hedged, prepareEnvironment(testConfig(), envInput({ volatility: vol(0.8) })));
    expect(r.grossRequirementUsd.toString()).toBe("1800"); // 2 × 10 × 3000 × 0.03
    expect(r.portfolioRequirementUsd.isZero()).toBe(true);
    expect(r.marginEfficiency!.toString()).toBe("1");
    expect(r.maintenanceHealthUsd.toString()).toBe("-1800"); // standard mode charges the gross MR
  });
  test("with USDC collateral the PMR is only the stablecoin's own risk (< 0.1% of gross)", () => {
    const withCash = { ...hedged, collateral: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: 5000_000000n, decimals: 6 }] };
    const r = evaluateAccount(withCash, prepareEnvironment(testConfig(), envInput({ volatility: vol(0.8) })));
    expect(r.portfolioRequirementUsd.gt(0)).toBe(true);
    expect(r.portfolioRequirementUsd.div(r.grossRequirementUsd).lt("0.001")).toBe(true);
  });
  test("portfolio mode charges max(PMR, 0.2·gross) = 360", () => {
    const env = prepareEnvironment(testConfig({ params: { marginMode: "portfolio" } }), envInput({ volatility: vol(0.8) }));
    const r = evaluateAccount(hedged, env);
    expect(r.maintenanceHealthUsd.toString()).toBe("-360");
  });
});
