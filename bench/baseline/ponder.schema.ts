/** The baseline's store: one row per event, keyed like xmargin's ledger. */
import { onchainTable, primaryKey } from "ponder";

export const event = onchainTable(
  "event",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    name: t.text().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    account: t.hex(),
    amountRaw: t.bigint(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }) }),
);
