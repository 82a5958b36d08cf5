/**
 * StoreReader: every query the risk book makes against the store, behind one interface.
 *
 * One SQL implementation (`createSqlReader`) runs over a `SqlRunner` handle; two handles exist:
 * a `pg` Pool (`pgRunner`, tests, tools, replicas) and Ponder's read-only Drizzle `db` from
 * "ponder:api" inside the API process (`ponderRunner` in ./ponderRunner.ts). `memoryReader.ts`
 * implements the same interface over plain rows for in-process tests.
 *
 * Tables live in the Postgres schema given to `ponder start --schema NAME`; every table name is
 * qualified with it, so the search_path of the connection does not matter. Column names are
 * Ponder's snake_case of the ponder.schema.ts keys. numeric(78) columns arrive as strings and
 * are parsed to bigint here; the book never sees driver types.
 */
import type { ChainId, Hex } from "../../risk/types.js";
import { BookError } from "./errors.js";

// ---------------------------------------------------------------- rows

export interface BalanceRow {
  chainId: ChainId;
  account: Hex;
  token: Hex;
  asset: string | null;
  decimals: number | null;
  amountRaw: bigint;
}

export interface CashRow {
  chainId: ChainId;
  account: Hex;
  quoteToken: Hex;
  asset: string | null;
  decimals: number | null;
  amountRaw: bigint; // signed
}

export interface PositionRow {
  chainId: ChainId;
  account: Hex;
  marketId: number;
  asset: string | null;
  sizeRaw: bigint;
  entryPriceRaw: bigint;
  fundingIndexX18: bigint;
}

export interface MarketRow {
  chainId: ChainId;
  marketId: number;
  asset: string | null;
  mode: number;
  fundingRateX18: bigint;
  cumulativeFundingX18: bigint;
  openInterestLongRaw: bigint;
  openInterestShortRaw: bigint;
  updatedTimestamp: number;
}

export interface LatestPriceRow {
  chainId: ChainId;
  asset: string;
  decimals: number;
  answerRaw: bigint;
  roundId: bigint;
  updatedAt: number;
  blockNumber: bigint;
}

export interface PriceRoundRow {
  chainId: ChainId;
  asset: string;
  decimals: number;
  answerRaw: bigint;
  roundId: bigint;
  updatedAt: number;
}

export interface InsuranceFundRow {
  chainId: ChainId;
  token: Hex;
  asset: string | null;
  decimals: number | null;
  balanceRaw: bigint;
}

/** One token's identity as the store knows it (from collateral, debt, cash and insurance rows). */
export interface TokenRow {
  chainId: ChainId;
  token: Hex;
  asset: string | null;
  decimals: number | null;
  /** the chain's quote token (cash is kept in it) */
  quote: boolean;
}

export interface LedgerRow {
  chainId: ChainId;
  blockNumber: bigint;
  logIndex: number;
  blockHash: Hex;
  timestamp: number;
  kind: string;
  account: Hex | null;
  token: Hex | null;
  marketId: number | null;
  asset: string | null;
  amountRaw: bigint | null;
  newValueRaw: bigint | null;
  priceRaw: bigint | null;
  entryPriceRaw: bigint | null;
  fundingIndexX18: bigint | null;
  cashRaw: bigint | null;
}

/** Ponder's per-chain progress (`_ponder_checkpoint.latest_checkpoint`, decoded). */
export interface CheckpointRow {
  chainName: string;
  chainId: ChainId;
  blockNumber: bigint;
  blockTimestamp: number;
  finalizedBlockNumber: bigint;
}

export interface AccountRows {
  collateral: BalanceRow[];
  debt: BalanceRow[];
  cash: CashRow[];
  positions: PositionRow[];
}

/** Position in one chain's ledger: rows strictly after it are new. */
export interface LedgerCursor {
  chainId: ChainId;
  blockNumber: bigint;
  logIndex: number;
}

export interface StoreReader {
  /** Collateral, debt, cash and position rows; of the given addresses only when `addresses` is set. */
  accountRows(addresses?: readonly Hex[]): Promise<AccountRows>;
  markets(): Promise<MarketRow[]>;
  latestPrices(): Promise<LatestPriceRow[]>;
  insuranceFunds(): Promise<InsuranceFundRow[]>;
  tokens(): Promise<TokenRow[]>;
  checkpoints(): Promise<CheckpointRow[]>;
  /** The last ledger row per chain (highest block, then logIndex): where following starts. */
  ledgerHeads(): Promise<(LedgerCursor & { blockHash: Hex })[]>;
  /** Ledger rows of every chain strictly after its cursor (chains without a cursor: from the start), in (chain, block, logIndex) order. */
  ledgerAfter(cursors: readonly LedgerCursor[], limit: number): Promise<LedgerRow[]>;
  /** The block hash the ledger holds for (chain, block), null when it holds no row of that block. */
  ledgerBlockHashes(blocks: readonly { chainId: ChainId; blockNumber: bigint }[]): Promise<Map<string, Hex>>;
  /** Ledger rows with timestamp ≤ `time` (of one account, of some kinds, when given), in (timestamp, chain, block, logIndex) order. */
  ledgerUntil(time: number, filter?: { account?: Hex; kinds?: readonly string[] }): Promise<LedgerRow[]>;
  /** Per chain, the highest block and timestamp the ledger holds at or before `time`. */
  ledgerBlocksAt(time: number): Promise<{ chainId: ChainId; blockNumber: bigint; timestamp: number }[]>;
  /** Oracle rounds of known assets with `fromTime ≤ updatedAt ≤ toTime`, oldest first. */
  priceRounds(fromTime: number, toTime: number): Promise<PriceRoundRow[]>;
  /** The latest round per (chain, asset) with updatedAt ≤ time. */
  pricesAt(time: number): Promise<PriceRoundRow[]>;
}

export function blockKey(chainId: ChainId, blockNumber: bigint): string {
  return `${chainId}:${blockNumber}`;
}

// ---------------------------------------------------------------- SQL implementation

/** Runs one parameterized statement ($1, $2, …) and returns its rows. */
export type SqlRunner = (text: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export interface QueryablePool {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A runner over a `pg` Pool or Client. */
export function pgRunner(pool: QueryablePool): SqlRunner {
  return async (text, params) => (await pool.query(text, params.map(toDriverValue))).rows;
}

export function toDriverValue(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toDriverValue);
  return v;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_\-]{0,62}$/;

/** The StoreReader over SQL: `schema` is the Postgres schema Ponder writes (`ponder start --schema`). */
/** The SQL reader also tells whether Ponder's historical backfill is complete (what GET /ready answers). */
export interface SqlStoreReader extends StoreReader {
  /** `_ponder_meta.value.is_ready = 1`: Ponder finished the backfill (false while it is missing). */
  historicalReady(): Promise<boolean>;
}

export function createSqlReader(run: SqlRunner, options: { schema: string }): SqlStoreReader {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new BookError("BOOK_INVALID_SCHEMA", `Invalid store schema name "${options.schema}". Expected a Postgres identifier such as "xmargin" (letters, digits, _ or -, at most 63).`, { schema: options.schema });
  }
  const t = (name: string) => `"${options.schema}"."${name}"`;
  const query = async (label: string, text: string, params: readonly unknown[] = []) => {
    try {
      return await run(text, params);
    } catch (error) {
      throw new BookError("BOOK_STORE_QUERY_FAILED", `Store query "${label}" failed in schema "${options.schema}": ${(error as Error).message}. Is Ponder running with --schema ${options.schema}?`, { label, schema: options.schema }, error);
    }
  };
  const addressFilter = (addresses: readonly Hex[] | undefined): [string, unknown[]] =>
    addresses === undefined ? ["", []] : [" WHERE account = ANY($1::text[])", [addresses.map((a) => a.toLowerCase())]];

  const ledgerColumns = `chain_id, block_number, log_index, block_hash, timestamp, kind, account, token, market_id, asset,
    amount_raw, new_value_raw, price_raw, entry_price_raw, funding_index_x_18, cash_raw`;

  return {
    async accountRows(addresses) {
      if (addresses !== undefined && addresses.length === 0) return { collateral: [], debt: [], cash: [], positions: [] };
      const [where, params] = addressFilter(addresses);
      const [collateral, debt, cash, positions] = await Promise.all([
        query("collateral", `SELECT chain_id, account, token, asset, decimals, amount_raw FROM ${t("collateral")}${where}`, params),
        query("debt", `SELECT chain_id, account, token, asset, decimals, amount_raw FROM ${t("debt")}${where}`, params),
        query("cash", `SELECT chain_id, account, quote_token, asset, decimals, amount_raw FROM ${t("cash")}${where}`, params),
        query("position", `SELECT chain_id, account, market_id, asset, size_raw, entry_price_raw, funding_index_x_18 FROM ${t("position")}${where}`, params),
      ]);
      return {
        collateral: collateral.map(balanceRow),
        debt: debt.map(balanceRow),
        cash: cash.map((r) => ({
          chainId: int(r.chain_id),
          account: hex(r.account),
          quoteToken: hex(r.quote_token),
          asset: str(r.asset),
          decimals: intOrNull(r.decimals),
          amountRaw: big(r.amount_raw),
        })),
        positions: positions.map((r) => ({
          chainId: int(r.chain_id),
          account: hex(r.account),
          marketId: int(r.market_id),
          asset: str(r.asset),
          sizeRaw: big(r.size_raw),
          entryPriceRaw: big(r.entry_price_raw),
          fundingIndexX18: big(r.funding_index_x_18),
        })),
      };
    },

    async markets() {
      const rows = await query("market", `SELECT chain_id, market_id, asset, mode, funding_rate_x_18, cumulative_funding_x_18, open_interest_long_raw, open_interest_short_raw, updated_timestamp FROM ${t("market")}`);
      return rows.map((r) => ({
        chainId: int(r.chain_id),
        marketId: int(r.market_id),
        asset: str(r.asset),
        mode: int(r.mode),
        fundingRateX18: big(r.funding_rate_x_18),
        cumulativeFundingX18: big(r.cumulative_funding_x_18),
        openInterestLongRaw: big(r.open_interest_long_raw),
        openInterestShortRaw: big(r.open_interest_short_raw),
        updatedTimestamp: int(r.updated_timestamp),
      }));
    },

    async latestPrices() {
      const rows = await query("latest_price", `SELECT chain_id, asset, decimals, answer_raw, round_id, updated_at, block_number FROM ${t("latest_price")}`);
      return rows.map((r) => ({
        chainId: int(r.chain_id),
        asset: String(r.asset),
        decimals: int(r.decimals),
        answerRaw: big(r.answer_raw),
        roundId: big(r.round_id),
        updatedAt: int(r.updated_at),
        blockNumber: big(r.block_number),
      }));
    },

    async insuranceFunds() {
      const rows = await query("insurance_fund", `SELECT chain_id, token, asset, decimals, balance_raw FROM ${t("insurance_fund")}`);
      return rows.map((r) => ({
        chainId: int(r.chain_id),
        token: hex(r.token),
        asset: str(r.asset),
        decimals: intOrNull(r.decimals),
        balanceRaw: big(r.balance_raw),
      }));
    },

    async tokens() {
      const rows = await query(
        "tokens",
        `SELECT DISTINCT chain_id, token, asset, decimals, false AS quote FROM ${t("collateral")}
         UNION SELECT DISTINCT chain_id, token, asset, decimals, false AS quote FROM ${t("debt")}
         UNION SELECT DISTINCT chain_id, quote_token AS token, asset, decimals, true AS quote FROM ${t("cash")}
         UNION SELECT DISTINCT chain_id, token, asset, decimals, false AS quote FROM ${t("insurance_fund")}`,
      );
      return rows.map((r) => ({ chainId: int(r.chain_id), token: hex(r.token), asset: str(r.asset), decimals: intOrNull(r.decimals), quote: r.quote === true || r.quote === "t" }));
    },

    async historicalReady() {
      const rows = await query("_ponder_meta", `SELECT value FROM ${t("_ponder_meta")} WHERE key = 'app'`);
      const value = rows[0]?.value;
      const parsed = typeof value === "string" ? (JSON.parse(value) as { is_ready?: unknown }) : (value as { is_ready?: unknown } | undefined);
      return parsed?.is_ready === 1;
    },

    async checkpoints() {
      const rows = await query("_ponder_checkpoint", `SELECT chain_name, chain_id, latest_checkpoint, finalized_checkpoint FROM ${t("_ponder_checkpoint")}`);
      return rows.map((r) => {
        const latest = decodeCheckpoint(String(r.latest_checkpoint));
        const finalized = decodeCheckpoint(String(r.finalized_checkpoint));
        return {
          chainName: String(r.chain_name),
          chainId: int(r.chain_id),
          blockNumber: latest.blockNumber,
          blockTimestamp: latest.blockTimestamp,
          finalizedBlockNumber: finalized.blockNumber,
        };
      });
    },

    async ledgerHeads() {
      const rows = await query(
        "ledger heads",
        `SELECT DISTINCT ON (chain_id) chain_id, block_number, log_index, block_hash FROM ${t("ledger")}
         ORDER BY chain_id, block_number DESC, log_index DESC`,
      );
      return rows.map((r) => ({ chainId: int(r.chain_id), blockNumber: big(r.block_number), logIndex: int(r.log_index), blockHash: hex(r.block_hash) }));
    },

    async ledgerAfter(cursors, limit) {
      // One statement for every chain: rows after each chain's cursor, plus chains with no cursor yet.
      const params: unknown[] = [];
      const clauses: string[] = [];
      for (const c of cursors) {
        params.push(c.chainId, c.blockNumber, c.logIndex);
        const n = params.length;
        clauses.push(`(chain_id = $${n - 2} AND (block_number > $${n - 1} OR (block_number = $${n - 1} AND log_index > $${n})))`);
      }
      params.push(cursors.map((c) => c.chainId));
      clauses.push(`NOT (chain_id = ANY($${params.length}::int[]))`);
      params.push(limit);
      const rows = await query(
        "ledger after",
        `SELECT ${ledgerColumns} FROM ${t("ledger")} WHERE ${clauses.join(" OR ")} ORDER BY chain_id, block_number, log_index LIMIT $${params.length}`,
        params,
      );
      return rows.map(ledgerRow);
    },

    async ledgerBlockHashes(blocks) {
      const out = new Map<string, Hex>();
      if (blocks.length === 0) return out;
      const params: unknown[] = [];
      const clauses = blocks.map((b) => {
        params.push(b.chainId, b.blockNumber);
        return `(chain_id = $${params.length - 1} AND block_number = $${params.length})`;
      });
      const rows = await query("ledger block hashes", `SELECT DISTINCT chain_id, block_number, block_hash FROM ${t("ledger")} WHERE ${clauses.join(" OR ")}`, params);
      for (const r of rows) out.set(blockKey(int(r.chain_id), big(r.block_number)), hex(r.block_hash));
      return out;
    },

    async ledgerUntil(time, filter = {}) {
      const params: unknown[] = [time];
      let where = `timestamp <= $1`;
      if (filter.account !== undefined) {
        params.push(filter.account.toLowerCase());
        where += ` AND account = $${params.length}`;
      }
      if (filter.kinds !== undefined) {
        params.push([...filter.kinds]);
        where += ` AND kind = ANY($${params.length}::text[])`;
      }
      const rows = await query("ledger until", `SELECT ${ledgerColumns} FROM ${t("ledger")} WHERE ${where} ORDER BY timestamp, chain_id, block_number, log_index`, params);
      return rows.map(ledgerRow);
    },

    async ledgerBlocksAt(time) {
      const rows = await query("ledger blocks at", `SELECT chain_id, MAX(block_number) AS block_number, MAX(timestamp) AS timestamp FROM ${t("ledger")} WHERE timestamp <= $1 GROUP BY chain_id`, [time]);
      return rows.map((r) => ({ chainId: int(r.chain_id), blockNumber: big(r.block_number), timestamp: int(r.timestamp) }));
    },

    async priceRounds(fromTime, toTime) {
      const rows = await query(
        "price rounds",
        `SELECT chain_id, asset, decimals, answer_raw, round_id, updated_at FROM ${t("price_round")}
         WHERE asset IS NOT NULL AND decimals IS NOT NULL AND updated_at >= $1 AND updated_at <= $2
         ORDER BY updated_at, chain_id, round_id`,
        [fromTime, toTime],
      );
      return rows.map(priceRoundRow);
    },

    async pricesAt(time) {
      const rows = await query(
        "prices at",
        `SELECT DISTINCT ON (chain_id, asset) chain_id, asset, decimals, answer_raw, round_id, updated_at FROM ${t("price_round")}
         WHERE asset IS NOT NULL AND decimals IS NOT NULL AND updated_at <= $1
         ORDER BY chain_id, asset, updated_at DESC, round_id DESC`,
        [time],
      );
      return rows.map(priceRoundRow);
    },
  };
}

// ---------------------------------------------------------------- decoding

/** Ponder's checkpoint string: blockTimestamp(10) chainId(16) blockNumber(16) txIndex(16) eventType(1) eventIndex(16). */
export function decodeCheckpoint(checkpoint: string): { blockTimestamp: number; chainId: number; blockNumber: bigint } {
  if (!/^\d{75}$/.test(checkpoint)) {
    throw new BookError("BOOK_INVALID_CHECKPOINT", `Invalid Ponder checkpoint "${checkpoint}". Expected 75 digits: blockTimestamp(10) chainId(16) blockNumber(16) txIndex(16) eventType(1) eventIndex(16).`, { checkpoint });
  }
  return {
    blockTimestamp: Number(checkpoint.slice(0, 10)),
    chainId: Number(checkpoint.slice(10, 26)),
    blockNumber: BigInt(checkpoint.slice(26, 42)),
  };
}

function balanceRow(r: Record<string, unknown>): BalanceRow {
  return {
    chainId: int(r.chain_id),
    account: hex(r.account),
    token: hex(r.token),
    asset: str(r.asset),
    decimals: intOrNull(r.decimals),
    amountRaw: big(r.amount_raw),
  };
}

function priceRoundRow(r: Record<string, unknown>): PriceRoundRow {
  return {
    chainId: int(r.chain_id),
    asset: String(r.asset),
    decimals: int(r.decimals),
    answerRaw: big(r.answer_raw),
    roundId: big(r.round_id),
    updatedAt: int(r.updated_at),
  };
}

function ledgerRow(r: Record<string, unknown>): LedgerRow {
  return {
    chainId: int(r.chain_id),
    blockNumber: big(r.block_number),
    logIndex: int(r.log_index),
    blockHash: hex(r.block_hash),
    timestamp: int(r.timestamp),
    kind: String(r.kind),
    account: r.account == null ? null : hex(r.account),
    token: r.token == null ? null : hex(r.token),
    marketId: intOrNull(r.market_id),
    asset: str(r.asset),
    amountRaw: bigOrNull(r.amount_raw),
    newValueRaw: bigOrNull(r.new_value_raw),
    priceRaw: bigOrNull(r.price_raw),
    entryPriceRaw: bigOrNull(r.entry_price_raw),
    fundingIndexX18: bigOrNull(r.funding_index_x_18),
    cashRaw: bigOrNull(r.cash_raw),
  };
}

function big(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  if (typeof v === "string") return BigInt(v.includes(".") ? v.slice(0, v.indexOf(".")) : v);
  throw new BookError("BOOK_INVALID_ROW", `Expected an integer column value, got ${String(v)}.`, { value: String(v) });
}
function bigOrNull(v: unknown): bigint | null {
  return v == null ? null : big(v);
}
function int(v: unknown): number {
  return Number(big(v));
}
function intOrNull(v: unknown): number | null {
  return v == null ? null : int(v);
}
function str(v: unknown): string | null {
  return v == null ? null : String(v);
}
function hex(v: unknown): Hex {
  return String(v).toLowerCase() as Hex;
}
