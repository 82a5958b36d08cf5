/**
 * Ponder contract entries of the Aave v3 adapter, for every chain whose config names an `aaveV3`
 * market: the Pool proxy, the PoolConfigurator and AaveOracle at their configured addresses from
 * the market's start block; the aTokens and variable debt tokens as factory children of the
 * configurator's ReserveInitialized (Ponder also delivers a child's logs from the factory event's
 * own block, so the tokens' Initialized, emitted just before, arrives); the price sources as
 * children of AaveOracle's AssetSourceUpdated. Chains without a market get no entry (an empty
 * `chain` map is valid Ponder config).
 */
import { factory } from "ponder";
import { getAbiItem, type Address } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import type { XmarginConfig } from "../../config/types.js";
import { aaveATokenAbi, aaveOracleAbi, aavePoolAbi, aavePoolConfiguratorAbi, aaveVariableDebtTokenAbi } from "./abis.js";

type At = { address: Address; startBlock: number };

const reserveInitialized = getAbiItem({ abi: aavePoolConfiguratorAbi, name: "ReserveInitialized" });
const assetSourceUpdated = getAbiItem({ abi: aaveOracleAbi, name: "AssetSourceUpdated" });

/** The six Ponder contract entries, keyed by chain name. */
export function aaveV3PonderContracts(config: XmarginConfig) {
  const pool: Record<string, At> = {};
  const configurator: Record<string, At> = {};
  const oracle: Record<string, At> = {};
  const aToken: Record<string, { address: ReturnType<typeof childOf>; startBlock: number }> = {};
  const debtToken: Record<string, { address: ReturnType<typeof childOf>; startBlock: number }> = {};
  const sources: Record<string, { address: ReturnType<typeof sourceOf>; startBlock: number }> = {};
  for (const chain of Object.values(config.chains)) {
    const m = chain.aaveV3;
    if (m === undefined) continue;
    const startBlock = m.startBlock;
    pool[chain.name] = { address: m.pool, startBlock };
    configurator[chain.name] = { address: m.poolConfigurator, startBlock };
    oracle[chain.name] = { address: m.oracle, startBlock };
    aToken[chain.name] = { address: childOf(m.poolConfigurator, "aToken"), startBlock };
    debtToken[chain.name] = { address: childOf(m.poolConfigurator, "variableDebtToken"), startBlock };
    sources[chain.name] = { address: sourceOf(m.oracle), startBlock };
  }
  return {
    AavePool: { abi: aavePoolAbi, chain: pool },
    AavePoolConfigurator: { abi: aavePoolConfiguratorAbi, chain: configurator },
    AaveOracle: { abi: aaveOracleAbi, chain: oracle },
    AaveAToken: { abi: aaveATokenAbi, chain: aToken },
    AaveVariableDebtToken: { abi: aaveVariableDebtTokenAbi, chain: debtToken },
    AavePriceSource: { abi: priceFeedAbi, chain: sources },
  };
}

function childOf(configurator: Address, parameter: "aToken" | "variableDebtToken") {
  return factory({ address: configurator, event: reserveInitialized, parameter });
}

function sourceOf(oracle: Address) {
  return factory({ address: oracle, event: assetSourceUpdated, parameter: "source" });
}

/** The block-interval source's name: its handler is `AavePriceReads:block` (handlers.ts). */
export const AAVE_PRICE_READS = "AavePriceReads";

/**
 * Ponder `blocks` entry: per chain whose market configures `priceReads`, every `everyBlocks`
 * blocks from the market's start block. Chains without it get no entry (nothing is read); the
 * entry itself always exists so that its handler registers. `readAssets` is not read by Ponder:
 * it is there because Ponder's build id hashes `blocks`, so changing which assets are read
 * rebuilds the store instead of resuming on rows read for another list.
 */
export function aaveV3PonderBlocks(config: XmarginConfig) {
  const chain: Record<string, { startBlock: number; interval: number; readAssets: readonly Address[] }> = {};
  for (const c of Object.values(config.chains)) {
    const reads = c.aaveV3?.priceReads;
    if (reads === undefined) continue;
    chain[c.name] = { startBlock: c.aaveV3!.startBlock, interval: reads.everyBlocks, readAssets: reads.assets };
  }
  return { [AAVE_PRICE_READS]: { chain } } as { AavePriceReads: { chain: typeof chain } };
}
