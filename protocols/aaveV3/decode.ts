/**
 * Raw logs → AaveEvent, for readers that fetch logs themselves (eth_getLogs replays, the proofs);
 * Ponder decodes per contract entry and does not need this. Pure: which contract an address is
 * comes from the caller, who learns the token addresses from ReserveInitialized.
 */
import { decodeEventLog, getAddress, type Address, type Hex } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import { aaveATokenAbi, aaveOracleAbi, aavePoolAbi, aavePoolConfiguratorAbi, aaveVariableDebtTokenAbi } from "./abis.js";
import type { AaveContractKind, AaveEvent } from "./mappers.js";

export interface AaveMarketContracts {
  pool: Address;
  poolConfigurator: Address;
  oracle: Address;
  aTokens: ReadonlySet<Address>;
  variableDebtTokens: ReadonlySet<Address>;
  priceFeeds: ReadonlySet<Address>;
}

export interface RawLog {
  address: Address;
  topics: readonly Hex[];
  data: Hex;
}

const ABIS = {
  pool: aavePoolAbi,
  poolConfigurator: aavePoolConfiguratorAbi,
  oracle: aaveOracleAbi,
  aToken: aaveATokenAbi,
  variableDebtToken: aaveVariableDebtTokenAbi,
  priceFeed: priceFeedAbi,
} as const;

/** Which of the market's contracts emitted a log at `address`, if any. */
export function contractKindOf(contracts: AaveMarketContracts, address: Address): AaveContractKind | null {
  const a = getAddress(address);
  if (a === contracts.pool) return "pool";
  if (a === contracts.poolConfigurator) return "poolConfigurator";
  if (a === contracts.oracle) return "oracle";
  if (contracts.aTokens.has(a)) return "aToken";
  if (contracts.variableDebtTokens.has(a)) return "variableDebtToken";
  if (contracts.priceFeeds.has(a)) return "priceFeed";
  return null;
}

/**
 * Decode a log of one of the market's contracts; null for logs of other contracts and for events
 * the contract's ABI does not declare (proxy upgrade events, for instance).
 */
export function decodeAaveLog(contracts: AaveMarketContracts, log: RawLog, blockTimestamp: bigint): AaveEvent | null {
  const contract = contractKindOf(contracts, log.address);
  if (contract === null || log.topics.length === 0) return null;
  let decoded: { eventName: string; args: unknown };
  try {
    decoded = decodeEventLog({ abi: ABIS[contract], topics: log.topics as [Hex, ...Hex[]], data: log.data }) as never;
  } catch {
    return null;
  }
  return { contract, address: getAddress(log.address), blockTimestamp, ...decoded } as AaveEvent;
}
