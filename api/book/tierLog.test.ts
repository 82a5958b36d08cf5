/**
 * The tier log across restarts: the real risk book over the in-memory store (plain data), with the
 * file log on a real temp directory, and the Postgres log on a real Postgres (test/harness).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPostgres, type TestPostgres } from "../../test/harness/postgres.js";
import { createRiskBook, type RiskBook } from "./book.js";
import { appendLedger, createMemoryReader, type MemoryStore } from "./memoryReader.js";
import { pgRunner } from "./reader.js";
import { createSqlTierLog } from "./sqlTierLog.js";
import { BOB, CHAIN_L2B, DAVE, T0, WETH, bookTestConfig, crashRows, ledgerRow, seededStore } from "./testing.js";
import { createFileTierLog, createMemoryTierLog, type TierLog } from "./tierLog.js";
import type { TierChange } from "./types.js";

const books: RiskBook[] = [];
async function open(store: MemoryStore, now: () => number, tierLog: TierLog): Promise<RiskBook> {
  const book = createRiskBook({ reader: createMemoryReader(store), config: bookTestConfig(), clock: () => now() * 1000, pollIntervalMs: 0, clockIntervalMs: 0, tierLog });
  books.push(book);
  await book.start();
  return book;
}
afterAll(async () => {
  for (const b of books) await b.stop();
});

/** Runs a crash and a deposit through a book with `log`, restarts it, and checks what survived. */
async function restartScenario(makeLog: () => TierLog): Promise<void> {
  const store = seededStore();
  let now = T0 + 10;
  const first = await open(store, () => now, makeLog());
  // The first load ever: every account's first tier, from null.
  const initial = first.tierChanges({ first: 1000 });
  expect(initial.length).toBeGreaterThan(0);
  expect(initial.every((c) => c.from === null)).toBe(true);
  expect(initial.map((c) => c.seq)).toEqual(initial.map((_, i) => i + 1));

  now = T0 + 70;
  appendLedger(store, crashRows(T0 + 60));
  await first.sync();
  const before = first.tierChanges({ first: 1000 });
  expect(before.length).toBeGreaterThan(initial.length);
  const action = first.system().action;
  await first.stop();

  // While no book runs, BOB deposits: his tier changes.
  appendLedger(store, [ledgerRow({ chainId: CHAIN_L2B, kind: "DEPOSIT", timestamp: T0 + 69, blockNumber: 500n, account: BOB, token: WETH[CHAIN_L2B], asset: "ETH", amountRaw: 10n ** 18n, newValueRaw: 10n * 10n ** 18n })]);
  const second = await open(store, () => now, makeLog());
  const after = second.tierChanges({ first: 1000 });
  // The same changes under the same seqs, then the one that happened while down, and no other.
  expect(after.slice(0, before.length)).toEqual(before);
  const missed = after.slice(before.length);
  expect(missed).toEqual([expect.objectContaining({ address: BOB, from: "INSOLVENT", to: "SAFE", seq: before.at(-1)!.seq + 1, timestamp: T0 + 70, chainId: null })]);
  // A client's cursor keeps pointing at the same place.
  expect(second.tierChanges({ first: 1000, after: before.at(-1)!.seq })).toEqual(missed);
  expect(second.system().action).toBe(action);
  await second.stop();

  // A third start with nothing changed records nothing.
  const third = await open(store, () => now, makeLog());
  expect(third.tierChanges({ first: 1000 })).toEqual(after);
  await third.stop();
}

describe("tier log", () => {
  test("default: memory log — seqs continue, the first load ever records first tiers, a restart records what changed meanwhile", async () => {
    const shared: TierChange[] = [];
    const actions: never[] = [];
    await restartScenario(() => createMemoryTierLog("write", shared, actions));
  });

  test("default: file log — the same, through a real file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "xmargin-tierlog-"));
    try {
      const file = path.join(dir, "log.jsonl");
      await restartScenario(() => createFileTierLog(file));
      expect(readFileSync(file, "utf8").split("\n").filter(Boolean).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("behavior: file log — a torn last line (kill -9 mid-write) is ignored; compaction keeps the state, the last seq and the recent changes", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "xmargin-tierlog-"));
    try {
      const file = path.join(dir, "log.jsonl");
      const log = createFileTierLog(file);
      const change = (seq: number, address: `0x${string}`, to: "SAFE" | "MARGIN_CALL"): TierChange => ({ seq, address, from: null, to, chainId: 1, blockNumber: BigInt(seq), timestamp: seq, healthFactor: 1.5 });
      const all: TierChange[] = [];
      for (let i = 1; i <= 200; i++) all.push(change(i, i % 2 === 0 ? BOB : DAVE, i % 3 === 0 ? "MARGIN_CALL" : "SAFE"));
      await log.append(all, "RAISE_MARGINS");
      appendFileSync(file, '{"t":"c","seq":201,"addr');
      const loaded = await createFileTierLog(file).load(10); // compacts: 200 lines ≫ 3 × (2 + 10)
      expect(loaded.lastSeq).toBe(200);
      expect(loaded.tiers).toEqual(new Map([[BOB, all[199]!.to], [DAVE, all[198]!.to]]));
      expect(loaded.action).toBe("RAISE_MARGINS");
      expect(loaded.recent).toEqual(all.slice(190));
      expect(readFileSync(file, "utf8").split("\n").filter(Boolean).length).toBeLessThan(20);
      expect(await createFileTierLog(file).load(10)).toEqual(loaded);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("behavior: a follower (replica) serves the writer's changes under the writer's seqs, not its own", async () => {
    const shared: TierChange[] = [];
    const store = seededStore();
    let now = T0 + 10;
    const writer = await open(store, () => now, createMemoryTierLog("write", shared));
    const replica = await open(store, () => now, createMemoryTierLog("follow", shared));
    expect(replica.tierChanges({ first: 1000 })).toEqual(writer.tierChanges({ first: 1000 }));
    const pushed: TierChange[] = [];
    replica.subscribe((e) => {
      if (e.type === "updated") pushed.push(...e.tierChanges);
    });
    now = T0 + 70;
    appendLedger(store, crashRows(T0 + 60));
    await replica.sync(); // sees the store first: nothing of its own is kept
    await writer.sync();
    await replica.sync(); // follows the writer
    const seen = writer.tierChanges({ first: 1000 });
    expect(replica.tierChanges({ first: 1000 })).toEqual(seen);
    expect(pushed).toEqual(seen.filter((c) => c.timestamp === T0 + 60));
    expect(pushed.length).toBeGreaterThan(0);
  });
});

describe("tier log over Postgres", () => {
  let postgres: TestPostgres;
  let pool: pg.Pool;
  let url: string;
  beforeAll(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase("tier_log");
    pool = new pg.Pool({ connectionString: url, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await postgres?.stop();
  });

  test("default: the writer's tables survive restarts; a replica on a read-only connection follows them", async () => {
    const run = pgRunner(pool);
    await restartScenario(() => createSqlTierLog(run, { ponderSchema: "tier_test", mode: "write" }));
    const readOnly = new pg.Pool({ connectionString: url, max: 1, options: "-c default_transaction_read_only=on" });
    try {
      const follower = createSqlTierLog(pgRunner(readOnly), { ponderSchema: "tier_test", mode: "follow" });
      const writerView = await createSqlTierLog(run, { ponderSchema: "tier_test", mode: "write" }).load(1000);
      expect(await follower.since(0, 1000)).toEqual(writerView.recent);
      expect(await follower.action()).toBe(writerView.action);
      await expect(follower.append([], "HALT")).rejects.toThrow(/read-only/);
      // A replica before the writer created anything reads an empty log.
      expect(await createSqlTierLog(pgRunner(readOnly), { ponderSchema: "nobody_yet", mode: "follow" }).load(10)).toEqual({ lastSeq: 0, tiers: new Map(), action: null, recent: [] });
    } finally {
      await readOnly.end();
    }
  }, 60_000);
});
