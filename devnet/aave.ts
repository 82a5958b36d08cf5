/**
 * The devnet's Aave v3 market: Aave's own bytecode (protocols/aaveV3/deploy.ts) listing the
 * devnet's USDC, WETH and WBTC, priced by the same PriceFeeds the vault uses (directly or under an
 * adapter), so every price move and crash the simulator makes reaches Aave too. WBTC's AaveOracle source is not the feed itself
 * but a RatioPriceAdapter over it (contracts/src/RatioPriceAdapter.sol: feed × ratio, ratio 1.0
 * at deployment, settable without an event), as real markets price wstETH or cbETH: its price
 * emits no event of its own, so the config reads it (`priceReads`, every block). Risk parameters
 * and rate curves are DEFAULT_AAVE_RESERVES's.
 */
import { encodeDeployData, encodeFunctionData, type Address } from "viem";
import { ratioPriceAdapterAbi } from "../abis/index.js";
import { ratioPriceAdapterBytecode } from "../abis/bytecode.js";
import { DEFAULT_AAVE_RESERVES, deployAaveMarket, type AaveReserveSpec } from "../protocols/aaveV3/deploy.js";
import { sendAndConfirm, type ChainDeployment } from "./deploy.js";
import type { DevnetAsset } from "./defaults.js";

/** Aave reserve symbol → the devnet asset whose token and feed it uses. */
export const AAVE_DEVNET_ASSETS: Record<string, DevnetAsset> = { USDC: "USDC", WETH: "ETH", WBTC: "BTC" };

/** Reserves whose AaveOracle source is a RatioPriceAdapter over the devnet feed (read, not followed). */
export const AAVE_DEVNET_ADAPTER_PRICED: readonly string[] = ["WBTC"];

/** The adapter's ratio at deployment: 1.0 (18 decimals), so Aave's price starts at the feed's. */
export const AAVE_DEVNET_INITIAL_RATIO = 10n ** 18n;

export interface DevnetAaveReserve {
  symbol: string;
  asset: DevnetAsset;
  decimals: number;
  underlying: Address;
  aToken: Address;
  variableDebtToken: Address;
  priceSource: Address;
  /** When the source is a RatioPriceAdapter: it, and the feed it multiplies (the vault's). */
  priceAdapter?: { address: Address; underlyingFeed: Address };
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
  const adapters = new Map<string, { address: Address; underlyingFeed: Address }>();
  for (const symbol of AAVE_DEVNET_ADAPTER_PRICED) {
    const underlyingFeed = chain.feeds[AAVE_DEVNET_ASSETS[symbol]!].address;
    const [receipt] = await sendAndConfirm(
      chain.rpcUrl,
      chain.deployer,
      [{ data: encodeDeployData({ abi: ratioPriceAdapterAbi, bytecode: ratioPriceAdapterBytecode, args: [underlyingFeed, 8, AAVE_DEVNET_INITIAL_RATIO] }), label: `deploy ${symbol} ratio price adapter` }],
      timeoutMs,
    );
    adapters.set(symbol, { address: receipt!.contractAddress!, underlyingFeed });
  }
  const reserves: AaveReserveSpec[] = DEFAULT_AAVE_RESERVES.map((r) => {
    const asset = AAVE_DEVNET_ASSETS[r.symbol]!;
    return { ...r, token: chain.tokens[asset].address, priceFeed: adapters.get(r.symbol)?.address ?? chain.feeds[asset].address, priceUsd8: undefined };
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
      ...(adapters.has(r.symbol) ? { priceAdapter: adapters.get(r.symbol)! } : {}),
    })),
  };
}

/** `setRatio` calldata for a RatioPriceAdapter (18 decimals; the owner is the chain's deployer). */
export function setRatioData(ratio: bigint): `0x${string}` {
  return encodeFunctionData({ abi: ratioPriceAdapterAbi, functionName: "setRatio", args: [ratio] });
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
    ...aavePriceReadsEntry(m),
  };
}

/** `priceReads` for the reserves priced by an adapter: read every block (exact); none → no key. */
export function aavePriceReadsEntry(m: Pick<DevnetAaveMarket, "reserves">): { priceReads?: { everyBlocks: number; assets: string[] } } {
  const assets = m.reserves.filter((r) => r.priceAdapter !== undefined).map((r) => r.symbol);
  return assets.length === 0 ? {} : { priceReads: { everyBlocks: 1, assets } };
}
