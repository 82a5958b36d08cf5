/**
 * Reorgs on the Aave tables: Aave activity indexed on a branch that is then replaced
 * (evm_snapshot → supplies, borrows, a levered account → evm_revert → other actions on a longer
 * branch; WBTC's price, read from its event-less ratio adapter, moves differently on each branch)
 * leaves the store, and the Aave market rebuilt from the store equals the chain again,
 * exactly (every getUserAccountData, scaled balance and reserve index at the head). The API's
 * domain view follows too: its rule for the levered account is the new branch's. Real anvil, the
 * real Aave bytecode, real Ponder on a real Postgres.
 */
import path from "node:path";
import pg from "pg";
import { createPublicClient, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAaveDriver } from "../devnet/aaveDriver.js";
import type { ChainDeployment } from "../devnet/deploy.js";
import { rpcBlockNumber, startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { createRng } from "../devnet/random.js";
import { rpc } from "../devnet/rpc.js";
import { AAVE_DEVNET_INITIAL_RATIO, setRatioData } from "../devnet/aave.js";
import { sendAndConfirm } from "../devnet/deploy.js";
import { aaveOracleAbi, aavePoolAbi } from "../protocols/aaveV3/abis.js";
import { AAVE_DEVNET_TREASURY } from "../protocols/aaveV3/deploy.js";
import { readAaveMarkets } from "../protocols/aaveV3/storeReader.js";
import { compareAaveMarket } from "./harness/aaveCompare.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { startPostgres } from "./harness/postgres.js";
import { pollUntil } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SEED = 41;
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let dbUrl: string;
let schema: string;
let l1: ChainDeployment;

async function storeDifferences(users: readonly Address[]): Promise<unknown[]> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  try {
    const markets = await readAaveMarkets(async (sql, params) => (await pool.query(sql, params as unknown[])).rows, { schema, chainIds: [l1.chainId] });
    return (await compareAaveMarket(l1, markets[0], users)).differences;
  } finally {
    await pool.end();
  }
}

/** The store's read price rows (aave_asset_price) of l1. */
async function readPriceRows(): Promise<{ asset: string; price: bigint; blockNumber: bigint }[]> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  try {
    const { rows } = await pool.query(`SELECT asset, price, block_number FROM "${schema}"."aave_asset_price" WHERE chain_id = $1`, [l1.chainId]);
    return rows.map((r: Record<string, unknown>) => ({ asset: String(r.asset), price: BigInt(r.price as string), blockNumber: BigInt(r.block_number as string) }));
  } finally {
    await pool.end();
  }
}

/** Sets the WBTC ratio adapter's ratio (no event); returns the block it was mined in. */
async function setWbtcRatio(ratio: bigint): Promise<bigint> {
  const adapter = l1.aaveV3!.reserves.find((r) => r.symbol === "WBTC")!.priceAdapter!.address;
  const [r] = await sendAndConfirm(l1.rpcUrl, l1.deployer, [{ to: adapter, data: setRatioData(ratio), label: "set WBTC ratio" }]);
  return r!.blockNumber;
}

async function apiDebtBase(user: Address): Promise<{ blockNumber: string; totalDebtBase: string } | null> {
  const res = await fetch(`${ponder.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "query($a: String!) { exposure(address: $a) { aave { chainId blockNumber rule { totalDebtBase } } } }", variables: { a: user } }),
  });
  const body = (await res.json()) as { data?: { exposure: { aave: { chainId: number; blockNumber: string; rule: { totalDebtBase: string } }[] } } };
  const m = body.data?.exposure.aave.find((a) => a.chainId === l1.chainId);
  return m ? { blockNumber: m.blockNumber, totalDebtBase: m.rule.totalDebtBase } : null;
}

beforeAll(async () => {
  const postgres = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ aaveV3: true, pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  l1 = devnet.deployment.chains.find((c) => c.name === "l1")!;
  dbUrl = await postgres.createDatabase("aave_reorg");
  schema = uniqueSchema("aave_reorg");
  ponder = cleanup.add(await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), databaseUrl: dbUrl }), (p) => p.kill9(), "ponder");
  await ponder.waitCaughtUp(devnet.caughtUp, 180_000);
}, 300_000);

afterAll(async () => {
  await cleanup.run();
});

describe("Aave reorg", () => {
  it("an orphaned branch's Aave activity leaves the store; the longer branch's store equals the chain; the API follows", async () => {
    const before = createAaveDriver({ rpcUrl: l1.rpcUrl, market: l1.aaveV3!, seed: SEED, accounts: 4 });
    const rng = createRng(SEED);
    for (let s = 0; s < 12; s++) await before.step(rng.fork("common"));
    const users = [...before.accounts, AAVE_DEVNET_TREASURY];
    const levered = before.accounts[3]!;
    const client = createPublicClient({ transport: http(l1.rpcUrl) });
    const debtOf = async (u: Address) => (await client.readContract({ address: l1.aaveV3!.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [u] }))[1];
    const debtBeforeFork = await debtOf(levered);

    const snapshot = await rpc<string>(l1.rpcUrl, "evm_snapshot");
    const forkHeight = await rpcBlockNumber(l1.rpcUrl);
    // Branch A (to be orphaned): more actions and an account levered to the edge.
    for (let s = 0; s < 8; s++) await before.step(rng.fork("A"));
    expect(await before.leverUp(levered)).toBe(true);
    // WBTC's price moves on branch A through its ratio adapter (no event): read, then orphaned
    const ratioOnA = await setWbtcRatio((AAVE_DEVNET_INITIAL_RATIO * 120n) / 100n);
    await rpc(l1.rpcUrl, "anvil_mine", ["0x3"]);
    const orphanTip = await rpcBlockNumber(l1.rpcUrl);
    const debtOnA = await debtOf(levered);
    expect(debtOnA).toBeGreaterThan(debtBeforeFork);
    await ponder.waitCaughtUp(devnet.caughtUp, 60_000);
    await pollUntil(async () => ((await storeDifferences(users)).length === 0 ? true : undefined), 60_000, "the store to follow branch A", 500);
    await pollUntil(async () => ((await apiDebtBase(levered))?.totalDebtBase === debtOnA.toString() ? true : undefined), 60_000, "the API to show branch A's debt", 250);
    const wbtc = l1.aaveV3!.reserves.find((r) => r.symbol === "WBTC")!.underlying;
    const oraclePrice = () => client.readContract({ address: l1.aaveV3!.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [wbtc] });
    expect(await readPriceRows()).toEqual([{ asset: wbtc.toLowerCase(), price: await oraclePrice(), blockNumber: ratioOnA }]);

    // Reorg: back to the fork point, then branch B (other actions, no lever), strictly longer than A.
    expect(await rpc<boolean>(l1.rpcUrl, "evm_revert", [snapshot])).toBe(true);
    expect(await rpcBlockNumber(l1.rpcUrl)).toBe(forkHeight);
    const after = createAaveDriver({ rpcUrl: l1.rpcUrl, market: l1.aaveV3!, seed: SEED, accounts: 3 }); // fresh nonces; accounts 0–2 only
    for (let s = 0; s < 6; s++) await after.step(rng.fork("B"));
    const ratioOnB = await setWbtcRatio((AAVE_DEVNET_INITIAL_RATIO * 85n) / 100n);
    const height = await rpcBlockNumber(l1.rpcUrl);
    await rpc(l1.rpcUrl, "anvil_mine", [`0x${Math.max(1, orphanTip + 4 - height).toString(16)}`]);
    expect(await rpcBlockNumber(l1.rpcUrl)).toBeGreaterThan(orphanTip);
    const debtOnB = await debtOf(levered);
    expect(debtOnB).not.toBe(debtOnA);

    await ponder.waitCaughtUp(devnet.caughtUp, 120_000);
    await pollUntil(async () => ((await storeDifferences(users)).length === 0 ? true : undefined), 60_000, "the store to equal branch B", 500);
    expect(await storeDifferences(users)).toEqual([]);
    // the read price is branch B's, read at branch B's block
    expect(await readPriceRows()).toEqual([{ asset: wbtc.toLowerCase(), price: await oraclePrice(), blockNumber: ratioOnB }]);
    const head = await rpcBlockNumber(l1.rpcUrl);
    const api = await pollUntil(async () => {
      const a = await apiDebtBase(levered);
      return a && BigInt(a.blockNumber) === BigInt(head) ? a : undefined;
    }, 60_000, "the API's domain view at branch B's head");
    expect(api.totalDebtBase).toBe((await debtOf(levered)).toString());
  }, 400_000);
});
