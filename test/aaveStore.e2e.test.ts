/**
 * Aave v3 indexed by the real xmargin Ponder app into the store: on three anvil chains, the
 * devnet's vault and a real Aave v3 market (Aave's own bytecode) priced by the vault's feeds
 * (WBTC through a RatioPriceAdapter that emits no events, so its price is read every block);
 * Aave accounts driven (supply, borrow, repay, withdraw, aToken transfers, collateral off/on),
 * then the simulator's crash path (every risky feed −35%), then more Aave activity. Ponder
 * (PGlite) backfills; the Aave market state rebuilt from the store rows alone
 * (protocols/aaveV3/storeReader.ts) must equal, exactly, at the indexed head block:
 * Pool.getUserAccountData of every account and the treasury, getReserveData's indexes, rates
 * and last update, and every aToken's and variable debt token's scaledBalanceOf.
 */
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createPublicClient, http, parseUnits, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAaveDriver, type AaveDriver } from "../devnet/aaveDriver.js";
import { startAaveLiquidator } from "../devnet/aaveLiquidator.js";
import { startPonder } from "../devnet/ponderProcess.js";
import { createRng } from "../devnet/random.js";
import { createSimulator } from "../devnet/simulator.js";
import { aaveOracleAbi, aavePoolAbi } from "../protocols/aaveV3/abis.js";
import { AAVE_DEVNET_TREASURY } from "../protocols/aaveV3/deploy.js";
import { readAaveMarkets, type AaveStoreMarket } from "../protocols/aaveV3/storeReader.js";
import { compareAaveMarket } from "./harness/aaveCompare.js";
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
let aaveLiquidations = 0;
/** what the live API answered for every Aave user once it had read the head block */
const apiAnswers: { chainId: number; user: Address; blockNumber: bigint; rule: ApiRule | null }[] = [];
let apiBadDebt: { perChain: { chainId: number; badDebtUsd: string }[]; domains: { id: string; protocol: string; chainIds: number[]; badDebtUsd: string; blockNumber: string | null }[] } | null = null;

interface ApiRule {
  healthFactor: string | null;
  totalCollateralBase: string;
  totalDebtBase: string;
  availableBorrowsBase: string;
  currentLiquidationThresholdBps: number;
  ltvBps: number;
  liquidatable: boolean;
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

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
  // One account per chain levered to the edge, so the crash below leaves it liquidatable.
  for (const c of devnet.deployment.chains) expect(await drivers.get(c.name)!.leverUp(drivers.get(c.name)!.accounts[0]!), `leverUp on ${c.name}`).toBe(true);
  // The simulator's crash path: every risky asset's feed −35% on every chain (Aave reads the same feeds; WBTC through its ratio adapter).
  const sim = createSimulator({ chains: devnet.chains, deployment: devnet.deployment, seed: 3, accounts: 4 });
  await sim.crash({ pct: 0.35 });
  for (const c of devnet.deployment.chains) {
    const client = createPublicClient({ transport: http(c.rpcUrl) });
    for (const u of drivers.get(c.name)!.accounts) {
      const [, debt, , , , hf] = await client.readContract({ address: c.aaveV3!.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [u] });
      if (debt > 0n && hf < 10n ** 18n) liquidatableAfterCrash++;
    }
  }
  // The reference Aave liquidator acts on the live API's list (Aave's rule: close factor, bonus),
  // pushed by the aaveEndangered subscription (no poll: intervalMs 0).
  if (liquidatableAfterCrash > 0) {
    const liquidator = await startAaveLiquidator({ apiUrl: livePonder.url, deployment: devnet.deployment, intervalMs: 0 });
    try {
      aaveLiquidations = await until("the Aave liquidator's first mined liquidationCall, from a push", 120_000, async () => (liquidator.stats().liquidations > 0 ? liquidator.stats().liquidations : null));
    } finally {
      await liquidator.stop();
    }
  }
  await Promise.all(
    devnet.deployment.chains.map(async (c) => {
      const chainRng = rng.fork(`${c.name}-after`);
      for (let s = 0; s < 10; s++) await drivers.get(c.name)!.step(chainRng);
    }),
  );

  await livePonder.waitCaughtUp(devnet.caughtUp, 240_000);
  // The API's Aave domains, once they have read each chain's head block (the chains are quiet now).
  const heads = new Map(await Promise.all(devnet.deployment.chains.map(async (c) => [c.chainId, await createPublicClient({ transport: http(c.rpcUrl) }).getBlockNumber()] as const)));
  apiBadDebt = await until("the API's Aave domains at the head blocks", 60_000, async () => {
    const d = await gql<{ badDebt: NonNullable<typeof apiBadDebt> }>(
      livePonder.url,
      "{ badDebt { perChain { chainId badDebtUsd } domains { id protocol chainIds badDebtUsd blockNumber } } }",
    );
    const aave = d.badDebt.domains.filter((x) => x.protocol === "AAVE_V3");
    return aave.length === heads.size && aave.every((x) => x.blockNumber !== null && BigInt(x.blockNumber) === heads.get(x.chainIds[0]!)) ? d.badDebt : null;
  });
  for (const c of devnet.deployment.chains) {
    for (const user of [...drivers.get(c.name)!.accounts, AAVE_DEVNET_TREASURY]) {
      const e = await gql<{ exposure: { aave: { chainId: number; blockNumber: string; rule: ApiRule }[] } }>(
        livePonder.url,
        "query($a: String!) { exposure(address: $a) { aave { chainId blockNumber rule { healthFactor totalCollateralBase totalDebtBase availableBorrowsBase currentLiquidationThresholdBps ltvBps liquidatable } } } }",
        { a: user },
      );
      const mine = e.exposure.aave.find((x) => x.chainId === c.chainId);
      apiAnswers.push({ chainId: c.chainId, user, blockNumber: mine ? BigInt(mine.blockNumber) : heads.get(c.chainId)!, rule: mine?.rule ?? null });
    }
  }
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
    console.log(`aave store e2e: ${[...drivers].map(([n, d]) => `${n} ${d.stats.sent} sent / ${d.stats.failed} reverted`).join(", ")}; ${liquidatableAfterCrash} accounts below HF 1 after the crash, ${aaveLiquidations} liquidated by the reference liquidator`);
    // the crash must give the liquidator work, or the liquidation path is not exercised
    expect(liquidatableAfterCrash).toBeGreaterThan(0);
    expect(aaveLiquidations).toBeGreaterThan(0);
  });

  it("the live API's Aave rule per account equals Pool.getUserAccountData at the block it is stamped with; bad debt sums per chain", async () => {
    expect(apiAnswers).toHaveLength(devnet.deployment.chains.length * 7);
    let withPosition = 0;
    for (const a of apiAnswers) {
      const c = devnet.deployment.chains.find((x) => x.chainId === a.chainId)!;
      const client = createPublicClient({ transport: http(c.rpcUrl) });
      const [coll, debt, avail, lt, ltv, hf] = await client.readContract({ blockNumber: a.blockNumber, address: c.aaveV3!.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [a.user] });
      const theirs = {
        user: a.user,
        healthFactor: debt === 0n ? null : hf,
        totalCollateralBase: coll,
        totalDebtBase: debt,
        availableBorrowsBase: avail,
        currentLiquidationThresholdBps: lt,
        ltvBps: ltv,
        liquidatable: debt > 0n && hf < 10n ** 18n,
      };
      if (a.rule === null) {
        // the API lists an account only with a position: then the chain shows none either
        expect({ user: a.user, coll, debt }).toEqual({ user: a.user, coll: 0n, debt: 0n });
        continue;
      }
      withPosition++;
      const r = a.rule;
      const mine = {
        user: a.user,
        healthFactor: r.healthFactor === null ? null : parseUnits(r.healthFactor, 18),
        totalCollateralBase: BigInt(r.totalCollateralBase),
        totalDebtBase: BigInt(r.totalDebtBase),
        availableBorrowsBase: BigInt(r.availableBorrowsBase),
        currentLiquidationThresholdBps: BigInt(r.currentLiquidationThresholdBps),
        ltvBps: BigInt(r.ltvBps),
        liquidatable: r.liquidatable,
      };
      expect(mine).toEqual(theirs);
    }
    expect(withPosition).toBeGreaterThan(devnet.deployment.chains.length * 3);
    const domains = apiBadDebt!.domains.filter((d) => d.id !== "vault");
    for (const p of apiBadDebt!.perChain) {
      const ids = domains.filter((d) => d.id.startsWith(`aaveV3:${p.chainId}:`));
      expect(ids.reduce((sum, d) => sum + Number(d.badDebtUsd), 0)).toBeCloseTo(Number(p.badDebtUsd), 9);
    }
  });

  it.each(["postgres (live)", "pglite (backfill)"])("%s: every account's getUserAccountData, every reserve's indexes and every scaled balance, exactly, at the head block", async (label) => {
    const markets = stores.find((s) => s.label === label)!.markets;
    let compared = 0;
    for (const c of devnet.deployment.chains) {
      const m = markets.find((x) => x.chainId === c.chainId);
      expect(m?.state.reserves.size).toBe(3);
      // WBTC's source is a RatioPriceAdapter (no events): its price is the one read at the head block
      const wbtc = c.aaveV3!.reserves.find((r) => r.symbol === "WBTC")!;
      const head = await createPublicClient({ transport: http(c.rpcUrl) }).getBlockNumber({ cacheTime: 0 });
      const oracle = await createPublicClient({ transport: http(c.rpcUrl) }).readContract({ blockNumber: head, address: c.aaveV3!.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [wbtc.underlying] });
      expect({ label, chain: c.name, read: [...m!.state.readPrices] }).toEqual({ label, chain: c.name, read: [[wbtc.underlying, oracle]] });
      const result = await compareAaveMarket(c, m, [...drivers.get(c.name)!.accounts, AAVE_DEVNET_TREASURY]);
      expect({ label, chain: c.name, differences: result.differences }).toEqual({ label, chain: c.name, differences: [] });
      compared += result.compared;
    }
    expect(compared).toBe(devnet.deployment.chains.length * 7);
  });
});
