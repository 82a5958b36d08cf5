/**
 * Aave v3 handlers: Ponder decodes → mappers.ts (pure) → storeOps.ts (pure) → upserts. The
 * market (its Pool) is the chain's configured `aaveV3` market: one per chain, so events of
 * factory children (aTokens, debt tokens, price sources) need no store read to find it.
 * Only the events that change stored state are registered (indexedEvents.ts; Ponder fetches only
 * those logs).
 */
import { ponder } from "ponder:registry";
import * as schema from "ponder:schema";
import { getAddress, type Address } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import { chainFor } from "../../indexer/chains.js";
import { eventMeta } from "../../indexer/meta.js";
import { IndexerInvariantError } from "../../indexer/errors.js";
import type { EventMeta } from "../../indexer/types.js";
import { AAVE_INDEXED_EVENTS } from "./indexedEvents.js";
import { mapAaveEvent, type AaveContractKind, type AaveEvent } from "./mappers.js";
import { aaveOracleAbi } from "./abis.js";
import { isNoPriceAtBlock } from "./priceReads.js";
import { aaveAssetPriceReadOps, aaveSourceReadOp, aaveStoreOps, type AaveEventAt } from "./storeOps.js";
import { applyAaveOps, type Db } from "./write.js";

type PonderEvent = Parameters<typeof eventMeta>[0] & { args: unknown; log: { address: Address; logIndex: number } };
type PonderContext = { chain: { id: number }; db: Db; client: { readContract: (args: never) => Promise<unknown> } };

function poolOf(meta: EventMeta): Address {
  const market = chainFor(meta).aaveV3;
  if (market === undefined) throw new IndexerInvariantError("Aave event on a chain whose config names no aaveV3 market", meta);
  return market.pool;
}

/** Decode step done by Ponder; this maps and writes. `eventName` is the part after the colon. */
async function handle(contract: AaveContractKind, eventName: string, event: PonderEvent, context: PonderContext): Promise<void> {
  const meta = eventMeta(event, context.chain.id);
  const decoded = { contract, eventName, args: event.args, address: getAddress(event.log.address), blockTimestamp: event.block.timestamp } as AaveEvent;
  const at: AaveEventAt = { chainId: meta.chainId, pool: poolOf(meta), blockNumber: meta.blockNumber, logIndex: meta.logIndex, timestamp: meta.timestamp, txHash: meta.txHash };
  const ops = mapAaveEvent(decoded).flatMap((change) => aaveStoreOps(change, at));
  await applyAaveOps(context.db, ops, meta);
}

function on(contractName: string, contract: AaveContractKind, eventNames: readonly string[]): void {
  for (const eventName of eventNames) {
    // Ponder's typed `on` is keyed by literal event names; the dispatch here is by the same names.
    (ponder.on as unknown as (name: string, fn: (a: { event: PonderEvent; context: PonderContext }) => Promise<void>) => void)(`${contractName}:${eventName}`, ({ event, context }) =>
      handle(contract, eventName, event, context),
    );
  }
}

// A `priceReads` asset's price comes from the block reads below (ledger.ts prefers it); its
// source's AnswerUpdated is still stored, as other assets may share the source.
for (const [contractName, { kind, events }] of Object.entries(AAVE_INDEXED_EVENTS)) {
  if (contractName !== "AaveOracle") on(contractName, kind, events);
}

/**
 * AssetSourceUpdated names a source whose earlier AnswerUpdated events Ponder does not deliver
 * (a factory child's logs start at the factory event's block): read its answer at this block,
 * as AaveOracle.getAssetPrice would (latestAnswer()), then follow its AnswerUpdated events.
 */
ponder.on("AaveOracle:AssetSourceUpdated", async ({ event, context }) => {
  const meta = eventMeta(event, context.chain.id);
  const pool = poolOf(meta);
  const decoded: AaveEvent = { contract: "oracle", eventName: "AssetSourceUpdated", args: event.args, address: getAddress(event.log.address), blockTimestamp: event.block.timestamp } as AaveEvent;
  const at: AaveEventAt = { chainId: meta.chainId, pool, blockNumber: meta.blockNumber, logIndex: meta.logIndex, timestamp: meta.timestamp, txHash: meta.txHash };
  const answer = await context.client.readContract({ abi: priceFeedAbi, address: event.args.source, functionName: "latestAnswer" });
  const ops = [
    ...mapAaveEvent(decoded).flatMap((change) => aaveStoreOps(change, at)),
    aaveSourceReadOp(at, event.args.source, answer),
  ];
  await applyAaveOps(context.db, ops, meta);
});

/**
 * `priceReads` (config.ts): at every configured block, AaveOracle.getAssetPrice(asset) for each
 * configured asset, read at this block (Ponder caches eth_call by block, so a replay reads the
 * same answers), written with the block number when it differs from the stored price. Ponder
 * orders block events after every log of their block, and the read sees the state at the end of
 * the block, so the stored price is the block's final one. Reads start at the block AaveOracle
 * names a source for the asset; a read that reverts (a source answering ≤ 0 and no fallback
 * oracle) means the oracle has no price at this block: nothing is written.
 */
ponder.on("AavePriceReads:block", async ({ event, context }) => {
  const chainId = context.chain.id;
  const blockNumber = event.block.number;
  const meta: EventMeta = { chainId, blockNumber, blockHash: event.block.hash, timestamp: event.block.timestamp, txHash: "0x", logIndex: -1 };
  const market = chainFor(meta).aaveV3;
  if (market?.priceReads === undefined) throw new IndexerInvariantError("Aave price-read block on a chain whose aaveV3 market configures no priceReads", meta);
  const where = { chainId, pool: market.pool, blockNumber };
  for (const asset of market.priceReads.assets) {
    const key = { chainId, pool: market.pool.toLowerCase() as Address, asset: asset.toLowerCase() as Address };
    // Until AaveOracle names a source for the asset (AssetSourceUpdated, earlier in this block or
    // before), the oracle may not even exist yet: nothing to read.
    if ((await context.db.find(schema.aaveAssetSource, key)) === null) continue;
    let price: bigint;
    try {
      // retryEmptyResponse: false, or Ponder retries an empty answer for ~2 minutes
      price = await context.client.readContract({ abi: aaveOracleAbi, address: market.oracle, functionName: "getAssetPrice", args: [asset], blockNumber, retryEmptyResponse: false });
    } catch (error) {
      if (isNoPriceAtBlock(error)) continue;
      throw error;
    }
    const stored = await context.db.find(schema.aaveAssetPrice, key);
    await applyAaveOps(context.db, aaveAssetPriceReadOps(where, asset, price, stored?.price), meta);
  }
});
