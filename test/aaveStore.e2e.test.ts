/**
 * Aave v3 indexed by the real xmargin Ponder app into the store: on three anvil chains, the
 * devnet's vault and a real Aave v3 market (Aave's own bytecode) priced by the vault's feeds;
 * Aave accounts driven (supply, borrow, repay, withdraw, aToken transfers, collateral off/on),
 * then the simulator's crash path (every risky feed −35%), then more Aave activity. Ponder
 * (PGlite) backfills; the Aave market state rebuilt from the store rows alone
 * (protocols/aaveV3/storeReader.ts) must equal, exactly, at the indexed head block:
 * Pool.getUserAccountData of every account and the treasury, getReserveData's indexes, rates
 * and last update, and every aToken's and variable debt token's scaledBalanceOf.
 */
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createPublicClient, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAaveDriver, type AaveDriver } from "../devnet/aaveDriver.js";
import { startPonder } from "../devnet/ponderProcess.js";
import { createRng } from "../devnet/random.js";
import { createSimulator } from "../devnet/simulator.js";
import { aaveATokenAbi, aavePoolAbi, aaveVariableDebtTokenAbi } from "../protocols/aaveV3/abis.js";
import { AAVE_DEVNET_TREASURY } from "../protocols/aaveV3/deploy.js";
import { accountData, scaledBalanceOf } from "../protocols/aaveV3/ledger.js";
import { accountDataPair } from "../protocols/aaveV3/testing.js";
import { readAaveMarkets, type AaveStoreMarket } from "../protocols/aaveV3/storeReader.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { startPostgres } from "./harness/postgres.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
const drivers = new Map<string, AaveDriver>();
const stores: { label: string; markets: AaveStoreMarket[] }[] = [];
let liquidatableAfterCrash = 0;

beforeAll(async () => {
  const pg = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ aaveV3: true, pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
  const pgUrl = await pg.createDatabase("aave_store");
  const pgSchema = uniqueSchema("aave_pg");
  const livePonder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema: pgSchema, port: await freePort(), databaseUrl: pgUrl }),
    (p) => p.kill9(),
    "ponder postgres",
  );
  const rng = createRng(7);
  await Promise.all(
    devnet.deployment.chains.map(async (c, i) => {
      const driver = createAaveDriver({ rpcUrl: c.rpcUrl, market: c.aaveV3!, seed: 100 + i, accounts: 6, log: () => {} });
      drivers.set(c.name, driver);
      const chainRng = rng.fork(c.name);
      for (let s = 0; s < 40; s++) await driver.step(chainRng);
    }),
  );
  // The simulator's crash path: every risky asset's feed −35% on every chain (Aave reads the same feeds).
  const sim = createSimulator({ chains: devnet.chains, deployment: devnet.deployment, seed: 3, accounts: 4 });
  await sim.crash({ pct: 0.35 });
  for (const c of devnet.deployment.chains) {
    const client = createPublicClient({ transport: http(c.rpcUrl) });
    for (const u of drivers.get(c.name)!.accounts) {
      const [, debt, , , , hf] = await client.readContract({ address: c.aaveV3!.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [u] });
      if (debt > 0n && hf < 10n ** 18n) liquidatableAfterCrash++;
    }
  }
  await Promise.all(
    devnet.deployment.chains.map(async (c) => {
      const chainRng = rng.fork(`${c.name}-after`);
      for (let s = 0; s < 10; s++) await drivers.get(c.name)!.step(chainRng);
    }),
  );

  await livePonder.waitCaughtUp(devnet.caughtUp, 240_000);
  const pgModule = await import("pg");
  const pool = new pgModule.default.Pool({ connectionString: pgUrl, max: 2 });
  try {
    stores.push({ label: "postgres (live)", markets: await readAaveMarkets(async (sql, params) => (await pool.query(sql, params as unknown[])).rows, { schema: pgSchema }) });
  } finally {
    await pool.end();
  }

  const schema = uniqueSchema("aave_store");
  const dir = devnet.pgliteDir();
  const ponder = cleanup.add(await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir: dir }), (p) => p.kill9(), "ponder pglite");
  await ponder.waitCaughtUp(devnet.caughtUp, 240_000);
  await ponder.stop();
  const db = new PGlite(dir);
  try {
    stores.push({ label: "pglite (backfill)", markets: await readAaveMarkets(async (sql, params) => (await db.query<Record<string, unknown>>(sql, params as unknown[])).rows, { schema }) });
  } finally {
    await db.close();
  }
}, 600_000);

afterAll(async () => {
  await cleanup.run();
});

describe("Aave v3 store equals the chain", () => {
  it("the workload did every Aave action on every chain and the store has one market per chain", () => {
    for (const [name, d] of drivers) {
      for (const [action, n] of Object.entries(d.stats.byAction)) expect(n, `${action} on ${name}`).toBeGreaterThan(0);
      expect(d.stats.sent - d.stats.failed, `mined Aave transactions on ${name}`).toBeGreaterThan(30);
    }
    expect(stores.map((s) => s.label)).toEqual(["postgres (live)", "pglite (backfill)"]);
    for (const { markets } of stores) expect(markets.map((m) => [m.chainId, m.pool])).toEqual(devnet.deployment.chains.map((c) => [c.chainId, c.aaveV3!.pool]));
    console.log(`aave store e2e: ${[...drivers].map(([n, d]) => `${n} ${d.stats.sent} sent / ${d.stats.failed} reverted`).join(", ")}; ${liquidatableAfterCrash} accounts below HF 1 after the crash`);
  });

  it.each(["postgres (live)", "pglite (backfill)"])("%s: every account's getUserAccountData, every reserve's indexes and every scaled balance, exactly, at the head block", async (label) => {
    const markets = stores.find((s) => s.label === label)!.markets;
    let compared = 0;
    for (const c of devnet.deployment.chains) {
      const m = markets.find((x) => x.chainId === c.chainId)!;
      const client = createPublicClient({ transport: http(c.rpcUrl) });
      const head = await client.getBlock({ blockTag: "latest" });
      const at = { blockNumber: head.number } as const;
      const users: Address[] = [...drivers.get(c.name)!.accounts, AAVE_DEVNET_TREASURY];
      expect(m.state.reserves.size).toBe(3);
      for (const r of c.aaveV3!.reserves) {
        const data = await client.readContract({ ...at, address: c.aaveV3!.pool, abi: aavePoolAbi, functionName: "getReserveData", args: [r.underlying] });
        const idx = m.state.reserves.get(r.underlying)!.indexes;
        expect({ label, chain: c.name, reserve: r.symbol, stored: idx && [idx.liquidityIndexRay, idx.variableBorrowIndexRay, idx.liquidityRateRay, idx.variableBorrowRateRay, idx.lastUpdateTimestamp] }).toEqual({
          label,
          chain: c.name,
          reserve: r.symbol,
          stored: [data.liquidityIndex, data.variableBorrowIndex, data.currentLiquidityRate, data.currentVariableBorrowRate, BigInt(data.lastUpdateTimestamp)],
        });
        for (const u of users) {
          const [a, d] = await Promise.all([
            client.readContract({ ...at, address: r.aToken, abi: aaveATokenAbi, functionName: "scaledBalanceOf", args: [u] }),
            client.readContract({ ...at, address: r.variableDebtToken, abi: aaveVariableDebtTokenAbi, functionName: "scaledBalanceOf", args: [u] }),
          ]);
          expect({ chain: c.name, reserve: r.symbol, user: u, a: scaledBalanceOf(m.state, r.aToken, u), d: scaledBalanceOf(m.state, r.variableDebtToken, u) }).toEqual({
            chain: c.name,
            reserve: r.symbol,
            user: u,
            a,
            d,
          });
        }
      }
      for (const u of users) {
        const onChain = await client.readContract({
          ...at,
          address: c.aaveV3!.pool,
          abi: aavePoolAbi,
          functionName: "getUserAccountData",
          args: [u],
        });
        const { mine, theirs } = accountDataPair({ chain: c.name, user: u }, accountData(m.state, u, head.timestamp), onChain);
        expect(mine).toEqual(theirs);
        compared++;
      }
    }
    expect(compared).toBe(devnet.deployment.chains.length * 7);
  });
});
