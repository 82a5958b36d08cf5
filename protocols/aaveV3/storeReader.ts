/**
 * The store → market-state rebuild: reads the Aave tables (schema.ts) through a `query(sql,
 * params)` handle (the same SqlRunner shape api/book/reader.ts uses, over Postgres or PGlite) and
 * returns one `AaveMarketState` (ledger.ts) per market, from which ledger.ts's `accountData`,
 * `aTokenBalanceOf`, `variableDebtOf`, `reserveNormalizedIncome/Debt` and `assetPrice` derive
 * everything at any timestamp with math.ts. The rows hold integers only, so the rebuild is exact.
 */
import { getAddress, type Address } from "viem";
import { AaveStoreError } from "./errors.js";
import { createAaveMarketState, setCollateral, setScaledBalance, type AaveMarketState } from "./ledger.js";

/** Runs one SQL statement with positional parameters; returns the rows (numeric(78) may be strings). */
export type AaveSqlRunner = (text: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export interface AaveStoreMarket {
  chainId: number;
  /** The market's Pool proxy (checksummed). */
  pool: Address;
  state: AaveMarketState;
}

export interface ReadAaveMarketsOptions {
  /** Ponder's schema (`ponder start --schema NAME`). */
  schema: string;
  /** Only these chains (default every chain in the store). */
  chainIds?: readonly number[];
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

const TABLES = ["aave_reserve", "aave_scaled_balance", "aave_user_collateral", "aave_user", "aave_emode_category", "aave_asset_source", "aave_source_answer", "aave_asset_price"] as const;
type Table = (typeof TABLES)[number];

/** A row with its column names folded (`liquidity_index_ray` → `liquidityindexray`), whatever casing the store uses. */
type Row = Map<string, unknown>;
const fold = (name: string): string => name.replace(/_/g, "").toLowerCase();

function col(row: Row, name: string, table: Table): unknown {
  const key = fold(name);
  if (!row.has(key)) throw new AaveStoreError(`column '${name}' is missing from ${table}; is the store built from this version's ponder.schema.ts?`, { table, column: name });
  return row.get(key);
}
const big = (row: Row, name: string, table: Table): bigint => BigInt(col(row, name, table) as string | number | bigint);
const bigOrNull = (row: Row, name: string, table: Table): bigint | null => {
  const v = col(row, name, table);
  return v === null ? null : BigInt(v as string | number | bigint);
};
const int = (row: Row, name: string, table: Table): number => Number(col(row, name, table));
const address = (row: Row, name: string, table: Table): Address => getAddress(col(row, name, table) as string);

/**
 * Every Aave market in the store (one per chain and pool), rebuilt from its rows.
 * Throws AaveStoreError when a query fails or a listed reserve has no decimals (its aToken's
 * Initialized was not indexed: the market's start block is too late).
 * @example const markets = await readAaveMarkets((sql, p) => pool.query(sql, p).then((r) => r.rows), { schema: "xmargin" })
 */
export async function readAaveMarkets(query: AaveSqlRunner, options: ReadAaveMarketsOptions): Promise<AaveStoreMarket[]> {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new AaveStoreError(`invalid store schema name "${options.schema}"; expected a Postgres identifier such as "xmargin"`, { schema: options.schema });
  }
  const where = options.chainIds === undefined ? "" : " WHERE chain_id = ANY($1::int[])";
  const params = options.chainIds === undefined ? [] : [[...options.chainIds]];
  const rows = {} as Record<Table, Row[]>;
  await Promise.all(
    TABLES.map(async (table) => {
      try {
        const result = await query(`SELECT * FROM "${options.schema}"."${table}"${where}`, params);
        rows[table] = result.map((r) => new Map(Object.entries(r).map(([k, v]) => [fold(k), v])));
      } catch (error) {
        throw new AaveStoreError(`store query on ${table} failed in schema "${options.schema}": ${(error as Error).message}`, { table, schema: options.schema }, { cause: error });
      }
    }),
  );

  const markets = new Map<string, AaveStoreMarket>();
  const marketOf = (row: Row, table: Table): AaveMarketState => {
    const chainId = int(row, "chainId", table);
    const pool = address(row, "pool", table);
    const k = `${chainId}:${pool}`;
    let m = markets.get(k);
    if (!m) markets.set(k, (m = { chainId, pool, state: createAaveMarketState() }));
    return m.state;
  };

  for (const r of rows.aave_reserve) {
    const t = "aave_reserve";
    const state = marketOf(r, t);
    if (col(r, "aToken", t) === null) continue; // decimals seen, ReserveInitialized not yet
    const asset = address(r, "asset", t);
    const decimals = col(r, "decimals", t);
    if (decimals === null) {
      throw new AaveStoreError(`reserve ${asset} of pool ${address(r, "pool", t)} on chain ${int(r, "chainId", t)} has no decimals: its aToken's Initialized was not indexed; start the market at or before its first ReserveInitialized`, { asset });
    }
    const lastUpdateTimestamp = bigOrNull(r, "lastUpdateTimestamp", t);
    const reserve = {
      asset,
      aToken: address(r, "aToken", t),
      stableDebtToken: address(r, "stableDebtToken", t),
      variableDebtToken: address(r, "variableDebtToken", t),
      interestRateStrategy: address(r, "interestRateStrategy", t),
      decimals: Number(decimals),
      ltvBps: big(r, "ltvBps", t),
      liquidationThresholdBps: big(r, "liquidationThresholdBps", t),
      liquidationBonusBps: big(r, "liquidationBonusBps", t),
      liquidationProtocolFeeBps: big(r, "liquidationProtocolFeeBps", t),
      reserveFactorBps: big(r, "reserveFactorBps", t),
      eModeCategoryId: int(r, "eModeCategoryId", t),
      indexes:
        lastUpdateTimestamp === null
          ? null
          : {
              liquidityIndexRay: big(r, "liquidityIndexRay", t),
              variableBorrowIndexRay: big(r, "variableBorrowIndexRay", t),
              liquidityRateRay: big(r, "liquidityRateRay", t),
              variableBorrowRateRay: big(r, "variableBorrowRateRay", t),
              lastUpdateTimestamp,
            },
    };
    state.reserves.set(asset, reserve);
    state.tokens.set(reserve.aToken, { asset, role: "aToken" });
    state.tokens.set(reserve.variableDebtToken, { asset, role: "variableDebt" });
    state.tokens.set(reserve.stableDebtToken, { asset, role: "stableDebt" });
    state.initialized.set(reserve.aToken, { decimals: reserve.decimals, underlyingAsset: asset, treasury: null });
  }
  for (const r of rows.aave_scaled_balance) {
    const t = "aave_scaled_balance";
    const state = marketOf(r, t);
    const balance = big(r, "scaledBalance", t);
    const user = address(r, "user", t);
    if (balance < 0n) throw new AaveStoreError(`negative scaled balance ${balance} of ${user} on ${address(r, "token", t)}: an earlier Mint was not indexed`, { user });
    if (balance === 0n) continue;
    setScaledBalance(state, address(r, "token", t), user, balance);
    state.accounts.add(user);
  }
  for (const r of rows.aave_user_collateral) {
    const t = "aave_user_collateral";
    const state = marketOf(r, t);
    const user = address(r, "user", t);
    if (col(r, "enabled", t) === true) setCollateral(state, address(r, "asset", t), user, true);
    state.accounts.add(user);
  }
  for (const r of rows.aave_user) {
    const t = "aave_user";
    const categoryId = int(r, "eModeCategoryId", t);
    if (categoryId !== 0) marketOf(r, t).userEMode.set(address(r, "user", t), categoryId);
  }
  for (const r of rows.aave_emode_category) {
    const t = "aave_emode_category";
    marketOf(r, t).eModeCategories.set(int(r, "categoryId", t), {
      ltvBps: big(r, "ltvBps", t),
      liquidationThresholdBps: big(r, "liquidationThresholdBps", t),
      liquidationBonusBps: big(r, "liquidationBonusBps", t),
      priceSource: address(r, "priceSource", t),
      label: String(col(r, "label", t)),
    });
  }
  for (const r of rows.aave_asset_source) marketOf(r, "aave_asset_source").assetSources.set(address(r, "asset", "aave_asset_source"), address(r, "source", "aave_asset_source"));
  for (const r of rows.aave_source_answer) marketOf(r, "aave_source_answer").answers.set(address(r, "source", "aave_source_answer"), big(r, "answer", "aave_source_answer"));
  for (const r of rows.aave_asset_price) marketOf(r, "aave_asset_price").readPrices.set(address(r, "asset", "aave_asset_price"), big(r, "price", "aave_asset_price"));
  return [...markets.values()].sort((a, b) => a.chainId - b.chainId || a.pool.localeCompare(b.pool));
}
