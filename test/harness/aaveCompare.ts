/**
 * The Aave store against the chain: for every given user of a chain's market, the account data
 * rebuilt from the store rows (protocols/aaveV3/storeReader.ts → ledger.ts) and every scaled
 * balance, and every reserve's indexes, against the contracts' own views at one block.
 * Returns the differences (empty = equal) and how many accounts were compared.
 */
import { createPublicClient, http, type Address } from "viem";
import type { ChainDeployment } from "../../devnet/deploy.js";
import { aaveATokenAbi, aavePoolAbi, aaveVariableDebtTokenAbi } from "../../protocols/aaveV3/abis.js";
import { accountData, scaledBalanceOf } from "../../protocols/aaveV3/ledger.js";
import type { AaveStoreMarket } from "../../protocols/aaveV3/storeReader.js";
import { accountDataPair } from "../../protocols/aaveV3/testing.js";

export async function compareAaveMarket(chain: ChainDeployment, market: AaveStoreMarket | undefined, users: readonly Address[], blockNumber?: bigint): Promise<{ differences: unknown[]; compared: number }> {
  const differences: unknown[] = [];
  if (!market) return { differences: [{ chain: chain.name, problem: "no market in the store" }], compared: 0 };
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const block = await client.getBlock(blockNumber === undefined ? { blockTag: "latest" } : { blockNumber });
  const at = { blockNumber: block.number } as const;
  for (const r of chain.aaveV3!.reserves) {
    const data = await client.readContract({ ...at, address: chain.aaveV3!.pool, abi: aavePoolAbi, functionName: "getReserveData", args: [r.underlying] });
    const idx = market.state.reserves.get(r.underlying)?.indexes ?? null;
    const mine = idx && [idx.liquidityIndexRay, idx.variableBorrowIndexRay, idx.liquidityRateRay, idx.variableBorrowRateRay, idx.lastUpdateTimestamp];
    const theirs = [data.liquidityIndex, data.variableBorrowIndex, data.currentLiquidityRate, data.currentVariableBorrowRate, BigInt(data.lastUpdateTimestamp)];
    if (JSON.stringify(mine, big) !== JSON.stringify(theirs, big)) differences.push({ chain: chain.name, reserve: r.symbol, stored: mine, chainValue: theirs });
    for (const u of users) {
      const [a, d] = await Promise.all([
        client.readContract({ ...at, address: r.aToken, abi: aaveATokenAbi, functionName: "scaledBalanceOf", args: [u] }),
        client.readContract({ ...at, address: r.variableDebtToken, abi: aaveVariableDebtTokenAbi, functionName: "scaledBalanceOf", args: [u] }),
      ]);
      const sa = scaledBalanceOf(market.state, r.aToken, u);
      const sd = scaledBalanceOf(market.state, r.variableDebtToken, u);
      if (sa !== a || sd !== d) differences.push({ chain: chain.name, reserve: r.symbol, user: u, stored: [sa, sd], chainValue: [a, d] });
    }
  }
  let compared = 0;
  for (const u of users) {
    const onChain = await client.readContract({ ...at, address: chain.aaveV3!.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [u] });
    const { mine, theirs } = accountDataPair({ chain: chain.name, user: u }, accountData(market.state, u, block.timestamp), onChain);
    if (JSON.stringify(mine, big) !== JSON.stringify(theirs, big)) differences.push({ mine, theirs });
    compared++;
  }
  return { differences: JSON.parse(JSON.stringify(differences, big)) as unknown[], compared };
}

function big(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
