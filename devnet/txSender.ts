/**
 * Sends transactions from unlocked or impersonated anvil accounts in JSON-RPC batches with nonces
 * tracked locally (so hundreds go in one request), then confirms them by receipt.
 *
 * Two ways to use it: `flush()` sends what is queued and waits for every receipt (tests, bulk
 * rounds); `send()` + `poll()` pipeline it (the live demo keeps sending while earlier transactions
 * are still waiting for their block). Sends are serialised per sender so nonces reach the node in
 * order even when several callers send at once.
 *
 * Every receipt round (`poll`, so also `confirm`, `submit`, `flush`) replaces transactions anvil
 * parked in its queued pool (see anvilParked.ts): same nonce, doubled fees, logged.
 */
import type { Address, Hex } from "viem";
import { describeGap, describeReplacement, inspectQueued, type ReplacementFees, type WaitingVerdict } from "./anvilParked.js";
import { redactUrl } from "../config/redactUrl.js";
import { RpcError } from "./errors.js";
import { rpc, rpcBatch, rpcBatchStrict } from "./rpc.js";

export interface QueuedTx<M> {
  from: Address;
  /** Omitted for a contract creation. */
  to?: Address;
  data: Hex;
  /** Wei sent along (default none). */
  value?: bigint;
  gas: bigint;
  meta: M;
}

export interface TxOutcome<M> {
  meta: M;
  from: Address;
  hash: Hex | null;
  /** Send error or revert; null when mined with status 1. */
  error: string | null;
  logs: { address: Address; topics: Hex[] }[];
  blockNumber: bigint | null;
  /** The created contract's address, for a contract creation once mined. */
  contractAddress?: Address | null;
}

/** A sent transaction still waiting for its receipt. */
export interface InFlightTx<M> {
  outcome: TxOutcome<M>;
  /** The current hash (a replacement changes it; `outcome.hash` follows). */
  hash: Hex;
  /** When it was first sent (replacements keep it, so callers' deadlines hold). */
  sentAt: number;
  /** What was sent, resent as is (same nonce, higher fees) if anvil parks it. */
  tx: QueuedTx<M>;
  nonce: bigint;
  /** Hashes it had before replacements: whichever of them is mined is the outcome. */
  earlierHashes: Hex[];
  replacements: number;
  /** When the current hash was sent. */
  lastSentAt: number;
  /** Why it is still waiting, when anvil's pool says so (for timeout errors). */
  waitingNote?: string;
}

interface Receipt {
  status: Hex;
  blockNumber: Hex;
  logs: { address: Address; topics: Hex[] }[];
  contractAddress?: Address | null;
}

/**
 * Fee cap on every transaction, wei per gas (1000 gwei). Without one, anvil fills in a cap from
 * the base fee at send time; after a few full blocks the EIP-1559 base fee rises above that cap
 * and anvil silently drops the transactions from its pool (measured: 148 of 1,400 setup
 * transactions vanished on the 2 s chain). Senders only pay base fee + tip, never the cap.
 */
export const MAX_FEE_PER_GAS = 1_000_000_000_000n;

/**
 * Nonces and send order shared by several TxSenders of one process on one chain (the simulator
 * pushes feeds from the vault owner, the liquidator pays out insurance from it): without sharing,
 * each sender's cached nonces go stale when the other sends and its transactions are refused.
 */
export interface NonceScope {
  readonly nonces: Map<string, bigint>;
  sending: Promise<unknown>;
}

export function createNonceScope(): NonceScope {
  return { nonces: new Map(), sending: Promise.resolve() };
}

export interface TxSenderOptions {
  /**
   * Fee cap sent with every transaction, wei per gas (default MAX_FEE_PER_GAS); null leaves the
   * fees to the node (deploy's sendAndConfirm, whose callers' accounts may hold little ETH).
   */
  maxFeePerGas?: bigint | null;
  /** A transaction unmined this long is looked up in anvil's queued pool (default 2000 ms). */
  stuckMs?: number;
  /** Replacements per transaction before it is left to its deadline (default 6, fees × 64). */
  maxReplacements?: number;
  /** Where replacements are reported (default console.warn); RPC URLs come redacted. */
  log?: (message: string) => void;
}

export class TxSender<M> {
  private readonly scope: NonceScope;
  private queue: QueuedTx<M>[] = [];
  private readonly maxFeePerGas: bigint | null;
  private readonly stuckMs: number;
  private readonly maxReplacements: number;
  private readonly log: (message: string) => void;
  /** When each in-flight transaction was last looked up in the pool (concurrent submits each get their turn). */
  private readonly lookedAt = new WeakMap<InFlightTx<M>, number>();
  /** Set when the node has no txpool_* methods (not anvil): nothing to unpark then. */
  private poolUnsupported = false;

  constructor(
    readonly rpcUrl: string,
    /** Manual mining: evm_mine after each flush (anvil --no-mining). */
    readonly manualMining: boolean,
    private readonly batchSize = 500,
    /** Share nonces with other senders on the same chain (default: this sender's own). */
    scope?: NonceScope,
    options: TxSenderOptions = {},
  ) {
    this.scope = scope ?? createNonceScope();
    this.maxFeePerGas = options.maxFeePerGas === undefined ? MAX_FEE_PER_GAS : options.maxFeePerGas;
    this.stuckMs = options.stuckMs ?? 2_000;
    this.maxReplacements = options.maxReplacements ?? 6;
    this.log = options.log ?? ((m) => console.warn(m));
  }

  private get nonces(): Map<string, bigint> {
    return this.scope.nonces;
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(tx: QueuedTx<M>): void {
    this.queue.push(tx);
  }

  /** Take everything queued (the caller sends it with `send`). */
  takeQueue(): QueuedTx<M>[] {
    const txs = this.queue;
    this.queue = [];
    return txs;
  }

  /** Forget the cached nonce of `from`; it is re-read from the node on the next send. */
  resetNonce(from: Address): void {
    this.nonces.delete(from.toLowerCase());
  }

  private async loadNonces(froms: Address[]): Promise<void> {
    const missing = [...new Set(froms.map((f) => f.toLowerCase()))].filter((f) => !this.nonces.has(f));
    if (missing.length === 0) return;
    const counts = await rpcBatchStrict<Hex>(
      this.rpcUrl,
      missing.map((f) => ({ method: "eth_getTransactionCount", params: [f, "pending"] })),
    );
    missing.forEach((f, i) => this.nonces.set(f, BigInt(counts[i]!)));
  }

  /**
   * Send `txs` (default: everything queued) without waiting for receipts. Returns every outcome
   * (send errors are already final) and the in-flight ones to `poll` for.
   */
  send(txs: QueuedTx<M>[] = this.takeQueue()): Promise<{ outcomes: TxOutcome<M>[]; inFlight: InFlightTx<M>[] }> {
    const run = this.scope.sending.then(() => this.sendNow(txs));
    this.scope.sending = run.catch(() => undefined);
    return run;
  }

  private async sendNow(txs: QueuedTx<M>[]): Promise<{ outcomes: TxOutcome<M>[]; inFlight: InFlightTx<M>[] }> {
    const outcomes: TxOutcome<M>[] = [];
    const inFlight: InFlightTx<M>[] = [];
    if (txs.length === 0) return { outcomes, inFlight };
    await this.loadNonces(txs.map((t) => t.from));
    for (let i = 0; i < txs.length; i += this.batchSize) {
      const part = txs.slice(i, i + this.batchSize);
      const nonces = part.map((t) => {
        const key = t.from.toLowerCase();
        const nonce = this.nonces.get(key)!;
        this.nonces.set(key, nonce + 1n);
        return nonce;
      });
      const fees = this.maxFeePerGas === null ? {} : { maxFeePerGas: this.maxFeePerGas };
      const calls = part.map((t, j) => ({ method: "eth_sendTransaction", params: [txParams(t, nonces[j]!, fees)] }));
      const results = await rpcBatch<Hex>(this.rpcUrl, calls);
      const sentAt = Date.now();
      results.forEach((r, j) => {
        const t = part[j]!;
        const outcome: TxOutcome<M> = { meta: t.meta, from: t.from, hash: r.ok ? r.result : null, error: r.ok ? null : r.error, logs: [], blockNumber: null };
        outcomes.push(outcome);
        if (r.ok) inFlight.push({ outcome, hash: r.result, sentAt, tx: t, nonce: nonces[j]!, earlierHashes: [], replacements: 0, lastSentAt: sentAt });
        else this.resetNonce(t.from); // the nonce was not consumed; re-read it
      });
    }
    return { outcomes, inFlight };
  }

  /**
   * One receipt round: fills the outcomes of mined transactions and returns those still waiting,
   * after replacing any of them anvil parked in its queued pool (a transaction is looked up once
   * it has waited `stuckMs`, then at most once per `stuckMs`).
   */
  async poll(inFlight: InFlightTx<M>[]): Promise<InFlightTx<M>[]> {
    const still: InFlightTx<M>[] = [];
    for (let i = 0; i < inFlight.length; i += this.batchSize) {
      const part = inFlight.slice(i, i + this.batchSize);
      // a replaced transaction: ask for every hash it had, whichever one is mined is its outcome
      const asks = part.flatMap((p, j) => [p.hash, ...p.earlierHashes].map((hash) => ({ j, hash })));
      const receipts = await rpcBatch<Receipt | null>(
        this.rpcUrl,
        asks.map((a) => ({ method: "eth_getTransactionReceipt", params: [a.hash] })),
      );
      const mined = new Map<number, { hash: Hex; receipt: Receipt }>();
      receipts.forEach((r, k) => {
        if (r.ok && r.result !== null) mined.set(asks[k]!.j, { hash: asks[k]!.hash, receipt: r.result });
      });
      part.forEach((p, j) => {
        const m = mined.get(j);
        if (!m) {
          still.push(p);
          return;
        }
        p.hash = m.hash;
        p.outcome.hash = m.hash;
        p.outcome.blockNumber = BigInt(m.receipt.blockNumber);
        p.outcome.logs = m.receipt.logs;
        if (m.receipt.contractAddress) p.outcome.contractAddress = m.receipt.contractAddress;
        if (m.receipt.status !== "0x1") p.outcome.error = "reverted";
      });
    }
    if (still.length > 0) await this.unpark(still);
    return still;
  }

  /**
   * Replace the transactions in `waiting` that anvil parked (queued at their account's next
   * nonce): same sender, nonce, call and gas, doubled fees. Never throws: a failed look-up or a
   * refused replacement (mined meanwhile: "nonce too low") leaves the next round to tell.
   */
  private async unpark(waiting: InFlightTx<M>[]): Promise<void> {
    if (this.poolUnsupported) return;
    const now = Date.now();
    const candidates = waiting.filter((p) => now - Math.max(p.lastSentAt, this.lookedAt.get(p) ?? 0) >= this.stuckMs);
    if (candidates.length === 0) return;
    for (const p of candidates) this.lookedAt.set(p, now);
    let verdicts: Map<string, WaitingVerdict>;
    try {
      verdicts = await inspectQueued(this.rpcUrl, candidates.map((p) => ({ hash: p.hash, from: p.tx.from })));
    } catch (e) {
      if (e instanceof RpcError && e.details.rpcCode === -32601) this.poolUnsupported = true; // method not found
      return;
    }
    for (const p of candidates) {
      const v = verdicts.get(p.hash.toLowerCase());
      p.waitingNote = undefined;
      if (!v || v.kind === "none") continue;
      if (v.kind === "gap") {
        p.waitingNote = describeGap(p.tx.from, p.nonce, v.accountNonce);
        continue;
      }
      if (p.replacements >= this.maxReplacements) {
        p.waitingNote = `tx ${p.hash} (from ${p.tx.from}, nonce ${p.nonce}) still parked in anvil's queued pool after ${p.replacements} replacements`;
        continue;
      }
      await this.replace(p, v.fees, now);
    }
  }

  private async replace(p: InFlightTx<M>, fees: ReplacementFees, now: number): Promise<void> {
    const feeParams = "gasPrice" in fees ? { gasPrice: hex(fees.gasPrice) } : { maxFeePerGas: hex(fees.maxFeePerGas), maxPriorityFeePerGas: hex(fees.maxPriorityFeePerGas) };
    let hash: Hex;
    try {
      hash = await rpc<Hex>(this.rpcUrl, "eth_sendTransaction", [txParams(p.tx, p.nonce, feeParams)]);
    } catch (e) {
      // mined meanwhile ("nonce too low"), or refused: the next receipt round tells; the timeout error says why
      p.waitingNote = `replacing parked tx ${p.hash} (from ${p.tx.from}, nonce ${p.nonce}) was refused: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    const oldHash = p.hash;
    p.earlierHashes.push(oldHash);
    p.hash = hash;
    p.outcome.hash = hash;
    p.replacements++;
    const parkedMs = now - p.lastSentAt;
    p.lastSentAt = Date.now();
    this.log(describeReplacement({ rpcUrl: this.rpcUrl, from: p.tx.from, nonce: p.nonce, oldHash, newHash: hash, parkedMs, fees }));
  }

  /** Mark `unmined` as failed and forget their senders' nonces (the node may have dropped them). */
  abandon(unmined: InFlightTx<M>[]): void {
    for (const p of unmined) {
      p.outcome.error = "not mined before the deadline";
      this.resetNonce(p.outcome.from);
    }
  }

  /** Wait until every transaction in `inFlight` is mined (mining if manual); deadline `timeoutMs`. */
  async confirm(inFlight: InFlightTx<M>[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = inFlight;
    while (waiting.length > 0) {
      if (this.manualMining) await rpc(this.rpcUrl, "evm_mine");
      waiting = await this.poll(waiting);
      if (waiting.length === 0) break;
      if (Date.now() > deadline) {
        this.abandon(waiting);
        const notes = [...new Set(waiting.flatMap((p) => (p.waitingNote ? [p.waitingNote] : [])))];
        const why = notes.length > 0 ? `: ${notes.slice(0, 3).join("; ")}${notes.length > 3 ? `; and ${notes.length - 3} more` : ""}` : "; is the chain mining?";
        throw new RpcError(`${waiting.length} transactions not mined within ${timeoutMs} ms on ${redactUrl(this.rpcUrl)}${why}`, {
          rpc: redactUrl(this.rpcUrl),
          unmined: waiting.length,
          notes,
        });
      }
      if (!this.manualMining) await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Send everything queued, mine if manual, and wait for every receipt (deadline `timeoutMs`). */
  async flush(timeoutMs = 60_000): Promise<TxOutcome<M>[]> {
    return this.submit(this.takeQueue(), timeoutMs);
  }

  /** Send exactly `txs` and wait for their receipts; safe to call concurrently with other sends. */
  async submit(txs: QueuedTx<M>[], timeoutMs = 60_000): Promise<TxOutcome<M>[]> {
    const { outcomes, inFlight } = await this.send(txs);
    await this.confirm(inFlight, timeoutMs);
    return outcomes;
  }
}

const hex = (n: bigint): Hex => `0x${n.toString(16)}`;

/** eth_sendTransaction parameters of `t` at `nonce` with `fees` (hex strings; omitted fields left to the node). */
function txParams(t: QueuedTx<unknown>, nonce: bigint, fees: Record<string, Hex | bigint | undefined>): Record<string, string> {
  const params: Record<string, string> = { from: t.from, data: t.data, gas: hex(t.gas), nonce: hex(nonce) };
  if (t.to !== undefined) params.to = t.to;
  if (t.value !== undefined && t.value !== 0n) params.value = hex(t.value);
  for (const [k, v] of Object.entries(fees)) if (v !== undefined) params[k] = typeof v === "bigint" ? hex(v) : v;
  return params;
}
