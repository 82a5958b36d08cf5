/**
 * Aave v3 handlers: Ponder decodes → mappers.ts (pure) → storeOps.ts (pure) → upserts. The
 * market (its Pool) is the chain's configured `aaveV3` market: one per chain, so events of
 * factory children (aTokens, debt tokens, price sources) need no store read to find it.
 * Only the events that change stored state are registered (indexedEvents.ts; Ponder fetches only
 * those logs).
 */
import { ponder } from "ponder:registry";
import { getAddress, type Address } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import { chainFor } from "../../indexer/chains.js";
import { eventMeta } from "../../indexer/meta.js";
import { IndexerInvariantError } from "../../indexer/mappers/common.js";
import type { EventMeta } from "../../indexer/mappers/types.js";
import { AAVE_INDEXED_EVENTS } from "./indexedEvents.js";
import { mapAaveEvent, type AaveContractKind, type AaveEvent } from "./mappers.js";
import { aaveSourceReadOp, aaveStoreOps, type AaveEventAt } from "./storeOps.js";
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
