/** Plain data every protocol adapter's mappers and handlers share. */
export type Hex = `0x${string}`;

/** Where an event sits: everything a ledger row and an error message need. */
export interface EventMeta {
  chainId: number;
  blockNumber: bigint;
  blockHash: Hex;
  /** block timestamp, unix seconds */
  timestamp: bigint;
  txHash: Hex;
  logIndex: number;
}
