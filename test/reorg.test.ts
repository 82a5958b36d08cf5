/**
 * Reorgs: events indexed on a branch that is then replaced (evm_snapshot → events → mine →
 * evm_revert → other events on a longer branch) vanish from the store, the new branch's events
 * appear, and the whole store equals the canonical chain's ground truth. Real anvil, real Ponder on
 * a real Postgres (read directly while Ponder runs).
 */
import path from "node:path";
import pg from "pg";
import { encodeFunctionData, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { sendAndConfirm, type ChainDeployment } from "../devnet/deploy.js";
import { rpcBlockNumber, startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { rpc } from "../devnet/rpc.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { groundTruth } from "./harness/groundTruth.js";
import { freePort } from "./harness/ports.js";
import { startPostgres } from "./harness/postgres.js";
import { readStore } from "./harness/store.js";
import { pollUntil } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const ORPHAN = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc" as Address; // anvil account 5
const CANON = "0x976EA74026E726554dB657fA54763abd0C3a0aa9" as Address; // anvil account 6
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let dbUrl: string;
let schema: string;
let l1: ChainDeployment;

const call = (abi: any, fn: string, args: unknown[]) => encodeFunctionData({ abi, functionName: fn as never, args: args as never });

async function deposit(chain: ChainDeployment, from: Address, amount: bigint): Promise<void> {
  await sendAndConfirm(chain.rpcUrl, from, [
    { to: chain.quoteToken, data: call(testTokenAbi, "mint", [from, amount]), label: "mint" },
    { to: chain.quoteToken, data: call(testTokenAbi, "approve", [chain.vault, amount]), label: "approve" },
  ]);
  await sendAndConfirm(chain.rpcUrl, from, [{ to: chain.vault, data: call(marginVaultAbi, "deposit", [chain.quoteToken, amount]), label: "deposit" }]);
}

async function collateralOf(account: Address): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const res = await client.query(`SELECT amount_raw::text AS amount FROM "${schema}"."collateral" WHERE chain_id = $1 AND account = $2`, [
      l1.chainId,
      account.toLowerCase(),
    ]);
    return res.rows[0]?.amount as string | undefined;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const postgres = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  l1 = devnet.deployment.chains.find((c) => c.name === "l1")!;
  dbUrl = await postgres.createDatabase("reorg");
  schema = uniqueSchema("reorg");
  ponder = cleanup.add(await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), databaseUrl: dbUrl }), (p) => p.kill9(), "ponder");
  await ponder.waitCaughtUp(devnet.caughtUp, 180_000);
}, 300_000);

afterAll(async () => {
  await cleanup.run();
});

describe("reorg", () => {
  it("orphaned events leave the store, the longer branch's events enter it, the store equals the canonical chain", async () => {
    const snapshot = await rpc<string>(l1.rpcUrl, "evm_snapshot");
    const forkHeight = await rpcBlockNumber(l1.rpcUrl);

    // Branch A (to be orphaned): a deposit and a price, then a few empty blocks.
    await deposit(l1, ORPHAN, 777_000_000n);
    await sendAndConfirm(l1.rpcUrl, l1.deployer, [{ to: l1.feeds.BTC.address, data: call(priceFeedAbi, "updateAnswer", [123_456_000_000n]), label: "price A" }]);
    await rpc(l1.rpcUrl, "anvil_mine", ["0x3"]);
    const orphanTip = await rpcBlockNumber(l1.rpcUrl);
    await pollUntil(async () => ((await collateralOf(ORPHAN)) === "777000000" ? true : undefined), 60_000, "the orphan branch's deposit in the store");
    await ponder.waitCaughtUp(devnet.caughtUp, 60_000);

    // Reorg: back to the fork point, then branch B, strictly longer than A.
    expect(await rpc<boolean>(l1.rpcUrl, "evm_revert", [snapshot])).toBe(true);
    expect(await rpcBlockNumber(l1.rpcUrl)).toBe(forkHeight);
    await deposit(l1, CANON, 555_000_000n);
    const height = await rpcBlockNumber(l1.rpcUrl);
    await rpc(l1.rpcUrl, "anvil_mine", [`0x${(orphanTip + 4 - height).toString(16)}`]);
    expect(await rpcBlockNumber(l1.rpcUrl)).toBe(orphanTip + 4);

    // Ponder's block must pass the orphan tip, so it has followed branch B.
    await ponder.waitCaughtUp(devnet.caughtUp, 120_000);
    await pollUntil(async () => ((await collateralOf(ORPHAN)) === undefined ? true : undefined), 60_000, "the orphaned deposit to leave the store");
    expect(await collateralOf(CANON)).toBe("555000000");

    const truth = await groundTruth(devnet.truthChains);
    const store = await readStore({ kind: "postgres", url: dbUrl, schema });
    expect(compareStore(truth, store)).toEqual([]);
    // The orphaned price round is gone too: no round of that answer on l1.
    expect(store.priceRound.filter((r) => r.chainId === String(l1.chainId) && r.answerRaw === "123456000000")).toEqual([]);
  }, 300_000);
});
