/**
 * TxSender on a real anvil (automine), including the transaction anvil parks in its queued pool.
 *
 * The parked state is reproduced deterministically: a transaction is sent one nonce ahead of the
 * account (so anvil queues it behind the gap), then anvil_setNonce moves the account's nonce onto
 * it. It is now queued at the account's next nonce, exactly the state seen under load, and anvil
 * never promotes it, not even on evm_mine (the premise is asserted in each test). Without the
 * replacement in TxSender.poll these tests time out.
 */
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { redactUrl } from "../config/redactUrl.js";
import { rpc } from "./rpc.js";
import { createNonceScope, TxSender, type InFlightTx, type NonceScope } from "./txSender.js";

// anvil's default accounts 5–9, unlocked; one per test so their nonces never interfere
const ACCOUNTS = [
  "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
  "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
  "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
  "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
] as Address[];

let chains: RunningChain[] = [];
let url: string;

beforeAll(async () => {
  try {
    chains = await startChains([{ name: "txsender", chainId: 31_337 }]);
    url = chains[0]!.rpcUrl;
  } catch (e) {
    await stopChains(chains);
    throw e;
  }
});

afterAll(async () => {
  await stopChains(chains);
});

const hex = (n: bigint): Hex => `0x${n.toString(16)}`;
const minedNonce = async (a: Address) => BigInt(await rpc<Hex>(url, "eth_getTransactionCount", [a, "latest"]));
const receipt = (hash: Hex) => rpc<{ status: Hex } | null>(url, "eth_getTransactionReceipt", [hash]);
const txByHash = (hash: Hex) => rpc<{ nonce: Hex; maxFeePerGas: Hex; blockNumber: Hex | null } | null>(url, "eth_getTransactionByHash", [hash]);
async function queuedHashes(): Promise<Set<string>> {
  const pool = await rpc<{ queued: Record<string, Record<string, { hash: Hex }>> }>(url, "txpool_content");
  return new Set(Object.values(pool.queued).flatMap((byNonce) => Object.values(byNonce).map((t) => t.hash.toLowerCase())));
}
const transfer = (from: Address, meta = "transfer") => ({ from, to: from, data: "0x" as Hex, value: 1n, gas: 21_000n, meta });

/** Send one transaction `ahead` nonces past the account's mined nonce: anvil queues it behind the gap. */
async function sendAhead(sender: TxSender<string>, scope: NonceScope, from: Address, ahead: bigint) {
  const n = await minedNonce(from);
  scope.nonces.set(from.toLowerCase(), n + ahead);
  const { outcomes, inFlight } = await sender.send([transfer(from)]);
  expect(outcomes[0]!.error).toBeNull();
  return { n, inFlight, originalHash: inFlight[0]!.hash };
}

/** The parked state: queued at the account's next nonce, and evm_mine does not mine it. */
async function park(sender: TxSender<string>, scope: NonceScope, from: Address) {
  const sent = await sendAhead(sender, scope, from, 1n);
  await rpc(url, "anvil_setNonce", [from, hex(sent.n + 1n)]);
  await rpc(url, "evm_mine");
  expect(await receipt(sent.originalHash)).toBeNull();
  expect(await queuedHashes()).toContain(sent.originalHash.toLowerCase());
  return sent;
}

/** A sender for one account with its own nonce scope, collecting what it logs. */
function loggingSender(from: Address, stuckMs: number) {
  const scope = createNonceScope();
  const logs: string[] = [];
  const sender = new TxSender<string>(url, false, 500, scope, { log: (m) => logs.push(m), stuckMs });
  return { from, scope, logs, sender };
}

describe("TxSender on anvil", () => {
  it("default: batches from several accounts are mined with consecutive nonces and nothing is resent", async () => {
    const logs: string[] = [];
    // stuck after 2 s: a healthy batch is mined well within it, even on a loaded machine (at 0.3 s a CI run saw one resend)
    const sender = new TxSender<string>(url, false, 500, undefined, { log: (m) => logs.push(m), stuckMs: 2000 });
    const froms = ACCOUNTS.slice(0, 4);
    const before = await Promise.all(froms.map(minedNonce));
    for (const from of froms) for (let i = 0; i < 25; i++) sender.enqueue(transfer(from, `${from}:${i}`));
    const outcomes = await sender.flush(30_000);
    expect(outcomes).toHaveLength(100);
    expect(outcomes.filter((o) => o.error !== null || o.blockNumber === null)).toEqual([]);
    const after = await Promise.all(froms.map(minedNonce));
    expect(after.map((n, i) => n - before[i]!)).toEqual([25n, 25n, 25n, 25n]);
    expect(logs).toEqual([]);
  });

  it("behavior: confirm replaces a transaction anvil parked, with the same nonce and higher fees, and logs it", async () => {
    const { from, scope, logs, sender } = loggingSender(ACCOUNTS[0]!, 300);
    const { n, inFlight, originalHash } = await park(sender, scope, from);
    const original = (await txByHash(originalHash))!;

    await sender.confirm(inFlight, 20_000);

    const outcome = inFlight[0]!.outcome;
    expect(outcome.error).toBeNull();
    expect(outcome.blockNumber).not.toBeNull();
    expect(outcome.hash).not.toBe(originalHash);
    const mined = (await txByHash(outcome.hash!))!;
    expect(BigInt(mined.nonce)).toBe(n + 1n); // the same nonce
    expect(BigInt(mined.maxFeePerGas)).toBe(BigInt(original.maxFeePerGas) * 2n); // strictly higher fees
    expect(await receipt(originalHash)).toBeNull(); // the parked one was replaced, not mined as well
    expect(await minedNonce(from)).toBe(n + 2n); // exactly one transaction used that nonce
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`nonce ${n + 1n}`);
    expect(logs[0]).toContain(originalHash);
    expect(logs[0]).toContain(redactUrl(url));

    // the sender's nonce bookkeeping is intact: its next transaction takes the next nonce
    const [next] = await sender.submit([transfer(from)], 20_000);
    expect(next!.error).toBeNull();
    expect(BigInt((await txByHash(next!.hash!))!.nonce)).toBe(n + 2n);
    expect(logs).toHaveLength(1);
  });

  it("behavior: poll alone (the simulator's live loop) resolves a parked transaction", async () => {
    const { from, scope, logs, sender } = loggingSender(ACCOUNTS[1]!, 300);
    const { n, inFlight } = await park(sender, scope, from);
    const tracked = inFlight[0]!;

    let waiting: InFlightTx<string>[] = inFlight;
    const deadline = Date.now() + 20_000;
    while (waiting.length > 0 && Date.now() < deadline) {
      waiting = await sender.poll(waiting);
      if (waiting.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(waiting).toEqual([]);
    expect(tracked.outcome.error).toBeNull();
    expect(tracked.outcome.hash).toBe(tracked.hash);
    expect(tracked.replacements).toBe(1);
    expect(await minedNonce(from)).toBe(n + 2n);
    expect(logs).toHaveLength(1);
  });

  it("behavior: a transaction behind a real nonce gap is not replaced, and the timeout names the gap", async () => {
    const { from, scope, logs, sender } = loggingSender(ACCOUNTS[2]!, 200);
    const { n, inFlight, originalHash } = await sendAhead(sender, scope, from, 1n);
    try {
      await expect(sender.confirm(inFlight, 2_500)).rejects.toThrow(`waits in anvil's queued pool behind missing nonce ${n}`);
      expect(logs).toEqual([]);
      expect(await queuedHashes()).toContain(originalHash.toLowerCase()); // still the original: no replacement
      expect(await minedNonce(from)).toBe(n);
      expect(inFlight[0]!.outcome.error).toBe("not mined before the deadline");
    } finally {
      // anvil_dropTransaction leaves queued transactions in place; this removes them
      await rpc(url, "anvil_removePoolTransactions", [from]);
    }
    expect(await queuedHashes()).not.toContain(originalHash.toLowerCase());
    // abandon forgot the stale nonce: the next send reads it from the node again
    const [next] = await sender.submit([transfer(from)], 20_000);
    expect(next!.error).toBeNull();
    expect(await minedNonce(from)).toBe(n + 1n);
  });
});
