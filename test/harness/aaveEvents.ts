/**
 * The Aave logs of one chain's market, read with eth_getLogs and decoded with viem, counted the
 * way Ponder delivers them to xmargin (protocols/aaveV3/ponder.ts): the Pool, PoolConfigurator and
 * AaveOracle at their addresses; aTokens and variable debt tokens as children of the
 * configurator's ReserveInitialized; price sources as children of the oracle's
 * AssetSourceUpdated, each from its factory event's block on (Ponder matches a child's logs from
 * that block). Logs of the kinds xmargin registers (indexedEvents.ts) count as indexed, keyed
 * `Contract:Event` like Ponder's event names; the rest (Supply, Borrow, the tokens' Transfer, …)
 * are counted apart as emitted only.
 *
 * A price source is usually also a vault feed (the devnet's market prices with the vault's
 * PriceFeeds): its AnswerUpdated logs are then delivered twice, as PriceFeed:AnswerUpdated and as
 * AavePriceSource:AnswerUpdated, and counted here as the latter.
 */
import { decodeEventLog, type Abi, type Address, type Hex } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import { aaveATokenAbi, aaveOracleAbi, aavePoolAbi, aavePoolConfiguratorAbi, aaveVariableDebtTokenAbi } from "../../protocols/aaveV3/abis.js";
import { AAVE_INDEXED_EVENTS, type AavePonderContractName } from "../../protocols/aaveV3/indexedEvents.js";

/** The addresses of a market the counting starts from (the config's `aaveV3` entry fits). */
export interface AaveMarketAddresses {
  pool: Address;
  poolConfigurator: Address;
  oracle: Address;
  startBlock: number;
}

export interface AaveLogCounts {
  /** `Contract:Event` → logs Ponder delivers to xmargin's Aave handlers. */
  indexed: Record<string, number>;
  /** `Contract:Event` → logs of the same contracts that no handler registers. */
  emittedOnly: Record<string, number>;
  indexedTotal: number;
}

const ABIS: Record<AavePonderContractName, Abi> = {
  AavePool: aavePoolAbi,
  AavePoolConfigurator: aavePoolConfiguratorAbi,
  AaveOracle: aaveOracleAbi,
  AaveAToken: aaveATokenAbi,
  AaveVariableDebtToken: aaveVariableDebtTokenAbi,
  AavePriceSource: priceFeedAbi,
};

interface RawLog {
  address: string;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
}

async function getLogs(rpcUrl: string, addresses: string[], from: number, to: number): Promise<RawLog[]> {
  // Plain fetch: bulk-mode blocks hold thousands of logs, beyond viem's 10 MB body limit.
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [{ address: addresses, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }] }),
  });
  const body = (await res.json()) as { result?: RawLog[]; error?: { message: string } };
  if (!body.result) throw new Error(`eth_getLogs ${from}–${to} for ${addresses.length} Aave addresses failed: ${body.error?.message ?? `HTTP ${res.status}`}`);
  return body.result;
}

function decode(contract: AavePonderContractName, log: RawLog): { eventName: string; args: Record<string, unknown> } | null {
  try {
    return decodeEventLog({ abi: ABIS[contract], data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { eventName: string; args: Record<string, unknown> };
  } catch {
    return null;
  }
}

/** Count one market's Aave logs up to `toBlock` (see the module comment). */
export async function countAaveLogs(rpcUrl: string, market: AaveMarketAddresses, toBlock: number, step = 500): Promise<AaveLogCounts> {
  const counts: AaveLogCounts = { indexed: {}, emittedOnly: {}, indexedTotal: 0 };
  const add = (contract: AavePonderContractName, eventName: string) => {
    const key = `${contract}:${eventName}`;
    if ((AAVE_INDEXED_EVENTS[contract].events as readonly string[]).includes(eventName)) {
      counts.indexed[key] = (counts.indexed[key] ?? 0) + 1;
      counts.indexedTotal++;
    } else counts.emittedOnly[key] = (counts.emittedOnly[key] ?? 0) + 1;
  };
  // address (lowercase) → contract and the block from which its logs are delivered
  const known = new Map<string, { contract: AavePonderContractName; from: number }>([
    [market.pool.toLowerCase(), { contract: "AavePool", from: market.startBlock }],
    [market.poolConfigurator.toLowerCase(), { contract: "AavePoolConfigurator", from: market.startBlock }],
    [market.oracle.toLowerCase(), { contract: "AaveOracle", from: market.startBlock }],
  ]);
  const parents = [...known.keys()];
  const children = new Map<string, { contract: AavePonderContractName; from: number }>();
  // Pass 1: the parents' logs (they name the children).
  for (let from = market.startBlock; from <= toBlock; from += step) {
    const to = Math.min(toBlock, from + step - 1);
    for (const log of await getLogs(rpcUrl, parents, from, to)) {
      const { contract } = known.get(log.address.toLowerCase())!;
      const d = decode(contract, log);
      if (!d) {
        counts.emittedOnly[`${contract}:?`] = (counts.emittedOnly[`${contract}:?`] ?? 0) + 1;
        continue;
      }
      add(contract, d.eventName);
      const block = Number(BigInt(log.blockNumber));
      if (contract === "AavePoolConfigurator" && d.eventName === "ReserveInitialized") {
        children.set(String(d.args.aToken).toLowerCase(), { contract: "AaveAToken", from: block });
        children.set(String(d.args.variableDebtToken).toLowerCase(), { contract: "AaveVariableDebtToken", from: block });
      }
      if (contract === "AaveOracle" && d.eventName === "AssetSourceUpdated") {
        const source = String(d.args.source).toLowerCase();
        const earlier = children.get(source);
        children.set(source, { contract: "AavePriceSource", from: earlier ? Math.min(earlier.from, block) : block });
      }
    }
  }
  // Pass 2: the children's logs, each from its factory event's block on.
  const childAddresses = [...children.keys()];
  if (childAddresses.length === 0) return counts;
  const firstChild = Math.min(...[...children.values()].map((c) => c.from));
  for (let from = firstChild; from <= toBlock; from += step) {
    const to = Math.min(toBlock, from + step - 1);
    for (const log of await getLogs(rpcUrl, childAddresses, from, to)) {
      const child = children.get(log.address.toLowerCase())!;
      if (Number(BigInt(log.blockNumber)) < child.from) continue;
      const d = decode(child.contract, log);
      if (d) add(child.contract, d.eventName);
      else counts.emittedOnly[`${child.contract}:?`] = (counts.emittedOnly[`${child.contract}:?`] ?? 0) + 1;
    }
  }
  return counts;
}
