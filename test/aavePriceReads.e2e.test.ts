/**
 * Aave prices from a source that emits no events, read by the real xmargin Ponder app: one anvil
 * chain, the devnet's Aave v3 market (Aave's own bytecode) whose WBTC source is a
 * RatioPriceAdapter over the BTC feed (devnet/aave.ts), the devnet config reading WBTC's price
 * every block (`priceReads`). Aave accounts are driven; the adapter's ratio changes (no event at
 * all) and the BTC feed moves (its AnswerUpdated names the feed, not the adapter AaveOracle
 * follows). Ponder backfills on PGlite; then, at the indexed head, every account's account data
 * rebuilt from the store equals Pool.getUserAccountData exactly, the stored read price equals
 * AaveOracle.getAssetPrice and names the block the price last changed at, and the event-followed
 * answer of the adapter is stale (so without the reads the account data would be wrong). The test
 * also reads WETH, whose PriceFeed emits AnswerUpdated, and moves it twice within one block: the
 * read and the followed answer agree on the block's last value. A second
 * Ponder on the same database, in a fresh schema, replays from Ponder's RPC cache to the same rows.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createPublicClient, encodeFunctionData, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceFeedAbi } from "../abis/index.js";
import { AAVE_DEVNET_INITIAL_RATIO, setRatioData, type DevnetAaveReserve } from "../devnet/aave.js";
import { createAaveDriver, type AaveDriver } from "../devnet/aaveDriver.js";
import { DEFAULT_CHAINS } from "../devnet/defaults.js";
import { sendAndConfirm, type ChainDeployment } from "../devnet/deploy.js";
import { startPonder } from "../devnet/ponderProcess.js";
import { createRng } from "../devnet/random.js";
import { rpc } from "../devnet/rpc.js";
import { aaveOracleAbi } from "../protocols/aaveV3/abis.js";
import { AAVE_DEVNET_TREASURY } from "../protocols/aaveV3/deploy.js";
import { readAaveMarkets, type AaveStoreMarket } from "../protocols/aaveV3/storeReader.js";
import { compareAaveMarket } from "./harness/aaveCompare.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let chain: ChainDeployment;
let wbtc: DevnetAaveReserve;
let weth: DevnetAaveReserve;
let driver: AaveDriver;
/** the block of the last transaction that moved WBTC's Aave price */
let lastPriceMove = 0n;
const priceHistory: { what: string; block: bigint; price: bigint }[] = [];
const stores: { label: string; markets: AaveStoreMarket[]; rows: Record<string, unknown>[]; cachedCalls: number }[] = [];

const client = () => createPublicClient({ transport: http(chain.rpcUrl) });
const oraclePrice = (blockNumber?: bigint) =>
  client().readContract({ address: chain.aaveV3!.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [wbtc.underlying], ...(blockNumber === undefined ? {} : { blockNumber }) });

const oraclePriceOf = (asset: Address, blockNumber: bigint) => client().readContract({ address: chain.aaveV3!.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [asset], blockNumber });
let ethMoveBlock = 0n;

async function send(to: Address, data: `0x${string}`, label: string): Promise<bigint> {
  const [r] = await sendAndConfirm(chain.rpcUrl, chain.deployer, [{ to, data, label }]);
  return r!.blockNumber;
}

async function movePrice(what: string, to: Address, data: `0x${string}`): Promise<void> {
  const before = await oraclePrice();
  const block = await send(to, data, what);
  const price = await oraclePrice(block);
  expect(price, `${what} moves Aave's WBTC price`).not.toBe(before);
  lastPriceMove = block;
  priceHistory.push({ what, block, price });
}

async function backfill(label: string, dir: string): Promise<void> {
  const schema = uniqueSchema("aave_reads");
  const ponder = cleanup.add(await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir: dir }), (p) => p.kill9(), `ponder ${label}`);
  await ponder.waitCaughtUp(devnet.caughtUp, 240_000);
  await ponder.stop();
  const db = new PGlite(dir);
  try {
    const query = async (sql: string, params: readonly unknown[]) => (await db.query<Record<string, unknown>>(sql, params as unknown[])).rows;
    // Ponder's RPC cache (eth_call results by block, among others) in the same database
    const [{ n }] = (await query(`SELECT count(*)::int AS n FROM ponder_sync.rpc_request_results WHERE block_number IS NOT NULL`, [])) as [{ n: number }];
    stores.push({ label, markets: await readAaveMarkets(query, { schema }), rows: await query(`SELECT * FROM "${schema}"."aave_asset_price"`, []), cachedCalls: n });
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  const l1 = DEFAULT_CHAINS.find((c) => c.name === "l1")!;
  devnet = cleanup.add(await withDevnet({ aaveV3: true, chains: [{ name: l1.name, chainId: l1.chainId }], pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
  chain = devnet.deployment.chains[0]!;
  wbtc = chain.aaveV3!.reserves.find((r) => r.symbol === "WBTC")!;
  weth = chain.aaveV3!.reserves.find((r) => r.symbol === "WETH")!;
  // Also read WETH, whose source (the ETH PriceFeed) emits AnswerUpdated: events and reads must agree.
  const file = JSON.parse(readFileSync(devnet.configPath, "utf8")) as { chains: Record<string, { aaveV3: { priceReads: { assets: string[] } } }> };
  file.chains.l1!.aaveV3.priceReads.assets.push("WETH");
  writeFileSync(devnet.configPath, JSON.stringify(file, null, 2));
  driver = createAaveDriver({ rpcUrl: chain.rpcUrl, market: chain.aaveV3!, seed: 500, accounts: 6, log: () => {} });
  const rng = createRng(11);
  for (let s = 0; s < 20; s++) await driver.step(rng);
  const adapter = wbtc.priceAdapter!.address;
  const feed = wbtc.priceAdapter!.underlyingFeed;
  const btc = await client().readContract({ address: feed, abi: priceFeedAbi, functionName: "latestAnswer" });
  // the ratio rises 7% (no event), the feed falls 30% (an event on the feed, none on the adapter), the ratio falls
  await movePrice("ratio × 1.07", adapter, setRatioData((AAVE_DEVNET_INITIAL_RATIO * 107n) / 100n));
  for (let s = 0; s < 8; s++) await driver.step(rng);
  await movePrice("BTC feed −30%", feed, encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [(btc * 70n) / 100n] }));
  for (let s = 0; s < 8; s++) await driver.step(rng);
  await movePrice("ratio × 0.9137", adapter, setRatioData((AAVE_DEVNET_INITIAL_RATIO * 9137n) / 10_000n));
  // WETH's feed moves twice in one block (automine off): the read must give the block's last answer
  const eth = await client().readContract({ address: weth.priceSource, abi: priceFeedAbi, functionName: "latestAnswer" });
  await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
  const ethFeed = weth.priceSource;
  const update = (answer: bigint) => encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [answer] });
  const nonce = await client().getTransactionCount({ address: chain.deployer, blockTag: "pending" });
  for (const [i, answer] of [(eth * 80n) / 100n, (eth * 77n) / 100n].entries()) {
    await rpc(chain.rpcUrl, "eth_sendTransaction", [{ from: chain.deployer, to: ethFeed, data: update(answer), gas: "0x30000", nonce: `0x${(nonce + i).toString(16)}` }]);
  }
  await rpc(chain.rpcUrl, "evm_mine", []);
  await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
  ethMoveBlock = await client().getBlockNumber({ cacheTime: 0 });
  const logs = await client().getLogs({ address: ethFeed, fromBlock: ethMoveBlock, toBlock: ethMoveBlock });
  expect(logs.length, "two updates (NewRound + AnswerUpdated each) in one block").toBe(4);
  expect(await oraclePriceOf(weth.underlying, ethMoveBlock)).toBe((eth * 77n) / 100n);
  // activity after the last move: the read price must keep the block it changed at
  for (let s = 0; s < 8; s++) await driver.step(rng);

  const dir = devnet.pgliteDir();
  await backfill("backfill", dir);
  await backfill("replay (same database, fresh schema: Ponder's RPC cache)", dir);
}, 600_000);

afterAll(async () => {
  await cleanup.run();
});

describe("Aave prices read from a source that emits no events", () => {
  it("the devnet config reads WBTC, whose source is the adapter, every block (this test adds WETH)", () => {
    const entry = (devnet.config.chains as Record<string, { aaveV3?: { priceReads?: unknown; reserves: { symbol: string; priceSource: string }[] } }>).l1!.aaveV3!;
    expect(entry.priceReads).toEqual({ everyBlocks: 1, assets: ["WBTC"] });
    expect(entry.reserves.find((r) => r.symbol === "WBTC")!.priceSource).toBe(wbtc.priceAdapter!.address);
    expect(wbtc.priceSource).toBe(wbtc.priceAdapter!.address);
    console.log(`aave price reads e2e: ${driver.stats.sent} Aave transactions (${driver.stats.failed} reverted); ${stores.map((x) => x.cachedCalls).join(" / ")} cached block-dependent RPC results after the backfill / the replay; WBTC price moves ${priceHistory.map((p) => `${p.what} @${p.block} → ${p.price}`).join(", ")}`);
  });

  it.each([0, 1])("store %i: every account's getUserAccountData, every reserve and scaled balance, exactly, at the head block", async (i) => {
    const { label, markets } = stores[i]!;
    expect(markets).toHaveLength(1);
    const result = await compareAaveMarket(chain, markets[0], [...driver.accounts, AAVE_DEVNET_TREASURY]);
    expect({ label, differences: result.differences }).toEqual({ label, differences: [] });
    expect(result.compared).toBe(7);
  });

  it("the stored read price is AaveOracle.getAssetPrice at the head, read at the block of the last move; replay gives the same row", async () => {
    const head = await client().getBlockNumber({ cacheTime: 0 });
    expect(head).toBeGreaterThan(lastPriceMove);
    const market = stores[0]!.markets[0]!;
    expect(market.state.readPrices.get(wbtc.underlying)).toBe(await oraclePrice(head));
    expect([...market.state.readPrices.keys()].sort()).toEqual([wbtc.underlying, weth.underlying].sort()); // only the configured assets are read
    const rows = stores[0]!.rows.map((r) => ({ asset: String(r.asset), price: BigInt(r.price as string), blockNumber: BigInt(r.block_number as string) }));
    expect(rows.find((r) => r.asset === wbtc.underlying.toLowerCase())).toEqual({ asset: wbtc.underlying.toLowerCase(), price: priceHistory.at(-1)!.price, blockNumber: lastPriceMove });
    expect(stores[1]!.rows).toEqual(stores[0]!.rows);
    // the replay asked the node nothing new: every read came from Ponder's cache
    expect(stores[0]!.cachedCalls).toBeGreaterThan(Number(lastPriceMove - BigInt(chain.aaveV3!.startBlock)));
    expect(stores[1]!.cachedCalls).toBe(stores[0]!.cachedCalls);
    expect(stores[1]!.markets[0]!.state.readPrices).toEqual(market.state.readPrices);
  });

  it("an asset read AND followed (WETH: its feed emits AnswerUpdated) has one price: the read, the followed answer and getAssetPrice agree, at the block's last update", async () => {
    for (const { markets, rows } of stores) {
      const state = markets[0]!.state;
      const chainPrice = await oraclePriceOf(weth.underlying, ethMoveBlock);
      expect({ read: state.readPrices.get(weth.underlying), followed: state.answers.get(weth.priceSource) }).toEqual({ read: chainPrice, followed: chainPrice });
      const row = rows.find((r) => String(r.asset) === weth.underlying.toLowerCase())!;
      expect(BigInt(row.block_number as string)).toBe(ethMoveBlock);
    }
  });

  it("negative: the event-followed answer of the adapter is stale, and account data built from it differs from the chain", async () => {
    const market = stores[0]!.markets[0]!;
    const followed = market.state.answers.get(wbtc.priceAdapter!.address);
    // read once at AssetSourceUpdated (ratio 1.0 × the feed's initial answer), never updated: no event says it moved
    expect(followed).toBe(await oraclePrice(priceHistory[0]!.block - 1n));
    expect(followed).not.toBe(await oraclePrice());
    const withoutReads = { ...market, state: { ...market.state, readPrices: new Map() } };
    const result = await compareAaveMarket(chain, withoutReads, [...driver.accounts, AAVE_DEVNET_TREASURY]);
    expect(result.differences.length).toBeGreaterThan(0);
  });
});
