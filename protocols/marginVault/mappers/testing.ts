/**
 * Test helpers for the mappers: a chain lookup from the config fixture, event metas, and an
 * in-memory store that applies StoreOps with Ponder's semantics (upsert = insert or apply `set`
 * to the stored row; insert of an existing key throws, as Ponder's does).
 */
import { chainLookup, type ChainLookup } from "../../../config/chainLookup.js";
import { exampleRawConfig } from "../../../config/fixtures.js";
import { validateConfig } from "../../../config/validateConfig.js";
import type { EventMeta, StoreOp } from "./types.js";

export function l1Lookup(): ChainLookup {
  return chainLookup(validateConfig(exampleRawConfig()).chains.l1);
}

export function metaAt(blockNumber: number, logIndex = 0, chainId = 1337001): EventMeta {
  return {
    chainId,
    blockNumber: BigInt(blockNumber),
    blockHash: `0x${blockNumber.toString(16).padStart(64, "b")}`,
    timestamp: 1_700_000_000n + BigInt(blockNumber) * 2n,
    txHash: `0x${blockNumber.toString(16).padStart(60, "a")}${logIndex.toString(16).padStart(4, "0")}`,
    logIndex,
  };
}

const PRIMARY_KEYS: Record<StoreOp["table"], string[]> = {
  account: ["chainId", "address"],
  collateral: ["chainId", "account", "token"],
  debt: ["chainId", "account", "token"],
  cash: ["chainId", "account"],
  position: ["chainId", "account", "marketId"],
  market: ["chainId", "marketId"],
  latestPrice: ["chainId", "asset"],
  insuranceFund: ["chainId", "token"],
  liquidator: ["chainId", "address"],
  priceRound: ["chainId", "feed", "roundId"],
  liquidation: ["chainId", "id"],
  ledger: ["chainId", "blockNumber", "logIndex"],
};

export type Row = Record<string, unknown>;

/** Ponder lowercases hex columns on the way in (mapToDriverValue); so does this store. */
function normalize(row: object): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v) ? v.toLowerCase() : v;
  return out;
}

export class MemoryStore {
  readonly tables = new Map<StoreOp["table"], Map<string, Row>>();

  rows(table: StoreOp["table"]): Row[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  get(table: StoreOp["table"], key: Row): Row | undefined {
    return this.tables.get(table)?.get(this.keyOf(table, normalize(key)));
  }

  apply(ops: StoreOp[]): void {
    for (const op of ops) {
      const table = this.tables.get(op.table) ?? new Map<string, Row>();
      this.tables.set(op.table, table);
      const values = normalize(op.values);
      const key = this.keyOf(op.table, values);
      const stored = table.get(key);
      if (op.kind === "insert") {
        if (stored) throw new Error(`duplicate key ${op.table} ${key}`);
        table.set(key, values);
      } else if (op.kind === "insertIfAbsent") {
        if (!stored) table.set(key, values);
      } else if (!stored) {
        table.set(key, values);
      } else {
        const set = typeof op.set === "function" ? (op.set as (r: Row) => Row)({ ...stored }) : (op.set as Row);
        table.set(key, { ...stored, ...normalize(set) });
      }
    }
  }

  private keyOf(table: StoreOp["table"], row: Row): string {
    return PRIMARY_KEYS[table].map((k) => String(row[k])).join("|");
  }
}
