/**
 * Perp position events. The event carries the new size, entry price, funding index and cash, so
 * position and cash are written from the event; open interest moves by the size change
 * (old = newSize − sizeDelta), applied to the stored market row in Ponder's cache.
 */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { liquidationId } from "./balances.js";
import { accountOp, joinFlags, ledgerOp, marketRef, quoteRef } from "./common.js";
import { openInterestDelta, placeholderMarket } from "./markets.js";
import { FLAG, type CashRow, type EventMeta, type Hex, type MarketState, type PositionState, type StoreOp } from "./types.js";

export interface PositionUpdatedArgs {
  account: Hex;
  marketId: number;
  sizeDelta: bigint;
  newSize: bigint;
  newEntryPrice: bigint;
  executionPrice: bigint;
  realizedPnl: bigint;
  fundingPaid: bigint;
  fundingIndex: bigint;
  newCash: bigint;
}

export interface PositionLiquidatedArgs {
  account: Hex;
  marketId: number;
  liquidator: Hex;
  /** the whole position, signed (+ long closed, − short closed) */
  sizeClosed: bigint;
  executionPrice: bigint;
  realizedPnl: bigint;
  fundingPaid: bigint;
  newCash: bigint;
}

function cashOp(meta: EventMeta, chain: ChainLookup, account: Hex, newCash: bigint): StoreOp {
  const quote = quoteRef(chain);
  const state = { quoteToken: quote.quoteToken, asset: quote.asset, decimals: quote.decimals, amountRaw: newCash, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  const values: CashRow = { chainId: meta.chainId, account, ...state };
  return { kind: "upsert", table: "cash", values, set: state };
}

function openInterestOp(meta: EventMeta, chain: ChainLookup, marketId: number, oldSize: bigint, newSize: bigint): StoreOp {
  const delta = openInterestDelta(oldSize, newSize);
  const updated = { updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  return {
    kind: "upsert",
    table: "market",
    values: { ...placeholderMarket(meta, chain, marketId), openInterestLongRaw: delta.long, openInterestShortRaw: delta.short },
    set: (stored: MarketState) => ({
      openInterestLongRaw: stored.openInterestLongRaw + delta.long,
      openInterestShortRaw: stored.openInterestShortRaw + delta.short,
      ...updated,
    }),
  };
}

/**
 * PositionUpdated → account, position (new size, entry, funding index; realized PnL accumulates),
 * cash = newCash, market open interest, ledger POSITION.
 */
export function mapPositionUpdated(args: PositionUpdatedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const account = args.account;
  const market = marketRef(chain, args.marketId);
  const flag = joinFlags(market.flag);
  const oldSize = args.newSize - args.sizeDelta;
  const state = {
    asset: market.asset,
    sizeRaw: args.newSize,
    entryPriceRaw: args.newEntryPrice,
    fundingIndexX18: args.fundingIndex,
    flag,
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
  return [
    accountOp(meta, account),
    {
      kind: "upsert",
      table: "position",
      values: { chainId: meta.chainId, account, marketId: args.marketId, realizedPnlRaw: args.realizedPnl, ...state },
      set: (stored: PositionState) => ({ ...state, realizedPnlRaw: stored.realizedPnlRaw + args.realizedPnl }),
    },
    cashOp(meta, chain, account, args.newCash),
    openInterestOp(meta, chain, args.marketId, oldSize, args.newSize),
    ledgerOp(meta, "POSITION", {
      account,
      marketId: args.marketId,
      asset: market.asset,
      amountRaw: args.sizeDelta,
      newValueRaw: args.newSize,
      priceRaw: args.executionPrice,
      entryPriceRaw: args.newEntryPrice,
      fundingIndexX18: args.fundingIndex,
      cashRaw: args.newCash,
      realizedPnlRaw: args.realizedPnl,
      fundingPaidRaw: args.fundingPaid,
      flag,
    }),
  ];
}

/**
 * PositionLiquidated → account, position closed (size 0, entry 0; funding index kept: it no
 * longer matters at size 0), cash = newCash, open interest, liquidation row, ledger POSITION_LIQUIDATED.
 */
export function mapPositionLiquidated(args: PositionLiquidatedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const account = args.account;
  const liquidator = args.liquidator;
  const market = marketRef(chain, args.marketId);
  const flag = joinFlags(market.flag);
  const state = { asset: market.asset, sizeRaw: 0n, entryPriceRaw: 0n, flag, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  return [
    accountOp(meta, account),
    {
      kind: "upsert",
      table: "position",
      values: {
        chainId: meta.chainId,
        account,
        marketId: args.marketId,
        fundingIndexX18: 0n,
        realizedPnlRaw: args.realizedPnl,
        ...state,
        flag: joinFlags(market.flag, FLAG.POSITION_NOT_SEEN),
      },
      set: (stored: PositionState) => ({ ...state, realizedPnlRaw: stored.realizedPnlRaw + args.realizedPnl }),
    },
    cashOp(meta, chain, account, args.newCash),
    openInterestOp(meta, chain, args.marketId, args.sizeClosed, 0n),
    {
      kind: "insert",
      table: "liquidation",
      values: {
        chainId: meta.chainId,
        id: liquidationId(meta),
        kind: "position",
        account,
        liquidator,
        token: null,
        marketId: args.marketId,
        asset: market.asset,
        amountRaw: args.sizeClosed,
        priceRaw: args.executionPrice,
        realizedPnlRaw: args.realizedPnl,
        blockNumber: meta.blockNumber,
        timestamp: meta.timestamp,
        txHash: meta.txHash,
        logIndex: meta.logIndex,
      },
    },
    ledgerOp(meta, "POSITION_LIQUIDATED", {
      account,
      counterparty: liquidator,
      marketId: args.marketId,
      asset: market.asset,
      amountRaw: args.sizeClosed,
      newValueRaw: 0n,
      priceRaw: args.executionPrice,
      entryPriceRaw: 0n,
      cashRaw: args.newCash,
      realizedPnlRaw: args.realizedPnl,
      fundingPaidRaw: args.fundingPaid,
      flag,
    }),
  ];
}
