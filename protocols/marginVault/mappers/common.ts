/** Pieces every mapper shares: ledger rows, account activity, asset lookups, flags. */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { FLAG, type AccountRow, type EventMeta, type Flag, type Hex, type LedgerKind, type LedgerRow, type StoreOp } from "./types.js";

/**
 * Lowercase, for config lookups only. Rows carry addresses exactly as the event decoded them:
 * Ponder lowercases hex columns itself, and its prefetch recognizes a key only when the value is
 * the event's own field (a lowercased copy is unrecognizable, and costs a database read per
 * write whenever the row cache is not complete: after a restart, or past the cache size).
 */
export function lower(address: Hex): Hex {
  return address.toLowerCase() as Hex;
}

export function joinFlags(...flags: (Flag | null | undefined)[]): string | null {
  const present = flags.filter((f): f is Flag => typeof f === "string");
  return present.length === 0 ? null : present.join(",");
}

/** A ledger row for an event: where it sits plus the fields the event fills. */
export function ledgerRow(meta: EventMeta, kind: LedgerKind, fields: Partial<LedgerRow>): LedgerRow {
  return {
    chainId: meta.chainId,
    blockNumber: meta.blockNumber,
    logIndex: meta.logIndex,
    blockHash: meta.blockHash,
    timestamp: meta.timestamp,
    txHash: meta.txHash,
    kind,
    ...fields,
  };
}

export function ledgerOp(meta: EventMeta, kind: LedgerKind, fields: Partial<LedgerRow>): StoreOp {
  return { kind: "insert", table: "ledger", values: ledgerRow(meta, kind, fields) };
}

/** Account activity: first seen is kept, last activity moves. */
export function accountOp(meta: EventMeta, address: Hex): StoreOp {
  const values: AccountRow = {
    chainId: meta.chainId,
    address,
    firstSeenBlock: meta.blockNumber,
    lastActivityBlock: meta.blockNumber,
    lastActivityTimestamp: meta.timestamp,
  };
  return { kind: "upsert", table: "account", values, set: { lastActivityBlock: meta.blockNumber, lastActivityTimestamp: meta.timestamp } };
}

export interface AssetRef {
  asset: string | null;
  decimals: number | null;
  flag: Flag | null;
}

export function tokenRef(chain: ChainLookup, token: Hex): AssetRef {
  const found = chain.tokens.get(lower(token));
  return found ? { asset: found.asset, decimals: found.decimals, flag: null } : { asset: null, decimals: null, flag: FLAG.UNKNOWN_TOKEN };
}

export function feedRef(chain: ChainLookup, feed: Hex): AssetRef {
  const found = chain.feeds.get(lower(feed));
  return found ? { asset: found.asset, decimals: found.decimals, flag: null } : { asset: null, decimals: null, flag: FLAG.UNKNOWN_FEED };
}

export function marketRef(chain: ChainLookup, marketId: number): { asset: string | null; flag: Flag | null } {
  const found = chain.markets.get(marketId);
  return found ? { asset: found.asset, flag: null } : { asset: null, flag: FLAG.UNKNOWN_MARKET };
}

/** The quote token's asset and decimals (validated config: always listed in tokens). */
export function quoteRef(chain: ChainLookup): { quoteToken: Hex; asset: string | null; decimals: number | null } {
  const found = chain.tokens.get(chain.quoteToken);
  return { quoteToken: chain.quoteToken, asset: found?.asset ?? null, decimals: found?.decimals ?? null };
}
