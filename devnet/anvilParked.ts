/**
 * Anvil (automine) sometimes parks one transaction of a concurrent batch in its "queued" pool: it
 * arrived while the block with its predecessor was being mined, and anvil never promotes it, not
 * even on evm_mine, although its nonce is now the account's next one (measured: ~1 batch in 400
 * with four concurrent senders on a loaded 2-core machine). This module finds such transactions
 * and says what to do with each; TxSender.poll acts on it (so confirm, submit, flush, deploy's
 * sendAndConfirm, the liquidator and the simulator's live loop all share one code path).
 *
 * A parked transaction is replaced, never duplicated: the same sender, the same nonce and strictly
 * higher fees (anvil refuses the same hash as "already imported" and a same-fee replacement as
 * underpriced), so at most one transaction per nonce can ever be mined.
 */
import type { Address, Hex } from "viem";
import { redactUrl } from "../config/redactUrl.js";
import { rpc, rpcBatchStrict } from "./rpc.js";

/** One transaction as `txpool_content` lists it (the fields used here). */
export interface PoolTx {
  hash: Hex;
  nonce: Hex;
  maxFeePerGas?: Hex | null;
  maxPriorityFeePerGas?: Hex | null;
  gasPrice?: Hex | null;
}

/** `txpool_content`: sender → nonce (decimal string) → transaction. */
export interface TxPoolContent {
  pending?: Record<string, Record<string, PoolTx>>;
  queued?: Record<string, Record<string, PoolTx>>;
}

/** Fees of a replacement: EIP-1559 (maxFeePerGas + maxPriorityFeePerGas) or legacy (gasPrice). */
export type ReplacementFees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

export type WaitingVerdict =
  /** Queued at the account's next nonce: anvil will not mine it; replace it with `fees`. */
  | { kind: "parked"; fees: ReplacementFees }
  /** Queued behind a nonce the node never got: a replacement would wait just the same. */
  | { kind: "gap"; accountNonce: bigint }
  /** Pending, mined or gone: leave it alone. */
  | { kind: "none" };

/** Priority fee assumed when the pool does not report one (anvil's default tip is 1 gwei). */
const DEFAULT_PRIORITY_FEE = 1_000_000_000n;

/**
 * Fees for a same-nonce replacement of `poolTx`: every fee doubled (strictly higher, as anvil
 * requires; doubling also clears geth's 10% bump rule). Example: maxFee 1000 gwei, tip 1 gwei →
 * maxFee 2000 gwei, tip 2 gwei; legacy gasPrice 2 gwei → 4 gwei.
 */
export function replacementFees(poolTx: PoolTx): ReplacementFees {
  if (poolTx.maxFeePerGas) {
    const maxFeePerGas = BigInt(poolTx.maxFeePerGas) * 2n;
    const tip = (poolTx.maxPriorityFeePerGas ? BigInt(poolTx.maxPriorityFeePerGas) : DEFAULT_PRIORITY_FEE) * 2n;
    return { maxFeePerGas, maxPriorityFeePerGas: tip < maxFeePerGas ? tip : maxFeePerGas };
  }
  return { gasPrice: BigInt(poolTx.gasPrice ?? "0x0") * 2n || 2n * DEFAULT_PRIORITY_FEE };
}

/**
 * What to do with a transaction still unmined: `queuedEntry` is its entry in anvil's queued pool
 * (undefined when it is not there), `accountNonce` the sender's mined nonce (`latest`). Parked:
 * queued although its nonce is the account's next one. Gap: queued behind a lower nonce that is
 * neither mined nor sent. A queued entry below the account nonce is dead (its nonce is used).
 * Example: queued nonce 7, account nonce 7 → parked; queued 7, account 5 → gap.
 */
export function classifyWaiting(queuedEntry: PoolTx | undefined, accountNonce: bigint): WaitingVerdict {
  if (!queuedEntry) return { kind: "none" };
  const nonce = BigInt(queuedEntry.nonce);
  if (nonce === accountNonce) return { kind: "parked", fees: replacementFees(queuedEntry) };
  if (nonce > accountNonce) return { kind: "gap", accountNonce };
  return { kind: "none" };
}

/**
 * Look the waiting transactions up in anvil's pool: cheap `txpool_status` first (the usual answer
 * is "nothing queued"), then `txpool_content` and the senders' mined nonces only when something
 * is queued. Keyed by lowercased hash; transactions not in the map are not queued.
 */
export async function inspectQueued(rpcUrl: string, waiting: readonly { hash: Hex; from: Address }[]): Promise<Map<string, WaitingVerdict>> {
  const verdicts = new Map<string, WaitingVerdict>();
  if (waiting.length === 0) return verdicts;
  const status = await rpc<{ queued: Hex }>(rpcUrl, "txpool_status");
  if (BigInt(status.queued) === 0n) return verdicts;
  const content = await rpc<TxPoolContent>(rpcUrl, "txpool_content");
  const queued = new Map<string, PoolTx>();
  for (const byNonce of Object.values(content.queued ?? {})) for (const t of Object.values(byNonce)) queued.set(t.hash.toLowerCase(), t);
  const found = waiting.filter((w) => queued.has(w.hash.toLowerCase()));
  if (found.length === 0) return verdicts;
  const froms = [...new Set(found.map((w) => w.from.toLowerCase()))];
  const counts = await rpcBatchStrict<Hex>(rpcUrl, froms.map((f) => ({ method: "eth_getTransactionCount", params: [f, "latest"] })));
  const nonceOf = new Map(froms.map((f, i) => [f, BigInt(counts[i]!)]));
  for (const w of found) verdicts.set(w.hash.toLowerCase(), classifyWaiting(queued.get(w.hash.toLowerCase()), nonceOf.get(w.from.toLowerCase())!));
  return verdicts;
}

const gwei = (wei: bigint) => `${Number(wei) / 1e9} gwei`;

/** The log line for a replacement; the RPC URL is redacted (it may embed an API key). */
export function describeReplacement(r: {
  rpcUrl: string;
  from: Address;
  nonce: bigint;
  oldHash: Hex;
  newHash: Hex;
  parkedMs: number;
  fees: ReplacementFees;
}): string {
  const fee = "gasPrice" in r.fees ? `gas price ${gwei(r.fees.gasPrice)}` : `max fee ${gwei(r.fees.maxFeePerGas)}, tip ${gwei(r.fees.maxPriorityFeePerGas)}`;
  return (
    `anvil at ${redactUrl(r.rpcUrl)} parked tx ${r.oldHash} (from ${r.from}, nonce ${r.nonce}) in its queued pool for ` +
    `${(r.parkedMs / 1000).toFixed(1)} s at the account's next nonce; resent with the same nonce and doubled fees (${fee}) as ${r.newHash}`
  );
}

/** Why a gapped transaction is still unmined, for timeout errors. */
export function describeGap(from: Address, nonce: bigint, accountNonce: bigint): string {
  return `tx from ${from} with nonce ${nonce} waits in anvil's queued pool behind missing nonce ${accountNonce} (no replacement can help; was a transaction with that nonce dropped or sent by another process?)`;
}
