/**
 * The devnet's Aave v3 market: Aave's own bytecode (protocols/aaveV3/deploy.ts) listing the
 * devnet's USDC, WETH and WBTC, priced by the same PriceFeeds the vault uses, so every price move
 * and crash the simulator makes reaches Aave too. Risk parameters and rate curves are
 * DEFAULT_AAVE_RESERVES's.
 */
import type { Address } from "viem";
import { DEFAULT_AAVE_RESERVES, deployAaveMarket, type AaveReserveSpec } from "../protocols/aaveV3/deploy.js";
import type { ChainDeployment } from "./deploy.js";
import type { DevnetAsset } from "./defaults.js";

/** Aave reserve symbol → the devnet asset whose token and feed it uses. */
export const AAVE_DEVNET_ASSETS: Record<string, DevnetAsset> = { USDC: "USDC", WETH: "ETH", WBTC: "BTC" };

export interface DevnetAaveReserve {
  symbol: string;
  asset: DevnetAsset;
  decimals: number;
  underlying: Address;
  aToken: Address;
  variableDebtToken: Address;
  priceSource: Address;
}

/** What the config, the simulator and the proofs need of the market (numbers, no bigints). */
export interface DevnetAaveMarket {
  startBlock: number;
  poolAddressesProvider: Address;
  pool: Address;
  poolConfigurator: Address;
  oracle: Address;
  dataProvider: Address;
  reserves: DevnetAaveReserve[];
}

/** Deploy the market on one chain after its vault (same deployer; run before the simulator starts). */
export async function deployDevnetAave(chain: ChainDeployment, timeoutMs = 60_000): Promise<DevnetAaveMarket> {
  const reserves: AaveReserveSpec[] = DEFAULT_AAVE_RESERVES.map((r) => {
    const asset = AAVE_DEVNET_ASSETS[r.symbol]!;
    return { ...r, token: chain.tokens[asset].address, priceFeed: chain.feeds[asset].address, priceUsd8: undefined };
  });
  const m = await deployAaveMarket(chain.rpcUrl, { reserves, deployer: chain.deployer, timeoutMs, marketId: `xmargin devnet ${chain.name}` });
  return {
    startBlock: Number(m.startBlock),
    poolAddressesProvider: m.addressesProvider,
    pool: m.pool,
    poolConfigurator: m.poolConfigurator,
    oracle: m.oracle,
    dataProvider: m.dataProvider,
    reserves: Object.values(m.reserves).map((r) => ({
      symbol: r.symbol,
      asset: AAVE_DEVNET_ASSETS[r.symbol]!,
      decimals: r.decimals,
      underlying: r.asset,
      aToken: r.aToken,
      variableDebtToken: r.variableDebtToken,
      priceSource: r.priceFeed,
    })),
  };
}

/** The chain's `aaveV3` config entry (docs/config.md). */
export function aaveConfigEntry(m: DevnetAaveMarket): Record<string, unknown> {
  return {
    poolAddressesProvider: m.poolAddressesProvider,
    pool: m.pool,
    poolConfigurator: m.poolConfigurator,
    oracle: m.oracle,
    dataProvider: m.dataProvider,
    startBlock: m.startBlock,
    reserves: m.reserves.map((r) => ({ symbol: r.symbol, underlying: r.underlying, decimals: r.decimals, aToken: r.aToken, variableDebtToken: r.variableDebtToken, priceSource: r.priceSource })),
  };
}
