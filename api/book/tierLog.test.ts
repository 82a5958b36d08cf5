import { afterEach, describe, expect, test } from "vitest";
import { createRiskBook, type RiskBook } from "./book.js";
import { advanceCheckpoint, appendLedger, createMemoryReader, type MemoryStore } from "./memoryReader.js";
import { parseTierCursor } from "./tierLog.js";
import type { LedgerRow } from "./reader.js";
import type { Hex } from "../../risk/types.js";
import { CHAINS, CHAIN_L1, CHAIN_L2A, T0, USDC, WETH, bookTestConfig, crashRows, ledgerRow, seededStore } from "./testing.js";

const config = bookTestConfig();
const books: RiskBook[] = [];

async function open(store: MemoryStore, now: () => number, windowSeconds = 3600): Promise<RiskBook> {
  const book = createRiskBook({ reader: createMemoryReader(store), config, clock: () => now() * 1000, pollIntervalMs: 60_000, volatilityIntervalMs: 0, tierLogWindowSeconds: windowSeconds, tierLogVolatilityStepSeconds: 60 });
  books.push(book);
  await book.start();
  return book;
}

afterEach(async () => {
  for (const b of books.splice(0)) await b.stop();
});

function allChainsAt(store: MemoryStore, t: number): void {
  for (const cp of store.checkpoints) advanceCheckpoint(store, cp.chainId, cp.blockNumber + 1n, t);
}

const account = (i: number) => `0x${(0xacc00000 + i).toString(16).padStart(40, "0")}` as Hex;

/** Accounts borrowing against ETH at staggered leverage, then ETH walking down and up in steps. */
function history(t0: number): LedgerRow[][] {
  const steps: LedgerRow[][] = [];
  const opening: LedgerRow[] = [];
  for (let i = 0; i < 20; i++) {
    opening.push(ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: t0 + 20, logIndex: i * 2, blockNumber: 400n, account: account(i), token: WETH[CHAIN_L1], asset: "ETH", amountRaw: 10n ** 18n, newValueRaw: 10n ** 18n }));
    const debt = BigInt(1500 + i * 60) * 10n ** 6n;
    opening.push(ledgerRow({ chainId: CHAIN_L2A, kind: "BORROW", timestamp: t0 + 21, logIndex: i, blockNumber: 400n, account: account(i), token: USDC[CHAIN_L2A], asset: "USDC", amountRaw: debt, newValueRaw: debt }));
  }
  steps.push(opening);
  const eth = [2900, 2700, 2500, 2300, 2600, 2950, 2400, 2100, 2800];
  eth.forEach((usd, k) => steps.push(crashRows(t0 + 100 + k * 45, usd)));
  return steps;
}

function page(book: RiskBook, after?: string, first = 7) {
  return book.tierChanges({ first, ...(after !== undefined ? { after } : {}) });
}

describe("tier-change log rebuilt from the ledger", () => {
  test("default: two books over the same store give identical pages and cursors, walked page by page", async () => {
    const store = seededStore();
    let now = T0 + 10;
    const live = await open(store, () => now);
    for (const rows of history(T0)) {
      const t = rows[0].timestamp;
      now = t + 5;
      appendLedger(store, rows);
      allChainsAt(store, t + 2);
      await live.sync();
    }
    const restarted = await open(store, () => now);
    const all = live.tierChanges({ first: 10_000 });
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((c) => c.to === "LIQUIDATABLE" || c.to === "INSOLVENT")).toBe(true);
    expect(restarted.tierChanges({ first: 10_000 })).toEqual(all);
    // Walk both in pages, crossing between them: a cursor of one resumes on the other.
    const walked: string[] = [];
    let cursor: string | undefined;
    for (let k = 0; k < 100; k++) {
      const from = k % 2 === 0 ? live : restarted;
      const other = k % 2 === 0 ? restarted : live;
      const p = page(from, cursor);
      expect(page(other, cursor)).toEqual(p);
      if (p.length === 0) break;
      walked.push(...p.map((c) => c.cursor));
      cursor = p.at(-1)!.cursor;
    }
    expect(walked).toEqual(all.map((c) => c.cursor));
    for (const c of all) expect(parseTierCursor(c.cursor)).not.toBeNull();
  });

  test("behavior: a cursor taken before a restart points at the same event after it, and new events follow it", async () => {
    const store = seededStore();
    let now = T0 + 10;
    const steps = history(T0);
    const a = await open(store, () => now);
    for (const rows of steps.slice(0, 5)) {
      now = rows[0].timestamp + 5;
      appendLedger(store, rows);
      allChainsAt(store, rows[0].timestamp + 2);
      await a.sync();
    }
    const before = a.tierChanges({ first: 10_000 });
    const mark = before[Math.floor(before.length / 2)];
    await a.stop();
    // More events while it was down, then a new book (a restart).
    for (const rows of steps.slice(5)) {
      appendLedger(store, rows);
      allChainsAt(store, rows[0].timestamp + 2);
    }
    now = steps.at(-1)![0].timestamp + 5;
    const b = await open(store, () => now);
    const after = b.tierChanges({ first: 10_000 });
    expect(after.find((c) => c.cursor === mark.cursor)).toEqual({ ...mark, seq: after.find((c) => c.cursor === mark.cursor)!.seq });
    expect(after.slice(0, before.length).map(({ seq: _s, ...c }) => c)).toEqual(before.map(({ seq: _s, ...c }) => c));
    const resumed = b.tierChanges({ first: 10_000, after: mark.cursor });
    expect(resumed[0]).toEqual(after[after.findIndex((c) => c.cursor === mark.cursor) + 1]);
    expect(resumed.length).toBeGreaterThan(before.length - before.indexOf(mark) - 1);
  });

  test("behavior: a book loaded later (its window starts later) has exactly the older book's entries after its own origin", async () => {
    const store = seededStore();
    let now = T0 + 10;
    const old = await open(store, () => now, 100_000);
    for (const rows of history(T0)) {
      now = rows[0].timestamp + 5;
      appendLedger(store, rows);
      allChainsAt(store, rows[0].timestamp + 2);
      await old.sync();
    }
    // A window that starts in the middle of the history (origin aligned to the 60 s grid).
    const watermark = Math.min(...store.checkpoints.map((c) => c.blockTimestamp)) - 1;
    const late = await open(store, () => now, watermark - (T0 + 230));
    const origin = Math.floor((T0 + 230) / 60) * 60;
    const tail = old.tierChanges({ first: 10_000, from: origin + 1 }).map(({ seq: _s, ...c }) => c);
    expect(tail.length).toBeGreaterThan(3);
    expect(late.tierChanges({ first: 10_000 }).map(({ seq: _s, ...c }) => c)).toEqual(tail);
  });

  test("boundary: the window bounds the first load; nothing before the origin is listed", async () => {
    const store = seededStore();
    for (const rows of history(T0)) appendLedger(store, rows);
    allChainsAt(store, T0 + 600);
    const book = await open(store, () => T0 + 601, 120);
    const changes = book.tierChanges({ first: 10_000 });
    expect(changes.every((c) => c.timestamp > T0 + 599 - 120 - 60)).toBe(true);
    void CHAINS;
  });
});
