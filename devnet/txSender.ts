/**
 * Sends transactions from unlocked or impersonated anvil accounts in JSON-RPC batches with nonces
 * tracked locally (so hundreds go in one request), then confirms them by receipt.
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

interface Receipt {
  status: Hex;
  blockNumber: Hex;
  logs: { address: Address; topics: Hex[] }[];
}

export class TxSender<M> {
  private readonly nonces = new Map<string, bigint>();
  private queue: QueuedTx<M>[] = [];

  constructor(
    readonly rpcUrl: string,
    /** Manual mining: evm_mine after each flush (anvil --no-mining). */
    readonly manualMining: boolean,
    private readonly batchSize = 500,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  enqueue(tx: QueuedTx<M>): void {
    this.queue.push(tx);
  }

  /** Forget the cached nonce of `from`; it is re-read from the node on the next flush. */
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

  /** Send everything queued, mine if manual, and wait for every receipt (deadline `timeoutMs`). */
  async flush(timeoutMs = 60_000): Promise<TxOutcome<M>[]> {
    const txs = this.queue;
    this.queue = [];
    if (txs.length === 0) return [];
    await this.loadNonces(txs.map((t) => t.from));
    const outcomes: TxOutcome<M>[] = [];
    const pending: { outcome: TxOutcome<M>; hash: Hex }[] = [];
    for (let i = 0; i < txs.length; i += this.batchSize) {
      const part = txs.slice(i, i + this.batchSize);
      const calls = part.map((t) => {
        const key = t.from.toLowerCase();
        const nonce = this.nonces.get(key)!;
        this.nonces.set(key, nonce + 1n);
        return {
          method: "eth_sendTransaction",
          params: [{ from: t.from, to: t.to, data: t.data, gas: `0x${t.gas.toString(16)}`, nonce: `0x${nonce.toString(16)}` }],
        };
      });
      const results = await rpcBatch<Hex>(this.rpcUrl, calls);
      results.forEach((r, j) => {
        const t = part[j]!;
        const outcome: TxOutcome<M> = { meta: t.meta, from: t.from, hash: r.ok ? r.result : null, error: r.ok ? null : r.error, logs: [], blockNumber: null };
        outcomes.push(outcome);
        if (r.ok) pending.push({ outcome, hash: r.result });
        else this.resetNonce(t.from); // the nonce was not consumed; re-read it
      });
    }
    const deadline = Date.now() + timeoutMs;
    let waiting = pending;
    while (waiting.length > 0) {
      if (this.manualMining) await rpc(this.rpcUrl, "evm_mine");
      const still: typeof waiting = [];
      for (let i = 0; i < waiting.length; i += this.batchSize) {
        const part = waiting.slice(i, i + this.batchSize);
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
      waiting = still;
      if (waiting.length === 0) break;
      if (Date.now() > deadline) {
        for (const p of waiting) {
          p.outcome.error = "not mined before the deadline";
          this.resetNonce(p.outcome.from);
        }
        throw new RpcError(`${waiting.length} transactions not mined within ${timeoutMs} ms on ${redactRpcUrl(this.rpcUrl)}; is the chain mining?`, { rpc: redactRpcUrl(this.rpcUrl), unmined: waiting.length });
      }
      if (!this.manualMining) await new Promise((r) => setTimeout(r, 100));
    }
    return outcomes;
  }
}
