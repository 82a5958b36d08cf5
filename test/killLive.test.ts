/**
 * Crash recovery during live indexing: `kill -9` of the Ponder process (its serving worker dies
 * with it) while the simulator trades on three automine chains, with a price crash in the middle;
 * restart on the same schema (Postgres) or the same directory (PGlite) while trading goes on.
 * The restarted process's store equals ground truth read from the chains, and its risk API's
 * answers (system totals, every account's tier and health, the endangered list) equal those of a
 * fresh book built over the same store for the same instant (test/harness/freshBook.ts).
 *
 * The devnet also runs a real Aave v3 market per chain, driven during the same trading: after the
 * restart the Aave tables rebuild every market exactly as the chain has it (every account's
 * getUserAccountData, scaled balances and reserve indexes at the head: test/harness/aaveCompare.ts).
 *
 * A devnet of its own, small enough that the first process is live within seconds: the kill must
 * land in live indexing (blocks past the heads at the start of trading indexed, trading not over).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { rpcBlockNumber, startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { createAaveDriver, type AaveDriver } from "../devnet/aaveDriver.js";
import { createRng } from "../devnet/random.js";
import { AAVE_DEVNET_TREASURY } from "../protocols/aaveV3/deploy.js";
import { readAaveMarkets, type AaveStoreMarket } from "../protocols/aaveV3/storeReader.js";
import { compareAaveMarket } from "./harness/aaveCompare.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freshBookApi, openStoreReader } from "./harness/freshBook.js";
import { groundTruth } from "./harness/groundTruth.js";
import { freePort } from "./harness/ports.js";
import { startPostgres, type TestPostgres } from "./harness/postgres.js";
import { readStore, type StoreLocation } from "./harness/store.js";
import { apiGraphql, pollUntil } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const ACCOUNTS = 120;
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let postgres: TestPostgres;
let sim: Simulator;
const aave = new Map<number, AaveDriver>();
const rng = createRng(11);

/** `steps` Aave actions on every chain, the chains in parallel. */
async function aaveSteps(steps: number, label: string): Promise<void> {
  await Promise.all(
    devnet.deployment.chains.map(async (c) => {
      const r = rng.fork(`${label}-${c.name}`);
      for (let s = 0; s < steps; s++) await aave.get(c.chainId)!.step(r);
    }),
  );
}

beforeAll(async () => {
  postgres = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 200, aaveV3: true }), (d) => d.stop(), "devnet");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: ACCOUNTS, seed: 5 });
  for (const [i, c] of devnet.deployment.chains.entries()) aave.set(c.chainId, createAaveDriver({ rpcUrl: c.rpcUrl, market: c.aaveV3!, seed: 70 + i, accounts: 4 }));
  // Every account funded and trading before the first process starts: its backfill has a book to build.
  await sim.run({ steps: 10 });
  await aaveSteps(8, "before");
}, 600_000);

afterAll(async () => {
  await cleanup.run();
});

/** What the risk API answers about the whole book: totals, every account, the endangered list. */
const BOOK = `{
  system { collateralUsd debtUsd openInterestUsd deficiencyUsd insuranceFundUsd volatilityAsOf
           marks { asset priceUsd sigmaAnnual sources { chainId priceUsd stale } }
           accountsPerTier { safe marginCall liquidatable insolvent }
           chains { chainId blockNumber stale haircutLagSeconds exposureUsd } asOf { now } }
  accounts(first: 500, orderBy: ADDRESS_ASC) { totalCount nodes { address tier healthFactor maintenanceHealthUsd equityUsd collateralUsd debtUsd degraded } }
  endangeredAccounts(maxHealthFactor: "1.2", first: 500) { nodes { address tier healthFactor seizable { chainId asset valueUsd latencySeconds } } }
}`;

const riskConfig = () => toRiskConfig(loadConfig({ env: { XMARGIN_CONFIG: devnet.configPath }, readFile: (p) => readFileSync(p, "utf8") }));

async function killLiveAndRestart(label: string, storeOf: (schema: string) => Promise<{ location: StoreLocation; ponder: { databaseUrl?: string; pgliteDir?: string } }>) {
  const schema = uniqueSchema(label);
  const { location, ponder: where } = await storeOf(schema);
  const start = async (log?: (l: string) => void): Promise<PonderProcess> =>
    cleanup.add(
      // The killed app's lock on the schema expires after Ponder's 25 s heartbeat timeout.
      await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), ...where, log, startTimeoutMs: 180_000 }),
      (p) => p.kill9(),
      `ponder ${label}`,
    );
  const first = await start();
  await first.waitCaughtUp(devnet.caughtUp, 300_000);
  const heads = await Promise.all(devnet.chains.map((c) => rpcBlockNumber(c.rpcUrl)));

  // Trading with a crash in the middle, while the first process indexes it live.
  let tradingDone = false;
  const trading = Promise.all([
    (async () => {
      await sim.run({ steps: 15 });
      await sim.crash({ pct: 0.3 });
      await sim.run({ steps: 15 });
    })(),
    aaveSteps(12, label),
  ]).finally(() => (tradingDone = true));
  trading.catch(() => undefined);
  await pollUntil(
    async () => {
      const status = await first.status();
      return devnet.chains.some((c, i) => (Object.values(status).find((s) => s.id === c.chainId)?.block.number ?? 0) >= heads[i]! + 3) || undefined;
    },
    120_000,
    "live blocks indexed by the first process",
    20,
  );
  await first.kill9();
  expect(first.hasExited()).toBe(true);
  expect(tradingDone, "trading already over at the kill: make it longer").toBe(false);

  const logs: string[] = [];
  const second = await start((l) => logs.push(l));
  await trading;
  await second.waitCaughtUp(devnet.caughtUp, 300_000);
  expect(logs.join("\n")).toMatch(/Detected crash recovery/);
  const chainTruth = await groundTruth(devnet.truthChains);
  const lastRound = Math.max(...chainTruth.tables.priceRound.rows.map((r) => Number(r.updatedAt)));
  const finalHeads = new Map(await Promise.all(devnet.chains.map(async (c) => [c.chainId, await rpcBlockNumber(c.rpcUrl)] as const)));

  // The restarted process's book: at every chain's head, its volatility estimate past the last round.
  const live = await pollUntil(
    async () => {
      const d = await apiGraphql(second.url, BOOK);
      const atHeads = d.system.chains.every((c: any) => Number(c.blockNumber) >= finalHeads.get(c.chainId)!);
      return (atHeads && d.system.volatilityAsOf >= lastRound && d) || undefined;
    },
    60_000,
    "the restarted risk API at every chain's head",
    200,
  );
  if (location.kind === "pglite") await second.stop(); // PGlite: one process at a time
  const rows = await readStore(location);
  expect(compareStore(chainTruth, rows)).toEqual([]);
  expect(rows.ledger.length).toBe(chainTruth.tables.ledger.rows.length);

  // The Aave tables: every market rebuilt from the restarted store equals the chain at its head.
  const markets = await readAaveFrom(location);
  let aaveCompared = 0;
  for (const c of devnet.deployment.chains) {
    const result = await compareAaveMarket(c, markets.find((m) => m.chainId === c.chainId), [...aave.get(c.chainId)!.accounts, AAVE_DEVNET_TREASURY]);
    expect({ chain: c.name, differences: result.differences }).toEqual({ chain: c.name, differences: [] });
    aaveCompared += result.compared;
  }
  expect(aaveCompared).toBe(devnet.deployment.chains.length * 5);

  const { reader, close } = await openStoreReader(location);
  try {
    const fresh = await freshBookApi(reader, riskConfig(), { nowSeconds: live.system.asOf.now, volatilityAsOf: live.system.volatilityAsOf });
    const reference = await fresh.query(BOOK);
    await fresh.close();
    expect(live.accounts.totalCount).toBeGreaterThan(ACCOUNTS * 0.8);
    expect(live.endangeredAccounts.nodes.length, "the crash endangered some accounts").toBeGreaterThan(0);
    // The system part first: where the book differs, σ and the marks say why.
    expect(live.system).toEqual(reference.system);
    expect(live).toEqual(reference);
  } finally {
    await close();
  }
  if (location.kind === "postgres") await second.stop();
}

async function readAaveFrom(location: StoreLocation): Promise<AaveStoreMarket[]> {
  if (location.kind === "postgres") {
    const pg = (await import("pg")).default;
    const pool = new pg.Pool({ connectionString: location.url, max: 2 });
    try {
      return await readAaveMarkets(async (sql, params) => (await pool.query(sql, params as unknown[])).rows, { schema: location.schema });
    } finally {
      await pool.end();
    }
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(location.directory);
  try {
    return await readAaveMarkets(async (sql, params) => (await db.query<Record<string, unknown>>(sql, params as unknown[])).rows, { schema: location.schema });
  } finally {
    await db.close();
  }
}

describe("kill -9 during live indexing, trading still flowing", () => {
  it("Postgres: the restarted store equals the chain, its book equals a fresh book", async () => {
    await killLiveAndRestart("kill9_live_pg", async (schema) => {
      const url = await postgres.createDatabase("kill9_live");
      return { location: { kind: "postgres", url, schema }, ponder: { databaseUrl: url } };
    });
  }, 600_000);

  it("PGlite: the restarted store equals the chain, its book equals a fresh book", async () => {
    await killLiveAndRestart("kill9_live_pglite", async (schema) => {
      const directory = devnet.pgliteDir("kill9-live");
      return { location: { kind: "pglite", directory, schema }, ponder: { pgliteDir: directory } };
    });
  }, 600_000);
});
