/**
 * Plain data in and out of the indexer's mappers: decoded event args + where the event sits
 * (EventMeta) + the chain's config lookup → the rows to write (StoreOp[]). No Ponder runtime,
 * no I/O: the handlers (../handlers.ts) apply the ops.
 */
import type * as schema from "../schema.js";

export type { EventMeta, Hex } from "../../../indexer/types.js";
import type { EventMeta, Hex } from "../../../indexer/types.js";

export type AccountRow = typeof schema.account.$inferInsert;
export type CollateralRow = typeof schema.collateral.$inferInsert;
export type DebtRow = typeof schema.debt.$inferInsert;
export type CashRow = typeof schema.cash.$inferInsert;
export type PositionRow = typeof schema.position.$inferInsert;
export type MarketRow = typeof schema.market.$inferInsert;
export type PriceRoundRow = typeof schema.priceRound.$inferInsert;
export type LatestPriceRow = typeof schema.latestPrice.$inferInsert;
export type LiquidationRow = typeof schema.liquidation.$inferInsert;
export type InsuranceFundRow = typeof schema.insuranceFund.$inferInsert;
export type LiquidatorRow = typeof schema.liquidator.$inferInsert;
export type LedgerRow = typeof schema.ledger.$inferInsert;

export type MarketState = typeof schema.market.$inferSelect;
export type PositionState = typeof schema.position.$inferSelect;
export type LatestPriceState = typeof schema.latestPrice.$inferSelect;

/** Why a row is unusual. Rows are stored anyway; several flags join with ",". */
export const FLAG = {
  UNKNOWN_TOKEN: "UNKNOWN_TOKEN",
  UNKNOWN_FEED: "UNKNOWN_FEED",
  UNKNOWN_MARKET: "UNKNOWN_MARKET",
  NON_POSITIVE_PRICE: "NON_POSITIVE_PRICE",
  /** the market's feed is configured for another asset than the market */
  FEED_ASSET_MISMATCH: "FEED_ASSET_MISMATCH",
  /** a market row created by an event other than MarketListed (listed before startBlock) */
  UNLISTED_MARKET: "UNLISTED_MARKET",
  /** a position row created by PositionLiquidated (opened before startBlock) */
  POSITION_NOT_SEEN: "POSITION_NOT_SEEN",
} as const;
export type Flag = (typeof FLAG)[keyof typeof FLAG];

export type LedgerKind =
  | "DEPOSIT"
  | "WITHDRAW"
  | "BORROW"
  | "REPAY"
  | "SEIZE"
  | "POSITION"
  | "POSITION_LIQUIDATED"
  | "FUNDING"
  | "MARKET_LISTED"
  | "MARKET_MODE"
  | "MAX_LEVERAGE"
  | "PRICE"
  | "INSURANCE_FUNDED"
  | "INSURANCE_PAID"
  | "LIQUIDATOR_SET";

/**
 * One write. `upsert`: insert `values`, or on conflict apply `set` (an object, or a function of
 * the stored row; `{}` leaves it as it is). `insert`: a plain insert (the key is new by
 * construction). `insertIfAbsent`: insert, or keep the existing row.
 */
export type StoreOp =
  | { kind: "upsert"; table: "account"; values: AccountRow; set: Partial<AccountRow> }
  | { kind: "upsert"; table: "collateral"; values: CollateralRow; set: Partial<CollateralRow> }
  | { kind: "upsert"; table: "debt"; values: DebtRow; set: Partial<DebtRow> }
  | { kind: "upsert"; table: "cash"; values: CashRow; set: Partial<CashRow> }
  | { kind: "upsert"; table: "position"; values: PositionRow; set: (stored: PositionState) => Partial<PositionRow> }
  | { kind: "upsert"; table: "market"; values: MarketRow; set: Partial<MarketRow> | ((stored: MarketState) => Partial<MarketRow>) }
  | { kind: "upsert"; table: "latestPrice"; values: LatestPriceRow; set: (stored: LatestPriceState) => Partial<LatestPriceRow> }
  | { kind: "upsert"; table: "insuranceFund"; values: InsuranceFundRow; set: Partial<InsuranceFundRow> }
  | { kind: "upsert"; table: "liquidator"; values: LiquidatorRow; set: Partial<LiquidatorRow> }
  | { kind: "insertIfAbsent"; table: "priceRound"; values: PriceRoundRow }
  | { kind: "insert"; table: "liquidation"; values: LiquidationRow }
  | { kind: "insert"; table: "ledger"; values: LedgerRow };
