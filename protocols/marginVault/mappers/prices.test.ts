import { describe, expect, test } from "vitest";
import { ADDR } from "../../../config/fixtures.js";
import { isNewerRound, mapAnswerUpdated } from "./prices.js";
import { MemoryStore, l1Lookup, metaAt } from "./testing.js";

const chain = l1Lookup();
const UNKNOWN = "0x9999999999999999999999999999999999999999" as const;
const feed = ADDR.ethFeedL1.toLowerCase() as `0x${string}`;
const other = "0x8888888888888888888888888888888888888888" as const;

describe("isNewerRound", () => {
  test("same feed: the higher round wins, even with an older updatedAt", () => {
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed, roundId: 6n, updatedAt: 50n })).toBe(true);
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed, roundId: 5n, updatedAt: 200n })).toBe(false);
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed, roundId: 4n, updatedAt: 200n })).toBe(false);
  });
  test("another feed: the later updatedAt wins, ties to the higher round", () => {
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed: other, roundId: 1n, updatedAt: 101n })).toBe(true);
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed: other, roundId: 9n, updatedAt: 99n })).toBe(false);
    expect(isNewerRound({ feed, roundId: 5n, updatedAt: 100n }, { feed: other, roundId: 6n, updatedAt: 100n })).toBe(true);
  });
});

describe("mapAnswerUpdated", () => {
  test("default: round stored, latest price set, ledger PRICE", () => {
    const store = new MemoryStore();
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 3000_00000000n, roundId: 1n, updatedAt: 1_700_000_000n }, metaAt(4, 2), chain));
    expect(store.rows("priceRound")).toEqual([
      { chainId: 1337001, feed, roundId: 1n, asset: "ETH", decimals: 8, answerRaw: 3000_00000000n, updatedAt: 1_700_000_000n, blockNumber: 4n, blockTimestamp: metaAt(4).timestamp, flag: null },
    ]);
    expect(store.get("latestPrice", { chainId: 1337001, asset: "ETH" })).toMatchObject({ feed, answerRaw: 3000_00000000n, roundId: 1n, decimals: 8, blockNumber: 4n });
    expect(store.rows("ledger")[0]).toMatchObject({ kind: "PRICE", token: feed, asset: "ETH", priceRaw: 3000_00000000n, roundId: 1n, oracleUpdatedAt: 1_700_000_000n });
  });

  test("behavior: an older round does not replace the latest price", () => {
    const store = new MemoryStore();
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 3100n, roundId: 7n, updatedAt: 200n }, metaAt(5), chain));
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 2900n, roundId: 6n, updatedAt: 300n }, metaAt(6), chain));
    expect(store.get("latestPrice", { chainId: 1337001, asset: "ETH" })).toMatchObject({ answerRaw: 3100n, roundId: 7n });
    expect(store.rows("priceRound")).toHaveLength(2);
  });

  test("boundary: zero and negative answers are stored flagged, never promoted", () => {
    const store = new MemoryStore();
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 3000n, roundId: 1n, updatedAt: 1n }, metaAt(1), chain));
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 0n, roundId: 2n, updatedAt: 2n }, metaAt(2), chain));
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: -(2n ** 255n), roundId: 3n, updatedAt: 3n }, metaAt(3), chain));
    expect(store.rows("priceRound").map((r) => [r.answerRaw, r.flag])).toEqual([
      [3000n, null],
      [0n, "NON_POSITIVE_PRICE"],
      [-(2n ** 255n), "NON_POSITIVE_PRICE"],
    ]);
    expect(store.get("latestPrice", { chainId: 1337001, asset: "ETH" })).toMatchObject({ answerRaw: 3000n, roundId: 1n });
  });

  test("behavior: unknown feed is stored with asset null, no latest price", () => {
    const store = new MemoryStore();
    store.apply(mapAnswerUpdated(UNKNOWN, { current: -1n, roundId: 1n, updatedAt: 1n }, metaAt(1), chain));
    expect(store.rows("priceRound")[0]).toMatchObject({ asset: null, decimals: null, flag: "UNKNOWN_FEED,NON_POSITIVE_PRICE" });
    expect(store.rows("latestPrice")).toHaveLength(0);
  });

  test("behavior: the same round twice keeps the first", () => {
    const store = new MemoryStore();
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 1n, roundId: 1n, updatedAt: 1n }, metaAt(1), chain));
    store.apply(mapAnswerUpdated(ADDR.ethFeedL1, { current: 2n, roundId: 1n, updatedAt: 1n }, metaAt(2), chain));
    expect(store.rows("priceRound")).toHaveLength(1);
    expect(store.rows("priceRound")[0].answerRaw).toBe(1n);
  });
});
