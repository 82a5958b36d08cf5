/**
 * The risk book against the real pipeline: three anvil chains, the simulator's traders, the real
 * xmargin Ponder app indexing into Postgres, and books reading that store through the SQL reader.
 *
 * - A book follows the indexer through a market crash; then it equals a fresh book built from the
 *   store (every account's screen, the ranking, the deficiency), and the crash changed tiers.
 * - A reorg that undoes the crash (evm_snapshot before it, evm_revert after, new blocks past the
 *   old head): Ponder rolls the store back, the book detects it, emits a reorg event, and its
 *   tiers are the pre-crash tiers again; it equals a fresh book.
 * Clocks: the books follow real time, and are frozen at one instant for each comparison so that
 * both sides compute for the same `now` (the model's data lag and oracle ages depend on it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { pollUntil, rpc } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { createRiskBook, type RiskBook } from "../api/book/book.js";
import { createSqlReader, pgRunner, type StoreReader } from "../api/book/reader.js";
import type { BookEvent } from "../api/book/types.js";
import type { RiskConfig, Tier } from "../risk/types.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { startPostgres, type TestPostgres } from "./harness/postgres.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let postgres: TestPostgres;
let ponder: PonderProcess;
let pool: pg.Pool;
let reader: StoreReader;
let riskConfig: RiskConfig;
let sim: Simulator;

let frozenMs: number | null = null;
const clock = () => frozenMs ?? Date.now();
let live: RiskBook;
const events: BookEvent[] = [];
let snapshots: Map<string, string>;
let tiersBefore: Map<string, Tier>;
let freezeBefore: number;

async function blockNumber(url: string): Promise<bigint> {
  return BigInt(await rpc<string>(url, "eth_blockNumber"));
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  return pollUntil(check, timeoutMs, what, 100);
}

/** Ponder caught up with every chain's head, and the live book's frame at those heads. */
async function indexedAndFollowed(): Promise<void> {
  await ponder.waitCaughtUp(devnet.caughtUp, 120_000);
  const heads = new Map(await Promise.all(devnet.chains.map(async (c) => [c.chainId, await blockNumber(c.rpcUrl)] as const)));
  await poll("the book to follow every chain to its head", 60_000, async () => {
    await live.sync();
    return live.asOf().chains.every((c) => c.blockNumber === heads.get(c.chainId));
  });
}

function tiers(book: RiskBook): Map<string, Tier> {
  return new Map(book.listAccounts({}, "ADDRESS_ASC", 100_000).entries.map((e) => [e.address, e.screen.tier]));
}

function view(book: RiskBook) {
  const system = book.system();
  return {
    accounts: book.listAccounts({}, "ADDRESS_ASC", 100_000).entries.map((e) => ({ address: e.address, ...e.screen })),
    endangered: book.endangered(Number.MAX_VALUE, 100_000).map((e) => e.address),
    deficiencyUsd: system.deficiencyUsd.toString(),
    collateralUsd: system.collateralUsd.toString(),
    debtUsd: system.debtUsd.toString(),
    accountsPerTier: system.accountsPerTier,
    chains: book.chains(),
  };
}

/** A book built from scratch over the store, computing for the frozen instant. */
async function freshBook(): Promise<RiskBook> {
  const book = createRiskBook({ reader, config: riskConfig, clock, pollIntervalMs: 3_600_000 });
  await book.start();
  await book.stop();
  return book;
}

/** Freeze both clocks at the latest indexed block time + 1 s, and bring the live book to that frame. */
async function freeze(): Promise<number> {
  const cps = await reader.checkpoints();
  frozenMs = (Math.max(...cps.map((c) => c.blockTimestamp)) + 1) * 1000;
  await live.sync();
  return frozenMs;
}

beforeAll(async () => {
  postgres = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  const databaseUrl = await postgres.createDatabase("risk_book");
  const schema = uniqueSchema("risk_book");
  ponder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), databaseUrl }),
    (p) => p.kill9(),
    "ponder",
  );
  pool = cleanup.add(new pg.Pool({ connectionString: databaseUrl, max: 4 }), (p) => p.end(), "pg pool");
  reader = createSqlReader(pgRunner(pool), { schema });
  riskConfig = toRiskConfig(loadConfig({ env: { XMARGIN_CONFIG: devnet.configPath }, readFile: (p) => readFileSync(p, "utf8") }));

  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 40, seed: 5 });
  await sim.run({ steps: 15 });
  await ponder.waitCaughtUp(devnet.caughtUp, 120_000);

  // The live book: exact frame on every poll, so that "equals a fresh book" is a sharp test.
  live = createRiskBook({ reader, config: riskConfig, clock, pollIntervalMs: 100, volatilityIntervalMs: 0 });
  cleanup.add(live, (b) => b.stop(), "live book");
  await live.start();
  live.subscribe((e) => events.push(e));
  await indexedAndFollowed();
}, 300_000);

afterEach(() => {
  frozenMs = null;
});

afterAll(async () => {
  await cleanup.run();
});

describe("risk book over the real pipeline", () => {
  it("loads every account the store has, grouped across chains", async () => {
    freezeBefore = await freeze();
    const rows = await reader.accountRows();
    const inStore = new Set([...rows.collateral, ...rows.debt, ...rows.cash, ...rows.positions].map((r) => r.account));
    expect(inStore.size).toBeGreaterThan(20);
    expect(live.stats().accounts).toBe(inStore.size);
    expect(live.listAccounts({}, "ADDRESS_ASC", 100_000).entries.some((e) => live.account(e.address)!.chainIds.length > 1)).toBe(true);
    expect(view(live)).toEqual(view(await freshBook()));
    tiersBefore = tiers(live);
    snapshots = new Map(await Promise.all(devnet.chains.map(async (c) => [c.rpcUrl, await rpc<string>(c.rpcUrl, "evm_snapshot")] as const)));
    frozenMs = null;
  });

  it("follows a crash: tiers change, and the book equals a fresh book over the store", async () => {
    const seqBefore = live.tierChanges({ first: 1_000_000 }).at(-1)?.seq ?? 0;
    await sim.crash({ pct: 0.45 });
    await indexedAndFollowed();
    await freeze();
    const after = tiers(live);
    const changed = [...after].filter(([a, t]) => tiersBefore.get(a) !== t);
    expect(changed.length).toBeGreaterThan(0);
    expect(live.tierChanges({ first: 1_000_000, after: seqBefore }).length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === "updated" && e.tierChanges.length > 0)).toBe(true);
    const fresh = await freshBook();
    expect(view(live)).toEqual(view(fresh));
    expect(live.system().deficiencyUsd.toString()).toBe(fresh.system().deficiencyUsd.toString());
    frozenMs = null;
  });

  it("a reorg that undoes the crash restores the earlier tiers", async () => {
    const heads = new Map(await Promise.all(devnet.chains.map(async (c) => [c.rpcUrl, await blockNumber(c.rpcUrl)] as const)));
    const reorgsBefore = events.filter((e) => e.type === "reorg").length;
    for (const c of devnet.chains) {
      expect(await rpc<boolean>(c.rpcUrl, "evm_revert", [snapshots.get(c.rpcUrl)])).toBe(true);
      // New blocks past the old head: Ponder sees a different chain and rolls the store back.
      const reverted = await blockNumber(c.rpcUrl);
      const toMine = Number(heads.get(c.rpcUrl)! - reverted) + 2;
      await rpc(c.rpcUrl, "anvil_mine", [`0x${toMine.toString(16)}`]);
    }
    await indexedAndFollowed();
    await poll("the book to see the reorg", 30_000, async () => {
      await live.sync();
      return events.filter((e) => e.type === "reorg").length > reorgsBefore;
    });
    // Same instant as the pre-crash comparison: the same prices and rounds give the same tiers.
    frozenMs = freezeBefore;
    await live.sync();
    expect(tiers(live)).toEqual(tiersBefore);
    const fresh = await freshBook();
    expect(view(live)).toEqual(view(fresh));
    frozenMs = null;
  });
});
