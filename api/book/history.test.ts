import { describe, expect, test } from "vitest";
import { createRiskBook } from "./book.js";
import { appendLedger, createMemoryReader, createMemoryStore, type MemoryStore } from "./memoryReader.js";
import { accountAt, accountHistory, bucketTimes, MAX_HISTORY_BUCKETS, systemHistory } from "./history.js";
import { ALICE, BOB, CHAIN_L1, DAVE, ERIN, T0, USDC, bookTestConfig, crashRows, ledgerRow, seededStore, testTokens } from "./testing.js";

const config = bookTestConfig();

/** The store as it was at time t: only the ledger rows up to t (tables rebuilt from them). */
function storeUntil(store: MemoryStore, t: number): MemoryStore {
  const past = createMemoryStore({ tokens: testTokens() });
  appendLedger(past, store.ledger.filter((r) => r.timestamp <= t));
  return past;
}

async function liveAt(store: MemoryStore, t: number) {
  const book = createRiskBook({ reader: createMemoryReader(store), config, clock: () => t * 1000, pollIntervalMs: 60_000 });
  await book.start();
  await book.stop();
  return book;
}

function crashedStore(): MemoryStore {
  const store = seededStore();
  appendLedger(store, crashRows(T0 + 60));
  // Later activity on L1: the indexer has moved past the crash.
  appendLedger(store, [ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: T0 + 100, account: ERIN, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 10n ** 6n, newValueRaw: 10n ** 6n })]);
  return store;
}

describe("bucketTimes", () => {
  test("boundary: one point when from = to; the last bucket never passes to", () => {
    expect(bucketTimes(10, 10, 5)).toEqual([10]);
    expect(bucketTimes(0, 10, 4)).toEqual([0, 4, 8]);
  });
  test("behavior: more than the cap is a clear error naming a bucket size that fits", () => {
    expect(bucketTimes(0, MAX_HISTORY_BUCKETS - 1, 1)).toHaveLength(MAX_HISTORY_BUCKETS);
    expect(() => bucketTimes(0, MAX_HISTORY_BUCKETS, 1)).toThrow(/at most 2000 are served. Use bucketSeconds ≥ 2/);
  });
  test("behavior: invalid ranges", () => {
    expect(() => bucketTimes(10, 5, 1)).toThrow(/from \(10\) is after to \(5\)/);
    expect(() => bucketTimes(0, 5, 0)).toThrow(/positive integer/);
    expect(() => bucketTimes(-1, 5, 1)).toThrow(/non-negative/);
  });
});

describe("accountAt", () => {
  test("default: picks the last value per key at or before t", async () => {
    const reader = createMemoryReader(crashedStore());
    expect(await accountAt(reader, config, BOB, T0 + 2)).toBeNull(); // not seen yet
    const afterDeposit = (await accountAt(reader, config, BOB, T0 + 3))!;
    expect(afterDeposit.items.map((i) => [i.kind, i.asset, i.amountRaw])).toEqual([["collateral", "ETH", 10n ** 18n]]);
    expect(afterDeposit.healthFactor).toBeNull();
    const afterBorrow = (await accountAt(reader, config, BOB, T0 + 4))!;
    expect(afterBorrow.items.map((i) => [i.kind, i.asset, i.amountRaw])).toEqual([
      ["collateral", "ETH", 10n ** 18n],
      ["debt", "USDC", 2_400n * 10n ** 6n],
    ]);
    // DAVE: cash first (insurance payout), then the position with its entry price and funding index.
    const dave = (await accountAt(reader, config, DAVE, T0 + 7))!;
    expect(dave.positions.map((p) => [p.size.toString(), p.entryPriceUsd.toString()])).toEqual([["10", "3000"]]);
    expect(dave.items.map((i) => [i.kind, i.asset, i.amountRaw])).toEqual([["collateral", "USDC", 1_000n * 10n ** 6n]]);
    expect((await accountAt(reader, config, DAVE, T0 + 6))!.positions).toEqual([]);
    // Prices as of t: before the crash ETH is 3000, after it 2000.
    expect((await accountAt(reader, config, BOB, T0 + 59))!.items[0].valueUsd.toString()).toBe("3000");
    expect((await accountAt(reader, config, BOB, T0 + 60))!.items[0].valueUsd.toString()).toBe("2000");
  });

  test("default: equals the live book over the store as it was at t (same now)", async () => {
    const store = crashedStore();
    const t = T0 + 60; // every chain's last block is at t, so the live book's data lag is 0 like history's
    const live = await liveAt(storeUntil(store, t), t);
    for (const address of [ALICE, BOB, DAVE]) {
      const past = (await accountAt(createMemoryReader(store), config, address, t))!;
      const then = live.account(address)!;
      expect(past.tier).toBe(then.tier);
      expect(past.maintenanceHealthUsd.toString()).toBe(then.maintenanceHealthUsd.toString());
      expect(past.initialHealthUsd.toString()).toBe(then.initialHealthUsd.toString());
      expect(past.equityUsd.toString()).toBe(then.equityUsd.toString());
    }
  });

  test("behavior: at now it equals the live book", async () => {
    const store = crashedStore();
    const now = T0 + 105;
    const live = await liveAt(store, now);
    const past = (await accountAt(createMemoryReader(store), config, BOB, now))!;
    expect(past.maintenanceHealthUsd.toString()).toBe(live.account(BOB)!.maintenanceHealthUsd.toString());
  });
});

describe("histories", () => {
  test("default: accountHistory is accountAt at every bucket", async () => {
    const reader = createMemoryReader(crashedStore());
    const points = await accountHistory(reader, config, BOB, T0, T0 + 120, 30);
    expect(points.map((p) => [p.time, p.tier])).toEqual([
      [T0, null],
      [T0 + 30, "MARGIN_CALL"],
      [T0 + 60, "INSOLVENT"],
      [T0 + 90, "INSOLVENT"],
      [T0 + 120, "INSOLVENT"],
    ]);
    for (const p of points.slice(1)) {
      const at = (await accountAt(reader, config, BOB, p.time))!;
      expect(p.maintenanceHealthUsd).toBe(at.maintenanceHealthUsd.toFixed());
      expect(p.healthFactor).toBe(at.healthFactor!.toFixed());
    }
  });

  test("default: systemHistory totals equal the live book's at the same moment", async () => {
    const store = crashedStore();
    const points = await systemHistory(createMemoryReader(store), config, T0 + 30, T0 + 60, 30);
    expect(points[0].deficiencyUsd).toBe("0");
    expect(Number(points[1].deficiencyUsd)).toBeGreaterThan(0);
    expect(points[1].accountsPerTier.INSOLVENT).toBe(2);
    const live = (await liveAt(storeUntil(store, T0 + 60), T0 + 60)).system();
    expect(points[1].deficiencyUsd).toBe(live.deficiencyUsd.toFixed());
    expect(points[1].collateralUsd).toBe(live.collateralUsd.toFixed());
    expect(points[1].insuranceFundUsd).toBe(live.insuranceFundUsd.toFixed());
    expect(points[1].accountsPerTier).toEqual(live.accountsPerTier);
  });
});

describe("long histories yield and stop", () => {
  test("behavior: a month of rounds × 100 buckets yields to the loop, and an abort stops it with BOOK_ABORTED", async () => {
    const { address, createWorld, priceHistory, standardScene } = await import("../testing/fixture.js");
    const world = createWorld();
    standardScene(world);
    priceHistory(world, 30, 600);
    await world.book.start();
    try {
      const to = world.time - 1;
      const from = to - 30 * 86_400;
      const controller = new AbortController();
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
        if (ticks === 2) controller.abort();
      }, 1);
      try {
        const error = await world.book.accountHistory(address(2), from, to, Math.ceil((to - from) / 99), { signal: controller.signal }).then(
          () => null,
          (e: unknown) => e,
        );
        // the interval could only fire (and abort) because the computation yielded between buckets
        expect(ticks).toBeGreaterThanOrEqual(2);
        expect((error as { code?: string } | null)?.code).toBe("BOOK_ABORTED");
      } finally {
        clearInterval(timer);
      }
      // and without an abort the same history answers every bucket
      const points = await world.book.accountHistory(address(2), to - 3600, to, 600);
      expect(points).toHaveLength(7);
      expect(points.at(-1)!.tier).toBe("SAFE");
    } finally {
      await world.book.stop();
    }
  });
});
