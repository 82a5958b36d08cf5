/**
 * What a poll may apply, and the freshness stamp of what it applied (pure).
 *
 * The stamp (`asOf.chains[*].blockNumber/blockTimestamp`) must name the blocks whose rows the book
 * has applied, never the store's head:
 * - rows above a chain's checkpoint block (indexed after the checkpoint was read) wait for the next
 *   poll, so the data never runs ahead of the stamp;
 * - a batch cut at `limit` rows (ledgerAfter orders by chain, block, logIndex) is complete for the
 *   chains before the cut, partial for the chain of the cut, untouched for the chains after it.
 *   The partial block at the cut is left for the next poll (unless it is all the batch holds), the
 *   cut chain is stamped with its last applied block, and the chains after it keep their stamp.
 */
import type { ChainId } from "../../risk/types.js";
import type { CheckpointRow, LedgerRow } from "./reader.js";

export interface AppliedBatch {
  /** the rows to apply, in ledger order */
  rows: LedgerRow[];
  /** per chain the checkpoint the applied data is as of */
  checkpoints: Map<ChainId, CheckpointRow>;
}

/**
 * @param previous the stamp of the frame before this batch (chains not reached keep it)
 * @param store the checkpoints read before the rows
 * @param batch `ledgerAfter` rows, in (chain, block, logIndex) order
 * @param limit the batch limit `batch` was read with
 */
export function appliedBatch(previous: ReadonlyMap<ChainId, CheckpointRow>, store: readonly CheckpointRow[], batch: readonly LedgerRow[], limit: number): AppliedBatch {
  const storeCp = new Map(store.map((c) => [c.chainId, c] as const));
  const within = (r: LedgerRow) => {
    const cp = storeCp.get(r.chainId);
    return cp !== undefined && r.blockNumber <= cp.blockNumber;
  };
  const checkpoints = new Map(storeCp);
  if (batch.length < limit) return { rows: batch.filter(within), checkpoints };

  const cut = batch[batch.length - 1];
  const cutCp = storeCp.get(cut.chainId);
  let rows = batch.filter(within);
  if (cutCp !== undefined && cut.blockNumber > cutCp.blockNumber) {
    // the cut chain's rows reached past its checkpoint: every row up to the checkpoint is here
  } else {
    // Leave the cut block for the next poll, unless it is all there is (a block of more rows than the limit).
    const trimmed = rows.filter((r) => !(r.chainId === cut.chainId && r.blockNumber === cut.blockNumber));
    if (trimmed.length > 0) rows = trimmed;
    const last = [...rows].reverse().find((r) => r.chainId === cut.chainId);
    const before = previous.get(cut.chainId);
    if (last !== undefined) {
      checkpoints.set(cut.chainId, { chainName: cutCp?.chainName ?? before?.chainName ?? `chain${cut.chainId}`, chainId: cut.chainId, blockNumber: last.blockNumber, blockTimestamp: last.timestamp, finalizedBlockNumber: cutCp?.finalizedBlockNumber ?? 0n });
    } else if (before !== undefined) checkpoints.set(cut.chainId, before);
    else checkpoints.delete(cut.chainId);
  }
  for (const chainId of storeCp.keys()) {
    if (chainId <= cut.chainId) continue;
    const before = previous.get(chainId);
    if (before !== undefined) checkpoints.set(chainId, before);
    else checkpoints.delete(chainId);
  }
  return { rows, checkpoints };
}
