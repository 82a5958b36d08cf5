import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ADDR } from "../../../config/fixtures.js";
import { mapMarketListed } from "./markets.js";
import { mapPositionLiquidated, mapPositionUpdated } from "./positions.js";
import { MemoryStore, l1Lookup, metaAt } from "./testing.js";
import type { Hex } from "./types.js";

const chain = l1Lookup();
const ALICE = "0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa" as const;
const alice = ALICE.toLowerCase();
const LIQ = "0x00000000000000000000000000000000000000Cc" as const;
const X18 = 10n ** 18n;

function trade(account: Hex, oldSize: bigint, sizeDelta: bigint, block: number, extra: Partial<Parameters<typeof mapPositionUpdated>[0]> = {}) {
  return mapPositionUpdated(
    {
      account,
      marketId: 1,
      sizeDelta,
      newSize: oldSize + sizeDelta,
      newEntryPrice: 3000_00000000n,
      executionPrice: 3000_00000000n,
      realizedPnl: 0n,
      fundingPaid: 0n,
      fundingIndex: 0n,
      newCash: 0n,
      ...extra,
    },
    metaAt(block),
    chain,
  );
}

describe("position mappers", () => {
  test("default: open writes position, cash, open interest, ledger POSITION", () => {
    const store = new MemoryStore();
    store.apply(mapMarketListed({ marketId: 1, feed: ADDR.ethFeedL1, maxLeverage: 20n * X18 }, metaAt(1), chain));
    store.apply(trade(ALICE, 0n, 2n * X18, 2, { newCash: -5n, fundingPaid: 5n, fundingIndex: 77n }));
    expect(store.get("position", { chainId: 1337001, account: alice, marketId: 1 })).toMatchObject({
      asset: "ETH",
      sizeRaw: 2n * X18,
      entryPriceRaw: 3000_00000000n,
      fundingIndexX18: 77n,
      realizedPnlRaw: 0n,
      flag: null,
    });
    expect(store.get("cash", { chainId: 1337001, account: alice })).toMatchObject({ quoteToken: ADDR.usdcL1.toLowerCase(), asset: "USDC", decimals: 6, amountRaw: -5n });
    expect(store.get("market", { chainId: 1337001, marketId: 1 })).toMatchObject({ openInterestLongRaw: 2n * X18, openInterestShortRaw: 0n, flag: null, maxLeverageX18: 20n * X18 });
    expect(store.rows("ledger")[1]).toMatchObject({ kind: "POSITION", amountRaw: 2n * X18, newValueRaw: 2n * X18, fundingPaidRaw: 5n, cashRaw: -5n, fundingIndexX18: 77n });
  });

  test("behavior: realized PnL accumulates; flip moves OI from long to short", () => {
    const store = new MemoryStore();
    store.apply(trade(ALICE, 0n, 3n, 1));
    store.apply(trade(ALICE, 3n, -1n, 2, { realizedPnl: 10n }));
    store.apply(trade(ALICE, 2n, -5n, 3, { realizedPnl: -4n }));
    expect(store.get("position", { chainId: 1337001, account: alice, marketId: 1 })).toMatchObject({ sizeRaw: -3n, realizedPnlRaw: 6n });
    expect(store.get("market", { chainId: 1337001, marketId: 1 })).toMatchObject({ openInterestLongRaw: 0n, openInterestShortRaw: 3n, flag: "UNLISTED_MARKET" });
  });

  test("behavior: liquidation closes the position and records it", () => {
    const store = new MemoryStore();
    store.apply(trade(ALICE, 0n, -4n, 1, { fundingIndex: 9n }));
    store.apply(
      mapPositionLiquidated(
        { account: ALICE, marketId: 1, liquidator: LIQ, sizeClosed: -4n, executionPrice: 3500_00000000n, realizedPnl: -2000n, fundingPaid: 1n, newCash: -2001n },
        metaAt(2, 5),
        chain,
      ),
    );
    expect(store.get("position", { chainId: 1337001, account: alice, marketId: 1 })).toMatchObject({ sizeRaw: 0n, entryPriceRaw: 0n, fundingIndexX18: 9n, realizedPnlRaw: -2000n });
    expect(store.get("market", { chainId: 1337001, marketId: 1 })).toMatchObject({ openInterestLongRaw: 0n, openInterestShortRaw: 0n });
    expect(store.get("cash", { chainId: 1337001, account: alice })?.amountRaw).toBe(-2001n);
    expect(store.rows("liquidation")).toEqual([
      expect.objectContaining({ id: "2-5", kind: "position", marketId: 1, asset: "ETH", amountRaw: -4n, priceRaw: 3500_00000000n, realizedPnlRaw: -2000n, token: null }),
    ]);
    expect(store.rows("ledger")[1]).toMatchObject({ kind: "POSITION_LIQUIDATED", counterparty: LIQ.toLowerCase(), amountRaw: -4n, newValueRaw: 0n });
  });

  test("behavior: unknown market is stored with asset null and UNKNOWN_MARKET", () => {
    const store = new MemoryStore();
    store.apply(mapPositionUpdated({ account: ALICE, marketId: 77, sizeDelta: 1n, newSize: 1n, newEntryPrice: 1n, executionPrice: 1n, realizedPnl: 0n, fundingPaid: 0n, fundingIndex: 0n, newCash: 0n }, metaAt(1), chain));
    expect(store.get("position", { chainId: 1337001, account: alice, marketId: 77 })).toMatchObject({ asset: null, flag: "UNKNOWN_MARKET" });
    expect(store.get("market", { chainId: 1337001, marketId: 77 })).toMatchObject({ asset: null, flag: "UNKNOWN_MARKET,UNLISTED_MARKET" });
  });

  test("property: open interest equals the positions' long and short sums after any trades and liquidations", () => {
    const accounts: Hex[] = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"];
    const action = fc.record({ who: fc.integer({ min: 0, max: 2 }), delta: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), liquidate: fc.boolean() });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const store = new MemoryStore();
        const sizes = [0n, 0n, 0n];
        actions.forEach((a, i) => {
          if (a.liquidate && sizes[a.who] !== 0n) {
            store.apply(
              mapPositionLiquidated(
                { account: accounts[a.who], marketId: 1, liquidator: LIQ, sizeClosed: sizes[a.who], executionPrice: 1n, realizedPnl: 0n, fundingPaid: 0n, newCash: 0n },
                metaAt(i + 1),
                chain,
              ),
            );
            sizes[a.who] = 0n;
          } else if (a.delta !== 0n) {
            store.apply(trade(accounts[a.who], sizes[a.who], a.delta, i + 1));
            sizes[a.who] += a.delta;
          }
        });
        const market = store.get("market", { chainId: 1337001, marketId: 1 });
        const long = sizes.reduce((s, x) => s + (x > 0n ? x : 0n), 0n);
        const short = sizes.reduce((s, x) => s + (x < 0n ? -x : 0n), 0n);
        expect(market?.openInterestLongRaw ?? 0n).toBe(long);
        expect(market?.openInterestShortRaw ?? 0n).toBe(short);
        for (const [i, account] of accounts.entries()) {
          const position = store.get("position", { chainId: 1337001, account, marketId: 1 });
          expect(position?.sizeRaw ?? 0n).toBe(sizes[i]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
