/**
 * Market events. A market row is keyed (chainId, marketId); its asset comes from config
 * (chains.<name>.markets), never from a read. Events other than MarketListed that meet a market
 * with no row (listed before startBlock) create one flagged UNLISTED_MARKET.
 */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { FLAG, type EventMeta, type Hex, type MarketRow, type StoreOp } from "./types.js";
import { feedRef, joinFlags, ledgerOp, marketRef } from "./common.js";

const ZERO_ADDRESS: Hex = "0x0000000000000000000000000000000000000000";

export interface MarketListedArgs {
  marketId: number;
  feed: Hex;
  maxLeverage: bigint;
}
export interface MarketModeChangedArgs {
  marketId: number;
  mode: number;
}
export interface MaxLeverageChangedArgs {
  marketId: number;
  maxLeverage: bigint;
}
export interface FundingUpdatedArgs {
  marketId: number;
  fundingRate: bigint;
  cumulativeFundingIndex: bigint;
}

/** A market row for a market first met by an event other than MarketListed. */
export function placeholderMarket(meta: EventMeta, chain: ChainLookup, marketId: number): MarketRow {
  const ref = marketRef(chain, marketId);
  return {
    chainId: meta.chainId,
    marketId,
    feed: ZERO_ADDRESS,
    asset: ref.asset,
    mode: 0,
    maxLeverageX18: 0n,
    fundingRateX18: 0n,
    cumulativeFundingX18: 0n,
    openInterestLongRaw: 0n,
    openInterestShortRaw: 0n,
    flag: joinFlags(ref.flag, FLAG.UNLISTED_MARKET),
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
}

/** MarketListed → market (feed, max leverage; open interest kept), ledger MARKET_LISTED. */
export function mapMarketListed(args: MarketListedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const market = marketRef(chain, args.marketId);
  const feed = feedRef(chain, args.feed);
  const mismatch = market.asset !== null && feed.asset !== null && market.asset !== feed.asset ? FLAG.FEED_ASSET_MISMATCH : null;
  const flag = joinFlags(market.flag, feed.flag, mismatch);
  const set = {
    feed: args.feed,
    asset: market.asset,
    mode: 0,
    maxLeverageX18: args.maxLeverage,
    fundingRateX18: 0n,
    cumulativeFundingX18: 0n,
    flag,
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
  return [
    {
      kind: "upsert",
      table: "market",
      values: { chainId: meta.chainId, marketId: args.marketId, openInterestLongRaw: 0n, openInterestShortRaw: 0n, ...set },
      set,
    },
    ledgerOp(meta, "MARKET_LISTED", {
      marketId: args.marketId,
      token: args.feed,
      asset: market.asset,
      decimals: feed.decimals,
      newValueRaw: args.maxLeverage,
      flag,
    }),
  ];
}

/** MarketModeChanged → market.mode, ledger MARKET_MODE (newValueRaw = mode). */
export function mapMarketModeChanged(args: MarketModeChangedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const set = { mode: args.mode, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  const placeholder = placeholderMarket(meta, chain, args.marketId);
  return [
    { kind: "upsert", table: "market", values: { ...placeholder, ...set }, set },
    ledgerOp(meta, "MARKET_MODE", { marketId: args.marketId, asset: placeholder.asset, newValueRaw: BigInt(args.mode), flag: marketRef(chain, args.marketId).flag }),
  ];
}

/** MaxLeverageChanged → market.maxLeverageX18, ledger MAX_LEVERAGE. */
export function mapMaxLeverageChanged(args: MaxLeverageChangedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const set = { maxLeverageX18: args.maxLeverage, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  const placeholder = placeholderMarket(meta, chain, args.marketId);
  return [
    { kind: "upsert", table: "market", values: { ...placeholder, ...set }, set },
    ledgerOp(meta, "MAX_LEVERAGE", { marketId: args.marketId, asset: placeholder.asset, newValueRaw: args.maxLeverage, flag: marketRef(chain, args.marketId).flag }),
  ];
}

/** FundingUpdated → market funding rate and cumulative index, ledger FUNDING (amountRaw = rate, newValueRaw = index). */
export function mapFundingUpdated(args: FundingUpdatedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const set = {
    fundingRateX18: args.fundingRate,
    cumulativeFundingX18: args.cumulativeFundingIndex,
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
  const placeholder = placeholderMarket(meta, chain, args.marketId);
  return [
    { kind: "upsert", table: "market", values: { ...placeholder, ...set }, set },
    ledgerOp(meta, "FUNDING", {
      marketId: args.marketId,
      asset: placeholder.asset,
      amountRaw: args.fundingRate,
      newValueRaw: args.cumulativeFundingIndex,
      flag: marketRef(chain, args.marketId).flag,
    }),
  ];
}

/**
 * How open interest moves when one position goes from `oldSize` to `newSize` (signed, base ×1e18):
 * long OI = Σ max(size, 0), short OI = Σ max(−size, 0), both ≥ 0. Exact integers.
 * Example: 5 → −2 gives { long: −5, short: +2 }.
 */
export function openInterestDelta(oldSize: bigint, newSize: bigint): { long: bigint; short: bigint } {
  const pos = (x: bigint) => (x > 0n ? x : 0n);
  return { long: pos(newSize) - pos(oldSize), short: pos(-newSize) - pos(-oldSize) };
}
