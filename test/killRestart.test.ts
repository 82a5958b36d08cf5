/**
 * Crash recovery: `kill -9` of Ponder in the middle of a backfill (tens of thousands of events
 * pre-generated with the simulator's bulk mode), restart on the same Postgres database and
 * schema; the final store equals ground truth, and Ponder says it recovered rather than restarted
 * from scratch. `kill -9` during live indexing is test/killLive.test.ts (a small devnet of its
 * own: this one's 20k events would make every live case backfill them first).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPonder } from "../devnet/ponderProcess.js";
import { rpc } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { groundTruth, type GroundTruth } from "./harness/groundTruth.js";
import { completedEvents } from "./harness/metrics.js";
import { freePort } from "./harness/ports.js";
import { startPostgres, type TestPostgres } from "./harness/postgres.js";
import { countRows, readStore } from "./harness/store.js";
import { pollUntil } from "./harness/storeGraphql.js";

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
