import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { D } from "./decimal.js";
import { markPrices, medianDecimal, priceBand } from "./markPrice.js";
import { DEFAULT_RISK_PARAMS } from "./defaults.js";
import { CHAINS, NOW, price8, testConfig } from "./testing.js";
import type { PriceObservation } from "./types.js";

const assets = testConfig().assets;
const obs = (chainId: number, usd: string, age = 10, asset = "ETH"): PriceObservation => ({
  chainId,
  asset,
  answerRaw: price8(usd),
  decimals: 8,
  updatedAt: NOW - age,
});

describe("markPrices", () => {
  test("default: median of three fresh answers", () => {
    const m = markPrices([obs(CHAINS[0], "3000"), obs(CHAINS[1], "3010"), obs(CHAINS[2], "3020")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(m.priceUsd!.toString()).toBe("3010");
    expect(m.divergentChains).toEqual([]);
    expect(m.sources.map((s) => s.chainId)).toEqual(CHAINS);
  });
  test("behavior: a manipulated chain is flagged and left out, the median recomputed", () => {
    const m = markPrices([obs(CHAINS[0], "3000"), obs(CHAINS[1], "3001"), obs(CHAINS[2], "4500")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(m.divergentChains).toEqual([CHAINS[2]]);
    expect(m.priceUsd!.toString()).toBe("3000.5");
  });
  test("boundary: deviation exactly 2% is not divergent, just above is", () => {
    // median of [100, 102] after excluding nothing is 101; use three answers to pin the median at 100
    const at = markPrices([obs(CHAINS[0], "100"), obs(CHAINS[1], "100"), obs(CHAINS[2], "102")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(at.divergentChains).toEqual([]);
    const above = markPrices([obs(CHAINS[0], "100"), obs(CHAINS[1], "100"), obs(CHAINS[2], "102.00000001")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(above.divergentChains).toEqual([CHAINS[2]]);
    expect(above.priceUsd!.toString()).toBe("100");
  });
  test("boundary: stale answers (age > maxOracleAgeSeconds) and answers ≤ 0 are left out", () => {
    const m = markPrices([obs(CHAINS[0], "3000", 3601), obs(CHAINS[1], "3100", 3600), obs(CHAINS[2], "0")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(m.sources.map((s) => s.stale)).toEqual([true, false, true]);
    expect(m.priceUsd!.toString()).toBe("3100");
  });
  test("boundary: no observation → null mark, band all null", () => {
    const m = markPrices([], assets, DEFAULT_RISK_PARAMS, NOW).BTC;
    expect(m.priceUsd).toBeNull();
    expect(priceBand(m)).toEqual({ mark: null, low: null, high: null, last: null, priceStale: true });
  });
  test("behavior: two chains that disagree → no mark, conservative band from the fresh answers", () => {
    const m = markPrices([obs(CHAINS[0], "100"), obs(CHAINS[1], "110")], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    expect(m.priceUsd).toBeNull();
    expect(m.divergentChains).toEqual([CHAINS[0], CHAINS[1]]);
    const b = priceBand(m);
    expect([b.low!.toString(), b.high!.toString(), b.last!.toString(), b.priceStale]).toEqual(["100", "110", "105", false]);
  });
  test("behavior: all stale → band from the stale answers, last = most recent", () => {
    const m = markPrices([obs(CHAINS[0], "100", 5000), obs(CHAINS[1], "90", 4000)], assets, DEFAULT_RISK_PARAMS, NOW).ETH;
    const b = priceBand(m);
    expect([b.low!.toString(), b.high!.toString(), b.last!.toString(), b.priceStale]).toEqual(["90", "100", "90", true]);
  });
  test("behavior: the latest answer per chain wins; unknown assets are ignored", () => {
    const m = markPrices([obs(CHAINS[0], "100", 50), obs(CHAINS[0], "120", 20), obs(CHAINS[0], "1", 1, "DOGE")], assets, DEFAULT_RISK_PARAMS, NOW);
    expect(m.ETH.priceUsd!.toString()).toBe("120");
    expect("DOGE" in m).toBe(false);
  });
  test("property: one manipulated feed of three cannot move the mark outside the honest answers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000_00, max: 100_000_00 }),
        fc.double({ min: -0.015, max: 0.015, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.nat(2),
        fc.nat(5),
        (cents, spread, bad, badChain, order) => {
          const honestA = cents / 100;
          const honestB = Number((honestA * (1 + spread)).toFixed(2));
          const prices = [String(honestA), String(honestB)];
          prices.splice(badChain, 0, bad.toFixed(8));
          const list = prices.map((p, i) => obs(CHAINS[i], p));
          // input order must not matter either
          const rotated = [...list.slice(order % 3), ...list.slice(0, order % 3)];
          const m = markPrices(rotated, assets, DEFAULT_RISK_PARAMS, NOW).ETH.priceUsd!;
          expect(m).not.toBeNull();
          expect(m.gte(Math.min(honestA, honestB))).toBe(true);
          expect(m.lte(Math.max(honestA, honestB))).toBe(true);
        },
      ),
    );
  });
  test("medianDecimal: even count averages the middle two", () => {
    expect(medianDecimal([new D(4), new D(1), new D(3), new D(2)]).toString()).toBe("2.5");
  });
});
