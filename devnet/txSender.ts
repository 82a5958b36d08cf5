/**
 * Sends transactions from unlocked or impersonated anvil accounts in JSON-RPC batches with nonces
 * tracked locally (so hundreds go in one request), then confirms them by receipt.
 *
 * Two ways to use it: `flush()` sends what is queued and waits for every receipt (tests, bulk
 * rounds); `send()` + `poll()` pipeline it (the live demo keeps sending while earlier transactions
 * are still waiting for their block). Sends are serialised per sender so nonces reach the node in
 * order even when several callers send at once.
 */
import type { Address, Hex } from "viem";
import { RpcError, redactRpcUrl } from "./errors.js";
import { rpc, rpcBatch, rpcBatchStrict } from "./rpc.js";

export interface QueuedTx<M> {
  from: Address;
  to: Address;
  data: Hex;
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
}

/** A sent transaction still waiting for its receipt. */
export interface InFlightTx<M> {
  outcome: TxOutcome<M>;
  hash: Hex;
  sentAt: number;
}

interface Receipt {
  status: Hex;
  blockNumber: Hex;
  logs: { address: Address; topics: Hex[] }[];
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

export class TxSender<M> {
  private readonly scope: NonceScope;
  private queue: QueuedTx<M>[] = [];

  constructor(
    readonly rpcUrl: string,
    /** Manual mining: evm_mine after each flush (anvil --no-mining). */
    readonly manualMining: boolean,
    private readonly batchSize = 500,
    /** Share nonces with other senders on the same chain (default: this sender's own). */
    scope?: NonceScope,
  ) {
    this.scope = scope ?? createNonceScope();
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
      const calls = part.map((t) => {
        const key = t.from.toLowerCase();
        const nonce = this.nonces.get(key)!;
        this.nonces.set(key, nonce + 1n);
        return {
          method: "eth_sendTransaction",
          params: [{ from: t.from, to: t.to, data: t.data, gas: `0x${t.gas.toString(16)}`, nonce: `0x${nonce.toString(16)}`, maxFeePerGas: `0x${MAX_FEE_PER_GAS.toString(16)}` }],
        };
      });
      const results = await rpcBatch<Hex>(this.rpcUrl, calls);
      const sentAt = Date.now();
      results.forEach((r, j) => {
        const t = part[j]!;
        const outcome: TxOutcome<M> = { meta: t.meta, from: t.from, hash: r.ok ? r.result : null, error: r.ok ? null : r.error, logs: [], blockNumber: null };
        outcomes.push(outcome);
        if (r.ok) inFlight.push({ outcome, hash: r.result, sentAt });
        else this.resetNonce(t.from); // the nonce was not consumed; re-read it
      });
    }
    return { outcomes, inFlight };
  }

  /** One receipt round: fills the outcomes of mined transactions, returns those still waiting. */
  async poll(inFlight: InFlightTx<M>[]): Promise<InFlightTx<M>[]> {
    const still: InFlightTx<M>[] = [];
    for (let i = 0; i < inFlight.length; i += this.batchSize) {
      const part = inFlight.slice(i, i + this.batchSize);
      const receipts = await rpcBatch<Receipt | null>(
        this.rpcUrl,
        part.map((p) => ({ method: "eth_getTransactionReceipt", params: [p.hash] })),
      );
      receipts.forEach((r, j) => {
        const p = part[j]!;
        if (!r.ok || r.result === null) {
          still.push(p);
          return;
        }
        p.outcome.blockNumber = BigInt(r.result.blockNumber);
        p.outcome.logs = r.result.logs;
        if (r.result.status !== "0x1") p.outcome.error = "reverted";
      });
    }
    return still;
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
        throw new RpcError(`${waiting.length} transactions not mined within ${timeoutMs} ms on ${redactRpcUrl(this.rpcUrl)}; is the chain mining?`, { rpc: redactRpcUrl(this.rpcUrl), unmined: waiting.length });
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
