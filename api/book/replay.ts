/**
 * Ledger replay: the store's current-state tables rebuilt from ledger rows (pure, no I/O).
 *
 * Every ledger row carries the new state its event produced (new balance, new debt, new size,
 * new cash, new fund balance, new cumulative funding index), so the state after a prefix of the
 * ledger is "the last new value per key". Time travel replays the rows up to a moment; the
 * in-memory store replays them to keep its tables consistent with its ledger.
 *
 * Keys: collateral and debt (chain, account, token); cash (chain, account); positions
 * (chain, account, marketId); markets (chain, marketId); insurance fund (chain, token).
 * Markets follow the indexer's upserts: listing resets mode and funding, MARKET_MODE sets the mode,
 * FUNDING the rate and index, and every position row moves open interest by its size change.
 * Not replayed (the book's ledger rows do not carry their columns): max leverage, realized PnL,
 * the liquidator allow-list and latest prices (those come from the price rounds).
 *
 * api/book/replay.test.ts holds this against the indexer's own mappers: a random event history
 * applied to an in-memory store with Ponder's upsert semantics, compared table by table.
 */
import type { ChainId, Hex } from "../../risk/types.js";
import type { AccountRows, BalanceRow, CashRow, InsuranceFundRow, LedgerRow, MarketRow, PositionRow, TokenRow } from "./reader.js";

export interface ReplayState {
  collateral: Map<string, BalanceRow>;
  debt: Map<string, BalanceRow>;
  cash: Map<string, CashRow>;
  positions: Map<string, PositionRow>;
  markets: Map<string, MarketRow>;
  insurance: Map<string, InsuranceFundRow>;
}

/** Identity of tokens (asset, decimals) and each chain's quote token, which ledger rows do not repeat. */
export interface TokenDirectory {
  token(chainId: ChainId, token: Hex): TokenRow | undefined;
  quote(chainId: ChainId): TokenRow | undefined;
}

export function createReplayState(): ReplayState {
  return { collateral: new Map(), debt: new Map(), cash: new Map(), positions: new Map(), markets: new Map(), insurance: new Map() };
}

/** Token identities from the store's token rows; a row with `quote` (or `quoteTokens`, chain → token) marks a chain's quote token. */
export function tokenDirectory(tokens: readonly TokenRow[], quoteTokens: ReadonlyMap<ChainId, Hex> = new Map()): TokenDirectory {
  const byKey = new Map<string, TokenRow>();
  const quotes = new Map(quoteTokens);
  for (const row of tokens) {
    if (row.quote && !quotes.has(row.chainId)) quotes.set(row.chainId, row.token);
    const key = `${row.chainId}:${row.token.toLowerCase()}`;
    const known = byKey.get(key);
    // Prefer the row that knows the asset (a flagged row of an unknown token has asset null).
    if (known === undefined || (known.asset === null && row.asset !== null)) byKey.set(key, row);
  }
  return {
    token: (chainId, token) => byKey.get(`${chainId}:${token.toLowerCase()}`),
    quote: (chainId) => {
      const token = quotes.get(chainId);
      return token === undefined ? undefined : byKey.get(`${chainId}:${token.toLowerCase()}`);
    },
  };
}

const COLLATERAL_KINDS = new Set(["DEPOSIT", "WITHDRAW", "SEIZE"]);
const DEBT_KINDS = new Set(["BORROW", "REPAY"]);
const POSITION_KINDS = new Set(["POSITION", "POSITION_LIQUIDATED"]);
const INSURANCE_KINDS = new Set(["INSURANCE_FUNDED", "INSURANCE_PAID"]);
/** MAX_LEVERAGE only moves `updatedTimestamp` here: MarketRow has no max-leverage column. */
const MARKET_KINDS = new Set(["MARKET_LISTED", "MARKET_MODE", "MAX_LEVERAGE", "FUNDING"]);

const positive = (x: bigint) => (x > 0n ? x : 0n);

/**
 * A fresh copy of the market row a ledger row updates, already stored in the state (callers then
 * set its fields; rows handed out earlier are never mutated). A market first met here is created as
 * the indexer creates it when an event meets a market with no row yet: mode 0, no funding, no open interest.
 */
function marketAt(state: ReplayState, row: LedgerRow, marketId: number): MarketRow {
  const key = `${row.chainId}:${marketId}`;
  const previous = state.markets.get(key);
  const market: MarketRow = previous
    ? { ...previous }
    : {
        chainId: row.chainId,
        marketId,
        asset: row.asset,
        mode: 0,
        fundingRateX18: 0n,
        cumulativeFundingX18: 0n,
        openInterestLongRaw: 0n,
        openInterestShortRaw: 0n,
        updatedTimestamp: row.timestamp,
      };
  state.markets.set(key, market);
  return market;
}

/**
 * Applies one ledger row to the state (rows must come in ledger order per chain).
 * Returns the account whose state it changed, or null for market- and fund-level rows.
 */
export function applyLedgerRow(state: ReplayState, row: LedgerRow, tokens: TokenDirectory): Hex | null {
  const account = row.account === null ? null : (row.account.toLowerCase() as Hex);
  let touched: Hex | null = null;

  if (account !== null && row.token !== null && row.newValueRaw !== null && (COLLATERAL_KINDS.has(row.kind) || DEBT_KINDS.has(row.kind))) {
    const table = COLLATERAL_KINDS.has(row.kind) ? state.collateral : state.debt;
    const token = row.token.toLowerCase() as Hex;
    const known = tokens.token(row.chainId, token);
    table.set(`${row.chainId}:${account}:${token}`, {
      chainId: row.chainId,
      account,
      token,
      asset: row.asset ?? known?.asset ?? null,
      decimals: known?.decimals ?? null,
      amountRaw: row.newValueRaw,
    });
    touched = account;
  }

  if (account !== null && row.marketId !== null && POSITION_KINDS.has(row.kind) && row.newValueRaw !== null) {
    const key = `${row.chainId}:${account}:${row.marketId}`;
    const previous = state.positions.get(key);
    const sizeRaw = row.newValueRaw;
    const market = marketAt(state, row, row.marketId);
    state.positions.set(key, {
      chainId: row.chainId,
      account,
      marketId: row.marketId,
      asset: row.asset ?? previous?.asset ?? market.asset,
      sizeRaw,
      entryPriceRaw: row.entryPriceRaw ?? (sizeRaw === 0n ? 0n : (previous?.entryPriceRaw ?? 0n)),
      fundingIndexX18: row.fundingIndexX18 ?? previous?.fundingIndexX18 ?? 0n,
    });
    // Open interest moves by the size change: POSITION carries the delta (amountRaw), a
    // liquidation the whole closed size (amountRaw, signed) with new size 0.
    const previousSizeRaw = previous?.sizeRaw ?? 0n;
    const oldSizeRaw = row.amountRaw === null ? previousSizeRaw : row.kind === "POSITION_LIQUIDATED" ? row.amountRaw : sizeRaw - row.amountRaw;
    market.openInterestLongRaw += positive(sizeRaw) - positive(oldSizeRaw);
    market.openInterestShortRaw += positive(-sizeRaw) - positive(-oldSizeRaw);
    market.updatedTimestamp = row.timestamp;
    touched = account;
  }

  if (account !== null && row.cashRaw !== null) {
    const quote = tokens.quote(row.chainId);
    const key = `${row.chainId}:${account}`;
    const previous = state.cash.get(key);
    state.cash.set(key, {
      chainId: row.chainId,
      account,
      quoteToken: previous?.quoteToken ?? quote?.token ?? ("0x" as Hex),
      asset: previous?.asset ?? quote?.asset ?? null,
      decimals: previous?.decimals ?? quote?.decimals ?? null,
      amountRaw: row.cashRaw,
    });
    touched = account;
  }

  if (row.marketId !== null && MARKET_KINDS.has(row.kind)) {
    const market = marketAt(state, row, row.marketId);
    if (row.asset !== null) market.asset = row.asset;
    market.updatedTimestamp = row.timestamp;
    if (row.kind === "MARKET_LISTED") {
      // (re)listing resets mode and funding and keeps open interest, as the indexer's upsert does
      market.mode = 0;
      market.fundingRateX18 = 0n;
      market.cumulativeFundingX18 = 0n;
    } else if (row.kind === "MARKET_MODE" && row.newValueRaw !== null) {
      market.mode = Number(row.newValueRaw);
    } else if (row.kind === "FUNDING") {
      if (row.amountRaw !== null) market.fundingRateX18 = row.amountRaw;
      if (row.newValueRaw !== null) market.cumulativeFundingX18 = row.newValueRaw;
    }
  }

  if (row.token !== null && row.newValueRaw !== null && INSURANCE_KINDS.has(row.kind)) {
    const token = row.token.toLowerCase() as Hex;
    const known = tokens.token(row.chainId, token);
    state.insurance.set(`${row.chainId}:${token}`, {
      chainId: row.chainId,
      token,
      asset: row.asset ?? known?.asset ?? null,
      decimals: known?.decimals ?? null,
      balanceRaw: row.newValueRaw,
    });
  }

  return touched;
}

/** The account rows of the replayed state (all accounts, or the given ones). */
export function replayAccountRows(state: ReplayState, addresses?: ReadonlySet<string>): AccountRows {
  const keep = <T extends { account: Hex }>(rows: Iterable<T>) => [...rows].filter((r) => addresses === undefined || addresses.has(r.account));
  return {
    collateral: keep(state.collateral.values()),
    debt: keep(state.debt.values()),
    cash: keep(state.cash.values()),
    positions: keep(state.positions.values()),
  };
}
