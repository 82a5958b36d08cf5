/** The risk book: the API process's in-memory view over the store. */
export { createRiskBook, type RiskBook, type RiskBookOptions } from "./book.js";
export { createSqlReader, pgRunner, decodeCheckpoint, type StoreReader, type SqlRunner } from "./reader.js";
export { createMemoryReader, createMemoryStore, appendLedger, rollback, advanceCheckpoint, rebuildTables, type MemoryStore } from "./memoryReader.js";
export { MAX_HISTORY_BUCKETS } from "./history.js";
export { BookError } from "./errors.js";
export type * from "./types.js";
