/**
 * Real anvil and Aave's own bytecode: bulk Aave rounds on one chain (automine off, evm_mine per
 * round) mine every transaction kind, the indexed logs the generator counts in its receipts equal
 * what countAaveLogs reads from the chain, and a crash of the volatile feeds makes the risky
 * accounts liquidatable: the next round liquidates them.
 */
import { encodeFunctionData } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceFeedAbi } from "../abis/index.js";
import { countAaveLogs } from "../test/harness/aaveEvents.js";
import { withDevnet, type DevnetFixture } from "../test/harness/devnet.js";
import { createAaveBulk, type AaveBulkGenerator } from "./aaveBulk.js";
import { rpcBlockNumber } from "./ponderProcess.js";
import { createRng } from "./random.js";
import { rpc } from "./rpc.js";
import { TxSender } from "./txSender.js";

let devnet: DevnetFixture;
let bulk: AaveBulkGenerator;

beforeAll(async () => {
  devnet = await withDevnet({ chains: [{ name: "l1", chainId: 31337 }], aaveV3: true, manualMining: true, gasLimit: 1_000_000_000n });
  const market = devnet.deployment.chains[0]!.aaveV3!;
  bulk = createAaveBulk({ chains: [{ name: "l1", rpcUrl: devnet.chains[0]!.rpcUrl, market }], accountsPerChain: 24, seed: 3, rng: createRng(3) });
}, 240_000);

afterAll(async () => {
  await devnet?.stop();
});

describe("bulk Aave rounds on a real Aave v3 market", () => {
  it("mines every action kind and counts the indexed logs the chain holds", async () => {
    const rpcUrl = devnet.chains[0]!.rpcUrl;
    const market = devnet.deployment.chains[0]!.aaveV3!;
    const before = await countAaveLogs(rpcUrl, market, await rpcBlockNumber(rpcUrl));
    for (let i = 0; i < 8; i++) await bulk.round();
    const after = await countAaveLogs(rpcUrl, market, await rpcBlockNumber(rpcUrl));
    const s = bulk.stats;
    expect(s.txFailed).toBe(0);
    for (const action of ["supply", "borrow", "repay", "withdraw", "transfer"] as const) expect(s.byAction[action]).toBeGreaterThan(0);
    expect(after.indexedTotal - before.indexedTotal).toBe(s.indexedLogs);
    expect(after.indexed["AavePool:ReserveDataUpdated"]).toBeGreaterThan(0);
    expect(after.indexed["AaveVariableDebtToken:Mint"]).toBeGreaterThan(0);
    expect(after.indexed["AaveAToken:BalanceTransfer"]).toBeGreaterThan(0);
    expect(after.emittedOnly["AavePool:Supply"]).toBe(s.byAction.supply);
  });

  it("liquidates the risky accounts after a crash of the volatile feeds", async () => {
    const dep = devnet.deployment.chains[0]!;
    const rpcUrl = devnet.chains[0]!.rpcUrl;
    const market = dep.aaveV3!;
    const sender = new TxSender<string>(rpcUrl, true);
    for (const r of market.reserves.filter((x) => x.symbol !== "USDC")) {
      // a reserve priced through a RatioPriceAdapter crashes with the feed the adapter multiplies
      const feed = r.priceAdapter?.underlyingFeed ?? r.priceSource;
      const answer = BigInt(await rpc<string>(rpcUrl, "eth_call", [{ to: feed, data: encodeFunctionData({ abi: priceFeedAbi, functionName: "latestAnswer" }) }, "latest"]));
      sender.enqueue({ from: dep.deployer, to: feed, data: encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [(answer * 60n) / 100n] }), gas: 200_000n, meta: r.symbol });
    }
    const outcomes = await sender.flush();
    expect(outcomes.every((o) => o.error === null)).toBe(true);
    await bulk.round();
    expect(bulk.stats.byAction.liquidation).toBeGreaterThan(0);
    expect(bulk.stats.failedByAction.liquidation).toBe(0);
    const counts = await countAaveLogs(rpcUrl, market, await rpcBlockNumber(rpcUrl));
    expect(counts.indexed["AavePool:LiquidationCall"]).toBe(bulk.stats.byAction.liquidation);
  });
});
