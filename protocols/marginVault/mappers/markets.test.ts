import { describe, expect, test } from "vitest";
import { ADDR } from "../../../config/fixtures.js";
import { mapFundingUpdated, mapMarketListed, mapMarketModeChanged, mapMaxLeverageChanged, openInterestDelta } from "./markets.js";
import { MemoryStore, l1Lookup, metaAt } from "./testing.js";

const chain = l1Lookup();
const X18 = 10n ** 18n;

describe("openInterestDelta", () => {
  test("boundary: 0 → 0", () => expect(openInterestDelta(0n, 0n)).toEqual({ long: 0n, short: 0n }));
  test("open long, open short", () => {
    expect(openInterestDelta(0n, 5n)).toEqual({ long: 5n, short: 0n });
    expect(openInterestDelta(0n, -5n)).toEqual({ long: 0n, short: 5n });
  });
  test("flip long → short", () => expect(openInterestDelta(5n, -2n)).toEqual({ long: -5n, short: 2n }));
  test("reduce short", () => expect(openInterestDelta(-5n, -2n)).toEqual({ long: 0n, short: -3n }));
});

describe("market mappers", () => {
  test("default: listed, mode, leverage and funding update one row", () => {
    const store = new MemoryStore();
    store.apply(mapMarketListed({ marketId: 1, feed: ADDR.ethFeedL1, maxLeverage: 20n * X18 }, metaAt(1), chain));
    store.apply(mapMarketModeChanged({ marketId: 1, mode: 1 }, metaAt(2), chain));
    store.apply(mapMaxLeverageChanged({ marketId: 1, maxLeverage: 10n * X18 }, metaAt(3), chain));
    store.apply(mapFundingUpdated({ marketId: 1, fundingRate: -7n, cumulativeFundingIndex: 123n }, metaAt(4), chain));
    expect(store.rows("market")).toEqual([
      {
        chainId: 1337001,
        marketId: 1,
        feed: ADDR.ethFeedL1.toLowerCase(),
        asset: "ETH",
        mode: 1,
        maxLeverageX18: 10n * X18,
        fundingRateX18: -7n,
        cumulativeFundingX18: 123n,
        openInterestLongRaw: 0n,
        openInterestShortRaw: 0n,
        flag: null,
        updatedBlock: 4n,
        updatedTimestamp: metaAt(4).timestamp,
      },
    ]);
    expect(store.rows("ledger").map((r) => [r.kind, r.amountRaw ?? null, r.newValueRaw])).toEqual([
      ["MARKET_LISTED", null, 20n * X18],
      ["MARKET_MODE", null, 1n],
      ["MAX_LEVERAGE", null, 10n * X18],
      ["FUNDING", -7n, 123n],
    ]);
  });

  test("behavior: unknown market and a feed of another asset are flagged", () => {
    const store = new MemoryStore();
    store.apply(mapMarketListed({ marketId: 9, feed: ADDR.ethFeedL1, maxLeverage: 1n }, metaAt(1), chain));
    store.apply(mapMarketListed({ marketId: 2, feed: ADDR.ethFeedL1, maxLeverage: 1n }, metaAt(2), chain));
    expect(store.get("market", { chainId: 1337001, marketId: 9 })).toMatchObject({ asset: null, flag: "UNKNOWN_MARKET" });
    expect(store.get("market", { chainId: 1337001, marketId: 2 })).toMatchObject({ asset: "BTC", flag: "FEED_ASSET_MISMATCH" });
  });

  test("behavior: mode change on a market listed before startBlock creates a flagged row", () => {
    const store = new MemoryStore();
    store.apply(mapMarketModeChanged({ marketId: 1, mode: 2 }, metaAt(1), chain));
    expect(store.get("market", { chainId: 1337001, marketId: 1 })).toMatchObject({ asset: "ETH", mode: 2, flag: "UNLISTED_MARKET" });
  });
});
