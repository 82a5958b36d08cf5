/**
 * The normalized store: one table per fact, `chainId` in every primary key, amounts as exact
 * integers (numeric(78) bigints). Indexing logic writes only rows of the chain whose event it
 * handles, so every Ponder ordering mode (multichain, omnichain, experimental_isolated) works.
 *
 * Units (see contracts/src/IMarginVault.sol): token amounts raw; prices USD with the feed's
 * decimals (8 on the reference feeds); perp sizes base units × 1e18; cash and PnL in quote-token
 * raw units; funding index USD per base unit × 1e18; leverage × 1e18.
 *
 * `asset` is the canonical asset symbol from config (e.g. "ETH"); null, with `flag` set, when the
 * token, feed or market is not in config: such events are stored, never dropped, never a crash.
 */
import { index, onchainTable, primaryKey } from "ponder";

/** An address that has touched the vault on a chain. */
export const account = onchainTable(
  "account",
  (t) => ({
    chainId: t.integer().notNull(),
    address: t.hex().notNull(),
    firstSeenBlock: t.bigint().notNull(),
    lastActivityBlock: t.bigint().notNull(),
    lastActivityTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.address] }),
    addressIdx: index().on(table.address),
  }),
);

/** Collateral balance per (chain, account, token). */
export const collateral = onchainTable(
  "collateral",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    asset: t.text(),
    decimals: t.integer(),
    amountRaw: t.bigint().notNull(),
    flag: t.text(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.account, table.token] }),
    accountIdx: index().on(table.account),
  }),
);

/** Debt balance per (chain, account, token). */
export const debt = onchainTable(
  "debt",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    asset: t.text(),
    decimals: t.integer(),
    amountRaw: t.bigint().notNull(),
    flag: t.text(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.account, table.token] }),
    accountIdx: index().on(table.account),
  }),
);

/** Settled cash (realized PnL, funding, insurance payouts) per (chain, account), signed, in quote-token raw units. */
export const cash = onchainTable(
  "cash",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    quoteToken: t.hex().notNull(),
    asset: t.text(),
    decimals: t.integer(),
    amountRaw: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.account] }),
    accountIdx: index().on(table.account),
  }),
);

/** Perpetual position per (chain, account, market). Closed positions stay with sizeRaw = 0. */
export const position = onchainTable(
  "position",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    marketId: t.integer().notNull(),
    asset: t.text(),
    sizeRaw: t.bigint().notNull(),
    entryPriceRaw: t.bigint().notNull(),
    fundingIndexX18: t.bigint().notNull(),
    realizedPnlRaw: t.bigint().notNull(), // cumulative realized PnL (without funding) since startBlock, quote raw
    flag: t.text(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.account, table.marketId] }),
    accountIdx: index().on(table.account),
  }),
);

/** Perp market per (chain, marketId): mode, max leverage, funding, open interest. */
export const market = onchainTable(
  "market",
  (t) => ({
    chainId: t.integer().notNull(),
    marketId: t.integer().notNull(),
    feed: t.hex().notNull(),
    asset: t.text(),
    mode: t.integer().notNull(),
    maxLeverageX18: t.bigint().notNull(),
    fundingRateX18: t.bigint().notNull(),
    cumulativeFundingX18: t.bigint().notNull(),
    openInterestLongRaw: t.bigint().notNull(),
    openInterestShortRaw: t.bigint().notNull(),
    flag: t.text(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.marketId] }) }),
);

/** Every oracle round per (chain, feed, round): the price history volatility is measured from. */
export const priceRound = onchainTable(
  "price_round",
  (t) => ({
    chainId: t.integer().notNull(),
    feed: t.hex().notNull(),
    roundId: t.bigint().notNull(),
    asset: t.text(),
    decimals: t.integer(),
    answerRaw: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    blockTimestamp: t.bigint().notNull(),
    flag: t.text(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.feed, table.roundId] }),
    assetTimeIdx: index().on(table.asset, table.updatedAt),
  }),
);

/** The latest answer per (chain, asset), for known feeds. */
export const latestPrice = onchainTable(
  "latest_price",
  (t) => ({
    chainId: t.integer().notNull(),
    asset: t.text().notNull(),
    feed: t.hex().notNull(),
    decimals: t.integer().notNull(),
    answerRaw: t.bigint().notNull(),
    roundId: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    flag: t.text(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.asset] }) }),
);

/** One row per liquidation event (collateral seizure or position close-out). */
export const liquidation = onchainTable(
  "liquidation",
  (t) => ({
    chainId: t.integer().notNull(),
    id: t.text().notNull(),
    kind: t.text().notNull(), // "collateral" | "position"
    account: t.hex().notNull(),
    liquidator: t.hex().notNull(),
    token: t.hex(),
    marketId: t.integer(),
    asset: t.text(),
    amountRaw: t.bigint().notNull(), // tokens seized, or signed size closed
    priceRaw: t.bigint(),
    realizedPnlRaw: t.bigint(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.id] }),
    accountIdx: index().on(table.account),
  }),
);

/** Insurance fund balance per (chain, token). */
export const insuranceFund = onchainTable(
  "insurance_fund",
  (t) => ({
    chainId: t.integer().notNull(),
    token: t.hex().notNull(),
    asset: t.text(),
    decimals: t.integer(),
    balanceRaw: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.token] }) }),
);

/** Authorized liquidators per chain. */
export const liquidator = onchainTable(
  "liquidator",
  (t) => ({
    chainId: t.integer().notNull(),
    address: t.hex().notNull(),
    allowed: t.boolean().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.address] }) }),
);

/**
 * Append-only ledger: one row per indexed event, with the new state it produced, so any past
 * moment can be rebuilt (time travel) and the risk book can follow the store incrementally.
 * `kind`: DEPOSIT WITHDRAW BORROW REPAY SEIZE POSITION POSITION_LIQUIDATED FUNDING MARKET_LISTED
 * MARKET_MODE MAX_LEVERAGE PRICE INSURANCE_FUNDED INSURANCE_PAID LIQUIDATOR_SET.
 * `newValueRaw` per kind: DEPOSIT/WITHDRAW/SEIZE new collateral balance; BORROW/REPAY new debt;
 * POSITION new size (POSITION_LIQUIDATED 0); FUNDING new cumulative index (amountRaw = new rate);
 * MARKET_LISTED and MAX_LEVERAGE max leverage ×1e18; MARKET_MODE the mode; PRICE the answer;
 * INSURANCE_FUNDED/INSURANCE_PAID the fund's new balance; LIQUIDATOR_SET 1 allowed, 0 revoked.
 * Reorgs remove rows with the blocks they came from (Ponder rolls the table back).
 */
export const ledger = onchainTable(
  "ledger",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    blockHash: t.hex().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull(),
    account: t.hex(),
    counterparty: t.hex(), // REPAY: payer; SEIZE, POSITION_LIQUIDATED: liquidator; INSURANCE_FUNDED: funder; LIQUIDATOR_SET: the liquidator
    token: t.hex(), // the token; PRICE and MARKET_LISTED: the feed
    marketId: t.integer(),
    asset: t.text(),
    decimals: t.integer(), // the token's or feed's decimals from config (null when unknown)
    amountRaw: t.bigint(), // the event's delta: amount moved, size delta, size closed, funding rate
    newValueRaw: t.bigint(), // the new balance, debt, size, fund balance or cumulative funding index
    priceRaw: t.bigint(), // execution price or oracle answer
    entryPriceRaw: t.bigint(), // positions: new average entry price
    fundingIndexX18: t.bigint(), // positions: index the position now carries
    cashRaw: t.bigint(), // events that move cash: the account's new cash
    realizedPnlRaw: t.bigint(),
    fundingPaidRaw: t.bigint(), // POSITION, POSITION_LIQUIDATED: funding settled (+ paid by the account), quote raw
    roundId: t.bigint(), // PRICE: the oracle round
    oracleUpdatedAt: t.bigint(), // PRICE: the oracle's updatedAt (unix seconds), not the block's
    flag: t.text(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    accountIdx: index().on(table.account, table.timestamp),
    timeIdx: index().on(table.timestamp),
  }),
);

// Protocol adapters' tables (protocols/<id>/schema.ts): each adapter's own facts, keyed by deployment.
