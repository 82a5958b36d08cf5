/**
 * Applies AaveStoreOps through Ponder's store API: insert … onConflictDoUpdate for every row, a
 * function `set` only where a value accumulates (scaled balances), so nothing reads the store.
 */
import type { Context } from "ponder:registry";
import * as schema from "ponder:schema";
import { IndexerInvariantError } from "../../indexer/errors.js";
import type { EventMeta } from "../../indexer/types.js";
import type { AaveStoreOp } from "./storeOps.js";

export type Db = Context["db"];

export async function applyAaveOps(db: Db, ops: readonly AaveStoreOp[], meta: EventMeta): Promise<void> {
  for (const op of ops) {
    switch (op.table) {
      case "aaveReserve":
        await db
          .insert(schema.aaveReserve)
          .values({ ...op.key, ...op.patch, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate({ ...op.patch, updatedBlock: op.updatedBlock });
        break;
      case "aaveScaledBalance": {
        if (op.deltaScaled < 0n) {
          // A first row cannot start negative: the Mint that created the balance was missed.
          await db
            .insert(schema.aaveScaledBalance)
            .values({ ...op.key, scaledBalance: op.deltaScaled, updatedBlock: op.updatedBlock })
            .onConflictDoUpdate((row) => ({ scaledBalance: checked(row.scaledBalance + op.deltaScaled, op, meta), updatedBlock: op.updatedBlock }));
          break;
        }
        await db
          .insert(schema.aaveScaledBalance)
          .values({ ...op.key, scaledBalance: op.deltaScaled, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate((row) => ({ scaledBalance: row.scaledBalance + op.deltaScaled, updatedBlock: op.updatedBlock }));
        break;
      }
      case "aaveUserCollateral":
        await db
          .insert(schema.aaveUserCollateral)
          .values({ ...op.key, enabled: op.enabled, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate({ enabled: op.enabled, updatedBlock: op.updatedBlock });
        break;
      case "aaveUser":
        await db
          .insert(schema.aaveUser)
          .values({ ...op.key, eModeCategoryId: op.eModeCategoryId, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate({ eModeCategoryId: op.eModeCategoryId, updatedBlock: op.updatedBlock });
        break;
      case "aaveEModeCategory":
        await db
          .insert(schema.aaveEModeCategory)
          .values({ ...op.key, ...op.values, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate({ ...op.values, updatedBlock: op.updatedBlock });
        break;
      case "aaveAssetSource":
        await db
          .insert(schema.aaveAssetSource)
          .values({ ...op.key, source: op.source, updatedBlock: op.updatedBlock })
          .onConflictDoUpdate({ source: op.source, updatedBlock: op.updatedBlock });
        break;
      case "aaveSourceAnswer": {
        const values = { answer: op.answer, roundId: op.roundId, updatedAt: op.updatedAt, blockNumber: op.blockNumber };
        await db.insert(schema.aaveSourceAnswer).values({ ...op.key, ...values }).onConflictDoUpdate(values);
        break;
      }
      case "aaveAssetPrice": {
        const values = { price: op.price, blockNumber: op.blockNumber };
        await db.insert(schema.aaveAssetPrice).values({ ...op.key, ...values }).onConflictDoUpdate(values);
        break;
      }
      case "aaveLiquidation":
        await db.insert(schema.aaveLiquidation).values(op.values);
        break;
    }
  }
}

function checked(next: bigint, op: Extract<AaveStoreOp, { table: "aaveScaledBalance" }>, meta: EventMeta): bigint {
  if (next < 0n) {
    throw new IndexerInvariantError(`scaled balance of ${op.key.user} on Aave token ${op.key.token} would go negative (${next}); an earlier Mint or BalanceTransfer was missed (index the market from its start block)`, meta);
  }
  return next;
}
