/**
 * Applies a mapper's StoreOps through Ponder's store API. Upserts use
 * insert().values().onConflictDoUpdate(): Ponder looks the key up in its cache either way, so
 * a function `set` (open interest, realized PnL, newer round) costs no extra read.
 */
import type { Context } from "ponder:registry";
import * as schema from "ponder:schema";
import type { StoreOp } from "./mappers/types.js";

type Db = Context["db"];

export async function applyOps(db: Db, ops: StoreOp[]): Promise<void> {
  for (const op of ops) {
    switch (op.table) {
      case "account":
        await db.insert(schema.account).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "collateral":
        await db.insert(schema.collateral).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "debt":
        await db.insert(schema.debt).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "cash":
        await db.insert(schema.cash).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "position":
        await db.insert(schema.position).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "market":
        await db.insert(schema.market).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "latestPrice":
        await db.insert(schema.latestPrice).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "insuranceFund":
        await db.insert(schema.insuranceFund).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "liquidator":
        await db.insert(schema.liquidator).values(op.values).onConflictDoUpdate(op.set);
        break;
      case "priceRound":
        await db.insert(schema.priceRound).values(op.values).onConflictDoNothing();
        break;
      case "liquidation":
        await db.insert(schema.liquidation).values(op.values);
        break;
      case "ledger":
        await db.insert(schema.ledger).values(op.values);
        break;
    }
  }
}
