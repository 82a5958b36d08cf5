/**
 * The Aave v3 store: Ponder tables holding a market's state exactly as the contracts do
 * (integers: indexes and rates in ray, risk parameters in basis points, balances scaled). Every
 * primary key starts with (chainId, pool): the Pool proxy names the deployment, so two markets on
 * one chain, or Aave's WETH and the vault's WETH, never share a row. Normalized amounts are never
 * stored: `storeReader.ts` rebuilds an `AaveMarketState` (ledger.ts) from these rows and math.ts
 * derives balances, indexes and health at any timestamp.
 *
 * Re-exported by ponder.schema.ts. Addresses are lowercase hex (Ponder's `hex` column).
 */
import { index, onchainTable, primaryKey } from "ponder";

/**
 * One row per reserve. Token addresses come from the configurator's ReserveInitialized, decimals
 * from the aToken's Initialized (emitted just before it, same transaction), risk parameters from
 * the configurator's events (0 until set, as initReserves leaves them), indexes and rates from the
 * pool's ReserveDataUpdated (null until the first one: initReserves sets both indexes to 1 ray).
 */
export const aaveReserve = onchainTable(
  "aave_reserve",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    asset: t.hex().notNull(),
    aToken: t.hex(),
    stableDebtToken: t.hex(),
    variableDebtToken: t.hex(),
    interestRateStrategy: t.hex(),
    decimals: t.integer(),
    ltvBps: t.bigint().notNull().default(0n),
    liquidationThresholdBps: t.bigint().notNull().default(0n),
    liquidationBonusBps: t.bigint().notNull().default(0n),
    reserveFactorBps: t.bigint().notNull().default(0n),
    liquidationProtocolFeeBps: t.bigint().notNull().default(0n),
    eModeCategoryId: t.integer().notNull().default(0),
    liquidityIndexRay: t.bigint(),
    variableBorrowIndexRay: t.bigint(),
    liquidityRateRay: t.bigint(),
    variableBorrowRateRay: t.bigint(),
    stableBorrowRateRay: t.bigint(),
    /** Block timestamp (unix seconds) of the last ReserveDataUpdated. */
    lastUpdateTimestamp: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.asset] }) }),
);

/**
 * Scaled balance per (token, user): the aToken's or variable debt token's `scaledBalanceOf`,
 * folded from Mint / Burn / BalanceTransfer (mappers.ts). Rows at 0 stay (a user who left).
 * Which reserve a token belongs to: aave_reserve.aToken / variableDebtToken.
 */
export const aaveScaledBalance = onchainTable(
  "aave_scaled_balance",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    token: t.hex().notNull(),
    user: t.hex().notNull(),
    scaledBalance: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.pool, table.token, table.user] }),
    userIdx: index().on(table.user),
  }),
);

/** Collateral use per (reserve, user): ReserveUsedAsCollateralEnabled / Disabled. */
export const aaveUserCollateral = onchainTable(
  "aave_user_collateral",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    asset: t.hex().notNull(),
    user: t.hex().notNull(),
    enabled: t.boolean().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.pool, table.asset, table.user] }),
    userIdx: index().on(table.user),
  }),
);

/** Per user: the eMode category (UserEModeSet; 0 = none). */
export const aaveUser = onchainTable(
  "aave_user",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    user: t.hex().notNull(),
    eModeCategoryId: t.integer().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.user] }) }),
);

/** eMode categories (EModeCategoryAdded, also emitted on updates in v3.0). */
export const aaveEModeCategory = onchainTable(
  "aave_emode_category",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    categoryId: t.integer().notNull(),
    ltvBps: t.bigint().notNull(),
    liquidationThresholdBps: t.bigint().notNull(),
    liquidationBonusBps: t.bigint().notNull(),
    /** The category's price source asset; 0x0 = each member's own price. */
    priceSource: t.hex().notNull(),
    label: t.text().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.categoryId] }) }),
);

/** AaveOracle's source per asset (AssetSourceUpdated). */
export const aaveAssetSource = onchainTable(
  "aave_asset_source",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    asset: t.hex().notNull(),
    source: t.hex().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.asset] }) }),
);

/**
 * The latest answer of each price source AaveOracle names, in the oracle's base currency units
 * (USD × 1e8 on the devnet): read with latestAnswer() when the source is named (its earlier
 * AnswerUpdated events precede the naming), then every AnswerUpdated it emits. `roundId` and
 * `updatedAt` are null for the read (latestAnswer carries neither).
 */
export const aaveSourceAnswer = onchainTable(
  "aave_source_answer",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    source: t.hex().notNull(),
    answer: t.bigint().notNull(),
    roundId: t.bigint(),
    updatedAt: t.bigint(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.source] }) }),
);

/**
 * Prices READ from AaveOracle.getAssetPrice(asset) for the assets the market's `priceReads`
 * config names (sources that emit no events): written by the block-interval handler when the
 * value read differs from the row's. `price` is in the oracle's base currency units, exactly as
 * returned; `block_number` is the block the value was read at (the first read that returned it;
 * reads at later blocks that returned the same value write nothing). For an asset with a row
 * here, the ledger uses this price and ignores its source's answers (ledger.ts assetPrice).
 */
export const aaveAssetPrice = onchainTable(
  "aave_asset_price",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    asset: t.hex().notNull(),
    price: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.pool, table.asset] }) }),
);

/** One row per Pool LiquidationCall. `liquidatedCollateralRaw` excludes the protocol fee. */
export const aaveLiquidation = onchainTable(
  "aave_liquidation",
  (t) => ({
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    user: t.hex().notNull(),
    liquidator: t.hex().notNull(),
    collateralAsset: t.hex().notNull(),
    debtAsset: t.hex().notNull(),
    debtToCoverRaw: t.bigint().notNull(),
    liquidatedCollateralRaw: t.bigint().notNull(),
    receiveAToken: t.boolean().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.pool, table.blockNumber, table.logIndex] }),
    userIdx: index().on(table.user),
  }),
);
