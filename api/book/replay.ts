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
    state.positions.set(key, {
      chainId: row.chainId,
      account,
      marketId: row.marketId,
      asset: row.asset ?? previous?.asset ?? state.markets.get(`${row.chainId}:${row.marketId}`)?.asset ?? null,
      sizeRaw,
      entryPriceRaw: row.entryPriceRaw ?? (sizeRaw === 0n ? 0n : (previous?.entryPriceRaw ?? 0n)),
      fundingIndexX18: row.fundingIndexX18 ?? previous?.fundingIndexX18 ?? 0n,
    });
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

  if (row.marketId !== null && (row.kind === "MARKET_LISTED" || row.kind === "FUNDING" || row.kind === "MARKET_MODE" || row.kind === "MAX_LEVERAGE")) {
    const key = `${row.chainId}:${row.marketId}`;
    const previous = state.markets.get(key);
    state.markets.set(key, {
      chainId: row.chainId,
      marketId: row.marketId,
      asset: row.asset ?? previous?.asset ?? null,
      mode: previous?.mode ?? 0,
      fundingRateX18: row.kind === "FUNDING" && row.amountRaw !== null ? row.amountRaw : (previous?.fundingRateX18 ?? 0n),
      cumulativeFundingX18: row.kind === "FUNDING" && row.newValueRaw !== null ? row.newValueRaw : (previous?.cumulativeFundingX18 ?? 0n),
      openInterestLongRaw: previous?.openInterestLongRaw ?? 0n,
      openInterestShortRaw: previous?.openInterestShortRaw ?? 0n,
      updatedTimestamp: row.timestamp,
    });
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
