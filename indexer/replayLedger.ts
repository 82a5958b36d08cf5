/**
 * Rebuilds the store's state tables from ledger rows alone: the proof that the ledger is enough
 * for time travel. Pass the rows up to a moment (e.g. `timestamp ≤ T`), in (chainId, blockNumber,
 * logIndex) order per chain, and get every balance, position, market, fund, liquidator and
 * latest price as it was then. Pure; the API's history queries can use it as is.
 */
import { isNewerRound } from "./mappers/prices.js";
import type { Hex, LedgerRow } from "./mappers/types.js";

export interface ReplayedBalance {
  chainId: number;
  account: Hex;
  token: Hex;
  asset: string | null;
  amountRaw: bigint;
}
export interface ReplayedPosition {
  chainId: number;
  account: Hex;
  marketId: number;
  asset: string | null;
  sizeRaw: bigint;
  entryPriceRaw: bigint;
  fundingIndexX18: bigint;
  realizedPnlRaw: bigint;
}
export interface ReplayedMarket {
  chainId: number;
  marketId: number;
  feed: Hex | null;
  asset: string | null;
  mode: number;
  maxLeverageX18: bigint;
  fundingRateX18: bigint;
  cumulativeFundingX18: bigint;
  openInterestLongRaw: bigint;
  openInterestShortRaw: bigint;
}
export interface ReplayedPrice {
  chainId: number;
  asset: string;
  feed: Hex;
  answerRaw: bigint;
  roundId: bigint;
  updatedAt: bigint;
}

export interface ReplayedState {
  collateral: Map<string, ReplayedBalance>;
  debt: Map<string, ReplayedBalance>;
  /** key `${chainId}:${account}` → signed quote raw */
  cash: Map<string, bigint>;
  position: Map<string, ReplayedPosition>;
  market: Map<string, ReplayedMarket>;
  /** key `${chainId}:${token}` */
  insuranceFund: Map<string, bigint>;
  /** key `${chainId}:${address}` */
  liquidator: Map<string, boolean>;
  /** key `${chainId}:${asset}` */
  latestPrice: Map<string, ReplayedPrice>;
}

const pos = (x: bigint) => (x > 0n ? x : 0n);

function marketOf(state: ReplayedState, chainId: number, marketId: number, asset: string | null): ReplayedMarket {
  const key = `${chainId}:${marketId}`;
  let market = state.market.get(key);
  if (!market) {
    market = { chainId, marketId, feed: null, asset, mode: 0, maxLeverageX18: 0n, fundingRateX18: 0n, cumulativeFundingX18: 0n, openInterestLongRaw: 0n, openInterestShortRaw: 0n };
    state.market.set(key, market);
  }
  return market;
}

function moveOpenInterest(market: ReplayedMarket, oldSize: bigint, newSize: bigint): void {
  market.openInterestLongRaw += pos(newSize) - pos(oldSize);
  market.openInterestShortRaw += pos(-newSize) - pos(-oldSize);
}

/**
 * Folds ledger rows into the state they produced. Example: DEPOSIT(newValueRaw 5) then
 * WITHDRAW(newValueRaw 2) → collateral amountRaw 2.
 */
export function replayLedger(rows: Iterable<LedgerRow>): ReplayedState {
  const state: ReplayedState = {
    collateral: new Map(),
    debt: new Map(),
    cash: new Map(),
    position: new Map(),
    market: new Map(),
    insuranceFund: new Map(),
    liquidator: new Map(),
    latestPrice: new Map(),
  };
  for (const row of rows) {
    const chainId = row.chainId;
    switch (row.kind) {
      case "DEPOSIT":
      case "WITHDRAW":
      case "SEIZE":
      case "BORROW":
      case "REPAY": {
        const table = row.kind === "BORROW" || row.kind === "REPAY" ? state.debt : state.collateral;
        const account = row.account as Hex;
        const token = row.token as Hex;
        table.set(`${chainId}:${account}:${token}`, { chainId, account, token, asset: row.asset ?? null, amountRaw: row.newValueRaw as bigint });
        break;
      }
      case "POSITION":
      case "POSITION_LIQUIDATED": {
        const account = row.account as Hex;
        const marketId = row.marketId as number;
        const key = `${chainId}:${account}:${marketId}`;
        const before = state.position.get(key);
        const liquidated = row.kind === "POSITION_LIQUIDATED";
        const oldSize = liquidated ? (row.amountRaw as bigint) : (row.newValueRaw as bigint) - (row.amountRaw as bigint);
        state.position.set(key, {
          chainId,
          account,
          marketId,
          asset: row.asset ?? null,
          sizeRaw: row.newValueRaw as bigint,
          entryPriceRaw: row.entryPriceRaw as bigint,
          fundingIndexX18: liquidated ? (before?.fundingIndexX18 ?? 0n) : (row.fundingIndexX18 as bigint),
          realizedPnlRaw: (before?.realizedPnlRaw ?? 0n) + (row.realizedPnlRaw as bigint),
        });
        state.cash.set(`${chainId}:${account}`, row.cashRaw as bigint);
        moveOpenInterest(marketOf(state, chainId, marketId, row.asset ?? null), oldSize, row.newValueRaw as bigint);
        break;
      }
      case "MARKET_LISTED": {
        const market = marketOf(state, chainId, row.marketId as number, row.asset ?? null);
        Object.assign(market, { feed: row.token ?? null, asset: row.asset ?? null, mode: 0, maxLeverageX18: row.newValueRaw as bigint, fundingRateX18: 0n, cumulativeFundingX18: 0n });
        break;
      }
      case "MARKET_MODE":
        marketOf(state, chainId, row.marketId as number, row.asset ?? null).mode = Number(row.newValueRaw);
        break;
      case "MAX_LEVERAGE":
        marketOf(state, chainId, row.marketId as number, row.asset ?? null).maxLeverageX18 = row.newValueRaw as bigint;
        break;
      case "FUNDING": {
        const market = marketOf(state, chainId, row.marketId as number, row.asset ?? null);
        market.fundingRateX18 = row.amountRaw as bigint;
        market.cumulativeFundingX18 = row.newValueRaw as bigint;
        break;
      }
      case "INSURANCE_FUNDED":
        state.insuranceFund.set(`${chainId}:${row.token}`, row.newValueRaw as bigint);
        break;
      case "INSURANCE_PAID":
        state.insuranceFund.set(`${chainId}:${row.token}`, row.newValueRaw as bigint);
        state.cash.set(`${chainId}:${row.account}`, row.cashRaw as bigint);
        break;
      case "LIQUIDATOR_SET":
        state.liquidator.set(`${chainId}:${row.counterparty}`, row.newValueRaw === 1n);
        break;
      case "PRICE": {
        const answer = row.priceRaw as bigint;
        if (!row.asset || answer <= 0n) break;
        const incoming = { chainId, asset: row.asset, feed: row.token as Hex, answerRaw: answer, roundId: row.roundId as bigint, updatedAt: row.oracleUpdatedAt as bigint };
        const key = `${chainId}:${row.asset}`;
        const stored = state.latestPrice.get(key);
        if (!stored || isNewerRound(stored, incoming)) state.latestPrice.set(key, incoming);
        break;
      }
    }
  }
  return state;
}
