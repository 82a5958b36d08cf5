import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { D } from "./decimal.js";
import { prepareEnvironment } from "./environment.js";
import { accountHealth, evaluateAccount } from "./evaluateAccount.js";
import { linearLiquidationPrice, liquidationPrices } from "./liquidationPrice.js";
import { address, CHAIN_L1, envInput, freshChains, generateAccounts, NOW, observationsAt, testConfig } from "./testing.js";
import type { AccountState, RiskConfig, VolatilityEstimate } from "./types.js";

describe("linearLiquidationPrice", () => {
  test("default: P* = P − healthM / k", () => {
    expect(linearLiquidationPrice(new D(500), new D(2000), new D(1))!.toString()).toBe("1500");
    expect(linearLiquidationPrice(new D(500), new D(2000), new D(-1))!.toString()).toBe("2500");
  });
  test("boundary: k = 0 or P* ≤ 0 → null", () => {
    expect(linearLiquidationPrice(new D(500), new D(2000), new D(0))).toBeNull();
    expect(linearLiquidationPrice(new D(5000), new D(2000), new D(2.5))).toBeNull();
    expect(linearLiquidationPrice(new D(5000), new D(2000), new D(1))).toBeNull();
  });
  test("behavior: sorted by asset, non-linear entries confirmed by the solver or left out", () => {
    const healthAt = (_a: string, p: D) => ({ healthUsd: p.minus(1000), scaleUsd: p.plus(1000) }); // health 0 at P = 1000
    const out = liquidationPrices(
      new D(1000),
      [
        { asset: "ETH", priceUsd: new D(2000), slope: new D(2), linear: false },
        { asset: "BTC", priceUsd: new D(1), slope: new D(0), linear: true },
      ],
      healthAt,
      new D(2000),
    );
    expect(out.map((o) => o.asset)).toEqual(["ETH"]);
    expect(out[0].priceUsd.minus(1000).abs().lt("1e-6")).toBe(true);
  });
});

/** Hyperliquid's liquidation price (docs: "Liquidations"): liq_px = px − side·margin_available/size/(1 − l·side), l = mmr. */
function hyperliquidLiqPx(px: number, size: number, entry: number, margin: number, l: number): number {
  const side = size > 0 ? 1 : -1;
  const abs = Math.abs(size);
  const accountValue = margin + size * (px - entry);
  const marginAvailable = accountValue - l * abs * px;
  return px - (side * marginAvailable) / abs / (1 - l * side);
}

describe("live-system check: Hyperliquid isolated perp (USD collateral M, cf 1, h 0)", () => {
  test("property: P* equals Hyperliquid's liq_px", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 100_000 }), // mark, whole USD
        fc.double({ min: 0.7, max: 1.3, noNaN: true }), // entry / mark
        fc.integer({ min: -50_000, max: 50_000 }).filter((n) => n !== 0), // size in 1e-3 ETH
        fc.integer({ min: 1, max: 10_000_000 }), // margin, whole USD
        fc.constantFrom("0.005", "0.01", "0.025", "0.03", "0.0625", "0.1"),
        (px, entryRatio, sizeMilli, margin, mmr) => {
          const config: RiskConfig = testConfig({
            latency: [0, 0, 0],
            assets: { USDC: { cfMaintenance: "1", cfInitial: "1" } },
            markets: { mmr, imr: mmr },
          });
          const entry = Number((px * entryRatio).toFixed(2));
          const env = prepareEnvironment(config, envInput({ observations: observationsAt({ ETH: px, USDC: "1", BTC: "1", SOL: "1" }, NOW), chains: freshChains(NOW, 0) }));
          const account: AccountState = {
            address: address(1),
            collateral: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: BigInt(margin) * 1_000000n, decimals: 6 }],
            debt: [],
            positions: [{ chainId: CHAIN_L1, marketId: 1, asset: "ETH", sizeRaw: BigInt(sizeMilli) * 10n ** 15n, entryPriceRaw: BigInt(Math.round(entry * 100)) * 10n ** 6n, priceDecimals: 8, fundingIndexX18: 0n }],
          };
          const ours = evaluateAccount(account, env).liquidationPrices.find((l) => l.asset === "ETH");
          const hl = hyperliquidLiqPx(px, sizeMilli / 1000, entry, margin, Number(mmr));
          if (hl <= 0) {
            expect(ours).toBeUndefined();
          } else {
            expect(ours).toBeDefined();
            expect(Math.abs(ours!.priceUsd.toNumber() - hl) / hl).toBeLessThan(1e-9);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

function volatility(): VolatilityEstimate {
  const assets = ["BTC", "ETH", "SOL", "USDC"];
  const sig = [0.6, 0.8, 1.1, 0.03];
  const rho = [
    [1, 0.8, 0.6, 0],
    [0.8, 1, 0.7, 0],
    [0.6, 0.7, 1, 0],
    [0, 0, 0, 1],
  ];
  return {
    assets,
    sigmaEwmaAnnual: Object.fromEntries(assets.map((a, i) => [a, sig[i]])),
    sigmaAnnual: Object.fromEntries(assets.map((a, i) => [a, sig[i]])),
    covarianceAnnual: rho.map((r, i) => r.map((x, j) => x * sig[i] * sig[j])),
    correlation: rho,
    samples: Object.fromEntries(assets.map((a) => [a, 1000])),
    asOf: NOW,
  };
}

describe("property: at the reported liquidation price the recomputed maintenance health is 0", () => {
  for (const mode of ["standard", "portfolio"] as const) {
    test(`${mode} mode, generated accounts across three chains with haircuts`, () => {
      const config = testConfig({ params: { marginMode: mode } });
      const input = envInput({ chains: freshChains(NOW, 20), volatility: volatility() });
      const env = prepareEnvironment(config, input);
      let checked = 0;
      for (const account of generateAccounts(mode === "standard" ? 300 : 120, mode === "standard" ? 5 : 6)) {
        const r = evaluateAccount(account, env);
        for (const { asset, priceUsd } of r.liquidationPrices) {
          const multiplier = priceUsd.div(env.assets[asset].band.mark!);
          // an independent route to "price of x at P*": the scenario multiplier on the observed marks
          const moved = prepareEnvironment(config, input, { priceMultipliers: { [asset]: multiplier.toFixed() } });
          const h = accountHealth(account, moved);
          expect(h.maintenanceHealthUsd.abs().lte(h.grossScaleUsd.times("1e-9"))).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(50);
    });
  }
});
