/**
 * Chainlink AnswerUpdated(current, roundId, updatedAt): every round goes to price_round; the
 * latest_price of (chain, asset) moves only for a known feed, a positive answer and a newer round.
 */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { feedRef, joinFlags, ledgerOp } from "./common.js";
import { FLAG, type EventMeta, type Hex, type LatestPriceRow, type StoreOp } from "./types.js";

export interface AnswerUpdatedArgs {
  current: bigint;
  roundId: bigint;
  updatedAt: bigint;
}

/**
 * Whether `incoming` replaces `stored` as the latest answer. Same feed: the higher round wins
 * (a newer round with an older updatedAt is still the feed's latest answer, and must read as stale).
 * Another feed of the same asset: the later updatedAt wins, ties to the higher round id.
 */
export function isNewerRound(
  stored: { feed: Hex; roundId: bigint; updatedAt: bigint },
  incoming: { feed: Hex; roundId: bigint; updatedAt: bigint },
): boolean {
  if (stored.feed.toLowerCase() === incoming.feed.toLowerCase()) return incoming.roundId > stored.roundId;
  if (incoming.updatedAt !== stored.updatedAt) return incoming.updatedAt > stored.updatedAt;
  return incoming.roundId > stored.roundId;
}

/** AnswerUpdated on `feed` → price_round (always), latest_price (known, positive, newer), ledger PRICE. */
export function mapAnswerUpdated(feed: Hex, args: AnswerUpdatedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const address = feed;
  const ref = feedRef(chain, feed);
  const nonPositive = args.current <= 0n ? FLAG.NON_POSITIVE_PRICE : null;
  const flag = joinFlags(ref.flag, nonPositive);
  const ops: StoreOp[] = [
    {
      kind: "insertIfAbsent",
      table: "priceRound",
      values: {
        chainId: meta.chainId,
        feed: address,
        roundId: args.roundId,
        asset: ref.asset,
        decimals: ref.decimals,
        answerRaw: args.current,
        updatedAt: args.updatedAt,
        blockNumber: meta.blockNumber,
        blockTimestamp: meta.timestamp,
        flag,
      },
    },
  ];
  if (ref.asset !== null && ref.decimals !== null && nonPositive === null) {
    const latest: LatestPriceRow = {
      chainId: meta.chainId,
      asset: ref.asset,
      feed: address,
      decimals: ref.decimals,
      answerRaw: args.current,
      roundId: args.roundId,
      updatedAt: args.updatedAt,
      blockNumber: meta.blockNumber,
      flag: null,
    };
    const { chainId: _c, asset: _a, ...set } = latest;
    ops.push({ kind: "upsert", table: "latestPrice", values: latest, set: (stored) => (isNewerRound(stored, latest) ? set : {}) });
  }
  ops.push(
    ledgerOp(meta, "PRICE", {
      token: address,
      asset: ref.asset,
      decimals: ref.decimals,
      newValueRaw: args.current,
      priceRaw: args.current,
      roundId: args.roundId,
      oracleUpdatedAt: args.updatedAt,
      flag,
    }),
  );
  return ops;
}
