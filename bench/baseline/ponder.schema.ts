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

/** One row per price read of a `priceReads` asset at a block (what xmargin's AavePriceReads does). */
export const priceRead = onchainTable(
  "price_read",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    asset: t.hex().notNull(),
    price: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.asset] }) }),
);

/**
 * One row per Aave event. A table of its own: a price source that is also a vault feed delivers
 * each AnswerUpdated twice (PriceFeed and AavePriceSource), with the same block and log index.
 */
export const aaveEvent = onchainTable(
  "aave_event",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    name: t.text().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    emitter: t.hex().notNull(),
    account: t.hex(),
    amountRaw: t.bigint(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }) }),
);
