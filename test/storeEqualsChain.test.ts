/**
 * The store equals the chain: the default workload (simulator traders + scripted liquidations,
 * insurance, funding, mode changes) on three anvil chains, indexed by the real xmargin Ponder app
 * on Postgres (live, while the workload runs) and on PGlite (backfill, after it), each compared
 * row by row with ground truth read from the chain (eth_getLogs + the vault's views).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { eventCounts, groundTruth, type GroundTruth } from "./harness/groundTruth.js";
import { freePort } from "./harness/ports.js";
import { startPostgres, type TestPostgres } from "./harness/postgres.js";
import { ALL_EVENT_TYPES, runScenario } from "./harness/scenario.js";
import { readStore } from "./harness/store.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let pg: TestPostgres;
let pgUrl: string;
let pgSchema: string;
let livePonder: PonderProcess;
let truth: GroundTruth;

beforeAll(async () => {
  pg = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
  pgUrl = await pg.createDatabase("store_equals");
  pgSchema = uniqueSchema("store_pg");
  // Started before the workload: Postgres sees it live, block by block.
  livePonder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema: pgSchema, port: await freePort(), databaseUrl: pgUrl }),
    (p) => p.kill9(),
    "ponder postgres",
  );
  await runScenario(devnet, { accounts: 250, stepsBefore: 50, stepsAfter: 15, seed: 11 });
  truth = await groundTruth(devnet.truthChains);
}, 600_000);

afterAll(async () => {
  await cleanup.run();
});

describe("store equals ground truth for the default workload", () => {
  it("the workload has every event type on every chain", () => {
    expect(ALL_EVENT_TYPES.filter((type) => !eventCounts(truth)[type])).toEqual([]);
    for (const [name, events] of Object.entries(truth.events)) expect(events.length, `events on ${name}`).toBeGreaterThan(100);
    expect(truth.tables.account.required!.size).toBeGreaterThanOrEqual(200);
  });

  it("Postgres, indexed live while the workload ran", async () => {
    await livePonder.waitCaughtUp(devnet.caughtUp, 180_000);
    const store = await readStore({ kind: "postgres", url: pgUrl, schema: pgSchema });
    expect(compareStore(truth, store)).toEqual([]);
    expect(store.ledger.length).toBe(truth.tables.ledger.rows.length);
  }, 300_000);

  it("PGlite, backfilled after the workload", async () => {
    const schema = uniqueSchema("store_pglite");
    const dir = devnet.pgliteDir();
    const ponder = cleanup.add(
      await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir: dir }),
      (p) => p.kill9(),
      "ponder pglite",
    );
    await ponder.waitCaughtUp(devnet.caughtUp, 180_000);
    await ponder.stop();
    const store = await readStore({ kind: "pglite", directory: dir, schema });
    expect(compareStore(truth, store)).toEqual([]);
    expect(store.ledger.length).toBe(truth.tables.ledger.rows.length);
  }, 300_000);
});
