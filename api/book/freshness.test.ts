import { afterEach, describe, expect, test } from "vitest";
import { appliedBatch } from "./freshness.js";
import { createRiskBook, type RiskBook, type RiskBookOptions } from "./book.js";
import { appendLedger, createMemoryReader, rollback, type MemoryStore } from "./memoryReader.js";
import type { CheckpointRow, LedgerRow, StoreReader } from "./reader.js";
import type { Hex } from "../../risk/types.js";
import { ALICE, CHAIN_L1, CHAIN_L2A, CHAIN_L2B, ERIN, T0, USDC, bookTestConfig, ledgerRow, seededStore } from "./testing.js";

const config = bookTestConfig();
const books: RiskBook[] = [];

async function open(store: MemoryStore, clock: () => number, extra: Partial<RiskBookOptions> & { reader?: StoreReader } = {}): Promise<RiskBook> {
  const book = createRiskBook({ reader: createMemoryReader(store), config, clock: () => clock() * 1000, pollIntervalMs: 60_000, volatilityIntervalMs: 0, onError: () => undefined, ...extra });
  books.push(book);
  await book.start();
  return book;
}

afterEach(async () => {
  for (const b of books.splice(0)) await b.stop();
});

/** A reader that answers like `inner` until `mode` says otherwise: "fail" rejects, "hang" never answers. */
function faultyReader(inner: StoreReader) {
  const control = { mode: "ok" as "ok" | "fail" | "hang" };
  const reader = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (control.mode === "fail") return Promise.reject(new Error("connection refused"));
        if (control.mode === "hang") return new Promise(() => undefined);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { reader, control };
}

function view(book: RiskBook) {
  return {
    asOf: book.asOf(),
    accounts: book.listAccounts({}, "ADDRESS_ASC", 100).entries.map((e) => ({ address: e.address, tier: e.screen.tier, healthFactor: e.screen.healthFactor, degraded: e.screen.degraded })),
  };
}

const cp = (chainId: number, blockNumber: bigint, blockTimestamp: number): CheckpointRow => ({ chainName: `c${chainId}`, chainId, blockNumber, blockTimestamp, finalizedBlockNumber: 0n });
const row = (chainId: number, blockNumber: bigint, logIndex: number): LedgerRow => ledgerRow({ chainId, kind: "DEPOSIT", timestamp: 1000 + Number(blockNumber), blockNumber, logIndex });

describe("appliedBatch", () => {
  test("default: a batch under the limit applies every row up to each checkpoint and is stamped with the checkpoints", () => {
    const store = [cp(1, 10n, 1010), cp(2, 5n, 1005)];
    const batch = [row(1, 9n, 0), row(1, 10n, 0), row(1, 11n, 0), row(2, 5n, 0)];
    const out = appliedBatch(new Map(), store, batch, 100);
    expect(out.rows.map((r) => [r.chainId, r.blockNumber])).toEqual([[1, 9n], [1, 10n], [2, 5n]]);
    expect(out.checkpoints.get(1)!.blockNumber).toBe(10n);
    expect(out.checkpoints.get(2)!.blockNumber).toBe(5n);
  });

  test("behavior: a batch cut at the limit is stamped with the cut chain's last whole block; later chains keep their stamp", () => {
    const previous = new Map([[1, cp(1, 5n, 1005)], [2, cp(2, 3n, 1003)]]);
    const store = [cp(1, 50n, 1050), cp(2, 40n, 1040)];
    const batch = [row(1, 6n, 0), row(1, 7n, 0), row(1, 7n, 1), row(1, 8n, 0)]; // block 8 may hold more rows
    const out = appliedBatch(previous, store, batch, 4);
    expect(out.rows.map((r) => `${r.blockNumber}:${r.logIndex}`)).toEqual(["6:0", "7:0", "7:1"]);
    expect(out.checkpoints.get(1)).toMatchObject({ blockNumber: 7n, blockTimestamp: 1007 });
    expect(out.checkpoints.get(2)).toMatchObject({ blockNumber: 3n, blockTimestamp: 1003 });
  });

  test("boundary: one block of more rows than the limit is applied in parts, stamped with that block", () => {
    const batch = [row(1, 6n, 0), row(1, 6n, 1)];
    const out = appliedBatch(new Map(), [cp(1, 9n, 1009)], batch, 2);
    expect(out.rows).toHaveLength(2);
    expect(out.checkpoints.get(1)!.blockNumber).toBe(6n);
  });

  test("boundary: chains before the cut are complete; the cut chain past its checkpoint is complete too", () => {
    const store = [cp(1, 7n, 1007), cp(2, 9n, 1009)];
    const batch = [row(1, 7n, 0), row(2, 8n, 0), row(2, 10n, 0)];
    const out = appliedBatch(new Map(), store, batch, 3);
    expect(out.rows.map((r) => `${r.chainId}:${r.blockNumber}`)).toEqual(["1:7", "2:8"]);
    expect(out.checkpoints.get(1)!.blockNumber).toBe(7n);
    expect(out.checkpoints.get(2)!.blockNumber).toBe(9n);
  });
});

describe("freshness when the store stops answering", () => {
  for (const mode of ["fail", "hang"] as const) {
    test(`behavior (${mode}): now moves, chains turn stale by their lag, and the book equals a fresh book at the same time`, async () => {
      const store = seededStore();
      let now = T0 + 10;
      const faulty = faultyReader(createMemoryReader(store));
      const book = await open(store, () => now, { reader: faulty.reader, readTimeoutMs: 50 });
      const before = view(book);
      expect(before.asOf.chains.every((c) => !c.stale)).toBe(true);

      faulty.control.mode = mode;
      now = T0 + 2 * 3600;
      await book.sync();
      const after = view(book);
      expect(after.asOf.now).toBe(T0 + 2 * 3600);
      for (const c of after.asOf.chains) {
        expect(c.lagSeconds).toBe(now - c.blockTimestamp);
        expect(c.stale).toBe(true);
      }
      // The same store read by a book that can read it, at the same time: the same numbers.
      const fresh = await open(store, () => now);
      expect(after).toEqual(view(fresh));
      expect(after.accounts).not.toEqual(before.accounts); // stale data took credit away
      expect(after.accounts.find((a) => a.address === ALICE)!.degraded).toBe(true);

      // The store answers again: the book follows it.
      faulty.control.mode = "ok";
      appendLedger(store, [ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: now - 1, account: ERIN, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 10n ** 6n, newValueRaw: 10n ** 6n })]);
      await book.sync();
      expect(book.account(ERIN)).not.toBeNull();
      expect(book.asOf().chains.find((c) => c.chainId === CHAIN_L1)!.stale).toBe(false);
    });
  }

  test("behavior: with no poll timer (pollIntervalMs 0) and a hung store, time still moves by itself", async () => {
    const store = seededStore();
    let now = T0 + 10;
    const faulty = faultyReader(createMemoryReader(store));
    const book = await open(store, () => now, { reader: faulty.reader, pollIntervalMs: 0, clockIntervalMs: 10, readTimeoutMs: 50 });
    faulty.control.mode = "hang";
    now = T0 + 500;
    const deadline = Date.now() + 5000;
    while (book.asOf().now !== T0 + 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(book.asOf().now).toBe(T0 + 500);
    expect(book.asOf().chains.every((c) => c.stale)).toBe(true);
  });
});

describe("stamps show the blocks applied", () => {
  test("behavior: with more than ledgerBatchLimit pending rows the stamp is the last applied block, then the head", async () => {
    const store = seededStore();
    const now = T0 + 2000;
    const book = await open(store, () => now, { ledgerBatchLimit: 10_000 });
    // 12,000 deposits on L1, 100 per block, one new account each; then a few on L2B.
    const rows: LedgerRow[] = [];
    const accountOf = (i: number) => `0x${(0xbeef0000 + i).toString(16).padStart(40, "0")}` as Hex;
    for (let i = 0; i < 12_000; i++) {
      const blockNumber = 1000n + BigInt(Math.floor(i / 100));
      rows.push(ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: T0 + 100 + Math.floor(i / 100), blockNumber, logIndex: i % 100, account: accountOf(i), token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 10n ** 6n, newValueRaw: 10n ** 6n }));
    }
    rows.push(ledgerRow({ chainId: CHAIN_L2B, kind: "DEPOSIT", timestamp: T0 + 150, blockNumber: 900n, account: ERIN, token: USDC[CHAIN_L2B], asset: "USDC", amountRaw: 10n ** 6n, newValueRaw: 10n ** 6n }));
    appendLedger(store, rows);
    const l2bBefore = book.asOf().chains.find((c) => c.chainId === CHAIN_L2B)!;

    await book.sync();
    const l1 = book.asOf().chains.find((c) => c.chainId === CHAIN_L1)!;
    // 10,000 rows read: blocks 1000..1099, the last block left for the next poll (it might hold more rows).
    expect(l1.blockNumber).toBe(1098n);
    expect(l1.blockTimestamp).toBe(T0 + 100 + 98);
    expect(book.account(accountOf(9_899))).not.toBeNull();
    expect(book.account(accountOf(9_900))).toBeNull();
    // L2B was not reached: it keeps its stamp (and ERIN is not in the book yet).
    expect(book.asOf().chains.find((c) => c.chainId === CHAIN_L2B)).toEqual(l2bBefore);
    expect(book.account(ERIN)).toBeNull();

    await book.sync();
    const head = store.checkpoints.find((c) => c.chainId === CHAIN_L1)!;
    expect(book.asOf().chains.find((c) => c.chainId === CHAIN_L1)!.blockNumber).toBe(head.blockNumber);
    expect(book.account(accountOf(11_999))).not.toBeNull();
    expect(book.asOf().chains.find((c) => c.chainId === CHAIN_L2B)!.blockNumber).toBe(900n);
    expect(book.account(ERIN)).not.toBeNull();
  });

  test("behavior: a rollback and re-apply is atomic for readers: every read sees the old branch under its stamp or the new one under its stamp", async () => {
    const store = seededStore();
    const now = T0 + 300;
    const deposit = (blockNumber: bigint, amount: bigint, fork: number) =>
      ledgerRow({ chainId: CHAIN_L2A, kind: "DEPOSIT", timestamp: T0 + Number(blockNumber - 150n), blockNumber, fork, account: ERIN, token: USDC[CHAIN_L2A], asset: "USDC", amountRaw: amount, newValueRaw: amount });
    appendLedger(store, [deposit(200n, 1_000n * 10n ** 6n, 0)]);
    const frames: string[] = [];
    let book: RiskBook | null = null;
    const observe = () => {
      if (book === null) return;
      const block = book.asOf().chains.find((c) => c.chainId === CHAIN_L2A)!.blockNumber;
      const usd = book.account(ERIN)?.collateralValueUsd.toFixed() ?? "none";
      frames.push(`${block}:${usd}`);
    };
    // Readers run between every read the book makes (before it and after its answer).
    const inner = createMemoryReader(store);
    const watching = new Proxy(inner, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          observe();
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          observe();
          await Promise.resolve();
          observe();
          return out;
        };
      },
    });
    book = await open(store, () => now, { reader: watching });
    expect(book.account(ERIN)!.collateralValueUsd.toFixed()).toBe("1000");
    frames.length = 0;

    // The fork: block 200 replaced (no deposit there), a deposit of 5,000 at block 201.
    rollback(store, CHAIN_L2A, 199n, T0 + 49);
    appendLedger(store, [ledgerRow({ chainId: CHAIN_L2A, kind: "PRICE", timestamp: T0 + 50, blockNumber: 200n, fork: 1, asset: "SOL", priceRaw: 150n * 10n ** 8n }), deposit(201n, 5_000n * 10n ** 6n, 1)]);
    await book.sync();
    observe();
    expect(frames.length).toBeGreaterThan(5);
    expect(new Set(frames)).toEqual(new Set(["200:1000", "201:5000"]));
    expect(frames.at(-1)).toBe("201:5000");
  });
});
