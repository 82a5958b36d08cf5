import { describe, expect, test } from "vitest";
import { D } from "../decimal.js";
import { prepareEnvironment, steppedLagSeconds } from "../environment.js";
import { haircutPair } from "../haircut.js";
import { envInput, NOW, testConfig } from "../testing.js";
import { aaveAccountRule, aaveLiquidationPrices } from "./aaveRule.js";
import { aaveAccountSnapshot } from "./aaveSnapshot.js";
import { aaveAccountView, aaveViewContext, type AaveViewContext } from "./aaveView.js";
import { DomainInputError } from "./errors.js";
import { ALICE, BOB, FIXTURE_SYMBOLS, GOLDEN_TIMESTAMP, goldenMarket, market, plainReserves, testViewContext, USDC, WBTC, WETH } from "./testing.js";

const symbols = FIXTURE_SYMBOLS;
const ctx = (over: Partial<AaveViewContext> = {}, sigma?: Record<string, string>): AaveViewContext => testViewContext(over, sigma);

describe("aaveAccountView", () => {
  // Aave floors each value to base units (1e-8 USD) and rounds percentMul / wadDiv half up; the view
  // values items exactly at 18 decimals: they agree to ~1e-10 relative, not to the wei.
  test("default: with σ = 0 and one collateral the view's HF is Aave's (to 1e-10 relative)", () => {
    const s = goldenMarket();
    const snap = aaveAccountSnapshot(s, BOB, GOLDEN_TIMESTAMP);
    const view = aaveAccountView(snap, ctx());
    const rule = aaveAccountRule(snap);
    const aave = new D(rule.healthFactorWad!.toString()).div(1e18);
    expect(view.healthFactor!.minus(aave).abs().div(aave).lt("1e-10")).toBe(true);
    expect(view.tier).toBe("SAFE");
    expect(view.degraded).toBe(false);
    // same-chain horizon: finality 60 s + the lag stepped to one 5 s step, no messaging latency
    expect(view.latencySeconds).toEqual({ configured: 60, measuredLag: 5, total: 65 });
  });

  // 1 WETH at 2000 (LT 82.5%, LTV 80%) against 1000 USDC, σ_ETH 0.7, T = 65 s: each term by the
  // vault model's own haircut (risk/haircut.ts), USDC σ 0.
  test("golden: haircut maintenance and initial health from the vault model's haircuts", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [WETH]: 10n ** 18n }, borrowed: { [USDC]: 1_000_000_000n } }] });
    const view = aaveAccountView(aaveAccountSnapshot(s, ALICE, 1n), ctx({}, { USDC: "0", ETH: "0.7", BTC: "0" }));
    const m = haircutPair("0.7", "2.326", 65, 31_536_000);
    const i = haircutPair("0.7", "2.576", 130, 31_536_000);
    expect(m.haircut.toFixed(8)).toBe("0.00233482"); // 1 − exp(−2.326·0.7·√(65/31,536,000))
    const cm = new D(2000).times("0.825").times(new D(1).minus(m.haircut)).toDecimalPlaces(18, D.ROUND_FLOOR);
    const ci = new D(2000).times("0.8").times(new D(1).minus(i.haircut)).toDecimalPlaces(18, D.ROUND_FLOOR);
    expect(view.maintenanceHealthUsd.toString()).toBe(cm.minus(1000).toString());
    expect(view.initialHealthUsd.toString()).toBe(ci.minus(1000).toString());
    expect(view.equityUsd.toString()).toBe("1000");
    expect(view.healthFactor!.toFixed(6)).toBe(cm.div(1000).toFixed(6));
    // P* where healthM = 0: 1000 / (0.825·(1 − hM)) ≈ 1215.06
    expect(view.liquidationPrices).toHaveLength(1);
    expect(view.liquidationPrices[0].priceUsd.toFixed(6)).toBe(new D(1000).div(new D("0.825").times(new D(1).minus(m.haircut))).toFixed(6));
  });

  test("behavior: with σ = 0 the linear liquidation price agrees with the protocol's exact one up to the bps floor", () => {
    const snap = aaveAccountSnapshot(goldenMarket(), BOB, GOLDEN_TIMESTAMP);
    const view = aaveAccountView(snap, ctx());
    const exact = aaveLiquidationPrices(snap)[0];
    const p = new D(exact.priceBase.toString()).div(1e8);
    expect(view.liquidationPrices[0].priceUsd.minus(p).abs().div(p).lt("1e-9")).toBe(true);
  });

  test("behavior: the tiers of docs/risk-model.md", () => {
    const at = (usdcDebt: bigint, sigmaEth = "0") =>
      aaveAccountView(aaveAccountSnapshot(market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [WETH]: 10n ** 18n }, borrowed: { [USDC]: usdcDebt } }] }), ALICE, 1n), ctx({}, { USDC: "0", ETH: sigmaEth, BTC: "0" })).tier;
    expect(at(1_500_000_000n)).toBe("SAFE"); // 1600 ≥ 1500 initial
    expect(at(1_620_000_000n)).toBe("MARGIN_CALL"); // below 1600 (LTV) but above 1650 (LT)
    expect(at(1_600_000_000n)).toBe("SAFE"); // exactly 0 initial health is the safer tier
    expect(at(1_700_000_000n)).toBe("LIQUIDATABLE");
    expect(at(2_100_000_000n)).toBe("INSOLVENT");
    expect(at(1_640_000_000n, "3")).toBe("LIQUIDATABLE"); // the haircut alone pushes it over
  });

  test("behavior: a stale chain zeroes collateral in health, not in equity (the lower bound), and says why", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [WETH]: 10n ** 18n }, borrowed: { [USDC]: 1_000_000_000n } }] });
    const snap = aaveAccountSnapshot(s, ALICE, 1n);
    const stale = aaveAccountView(snap, ctx({ blockTimestamp: 1_000 - 500 }));
    expect(stale.degradedReasons).toEqual([{ code: "CHAIN_STALE", chainId: 1, lagSeconds: 500, maxSeconds: 120 }]);
    expect(stale.maintenanceHealthUsd.toString()).toBe("-1000");
    expect(stale.equityUsd.toString()).toBe("1000");
    expect(stale.tier).toBe("LIQUIDATABLE");
    expect(stale.items.find((x) => x.kind === "collateral")!.zeroedByStaleness).toBe(true);
    const unindexed = aaveAccountView(snap, ctx({ blockTimestamp: null }));
    expect(unindexed.degradedReasons).toEqual([{ code: "CHAIN_NOT_INDEXED", chainId: 1 }]);
    const c = ctx();
    const priceStale = aaveAccountView(snap, { ...c, assets: { ...c.assets, ETH: { sigmaAnnual: new D(0), priceStale: true } } });
    expect(priceStale.degradedReasons).toEqual([{ code: "PRICE_STALE", asset: "ETH" }]);
    expect(priceStale.maintenanceHealthUsd.isNeg()).toBe(true);
  });

  test("boundary: no debt → health factor null, no liquidation prices, SAFE", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 1n } }] });
    const v = aaveAccountView(aaveAccountSnapshot(s, ALICE, 1n), ctx());
    expect(v.healthFactor).toBeNull();
    expect(v.liquidationPrices).toEqual([]);
    expect(v.tier).toBe("SAFE");
    expect(v.collateralValueUsd.toString()).toBe("0.000001");
  });

  test("behavior: an Aave asset without a risk symbol is an error naming the asset", () => {
    const snap = aaveAccountSnapshot(goldenMarket(), ALICE, GOLDEN_TIMESTAMP);
    expect(() => aaveAccountView(snap, ctx({ symbols: new Map([[USDC, "USDC"]]) }))).toThrow(DomainInputError);
  });

  test("behavior: the context from the vault model's environment takes σ, z, year and lag step from the same tick", () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput());
    const c = aaveViewContext(env, { chainId: 1, blockTimestamp: NOW, finalitySeconds: 60, maxDataLagSeconds: 120, symbols });
    expect(c.assets.ETH.sigmaAnnual.toString()).toBe(env.assets.ETH.sigmaAnnual.toString());
    expect(c.assets.ETH.priceStale).toBe(false);
    expect(c.lagStepSeconds).toBe(config.params.lagStepSeconds);
    expect(c.now).toBe(NOW);
    const v = aaveAccountView(aaveAccountSnapshot(goldenMarket(), ALICE, GOLDEN_TIMESTAMP), c);
    expect(v.items.find((x) => x.symbol === "BTC")!.haircutMaintenance.toString()).toBe(haircutPair(env.assets.BTC.sigmaAnnual, env.zMaintenance, 60 + steppedLagSeconds(0, c.lagStepSeconds), 31_536_000).haircut.toString());
  });
});
