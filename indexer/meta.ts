import type { EventMeta } from "./types.js";

/** The EventMeta of a Ponder log event. */
export function eventMeta(
  event: { block: { number: bigint; hash: `0x${string}`; timestamp: bigint }; transaction: { hash: `0x${string}` }; log: { logIndex: number } },
  chainId: number,
): EventMeta {
  return {
    chainId,
    blockNumber: event.block.number,
    blockHash: event.block.hash,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  };
}
