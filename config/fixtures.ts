/**
 * A small valid raw config (two chains, three assets) for tests: each test breaks a copy of it.
 * Addresses are arbitrary; chain ids are the devnet's style.
 */
export const ADDR = {
  vaultL1: "0x1000000000000000000000000000000000000001",
  vaultL2: "0x2000000000000000000000000000000000000002",
  usdcL1: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
  wethL1: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
  usdcL2: "0x3000000000000000000000000000000000000003",
  ethFeedL1: "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
  btcFeedL1: "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c",
  ethFeedL2: "0x4000000000000000000000000000000000000004",
} as const;

export function exampleRawConfig(): Record<string, any> {
  return {
    chains: {
      l1: {
        chainId: 1337001,
        rpc: "http://127.0.0.1:18545",
        startBlock: 0,
        pollingIntervalMs: 1000,
        liquidationLatencySeconds: 60,
        maxDataLagSeconds: 120,
        settlement: true,
        vault: ADDR.vaultL1,
        quoteToken: ADDR.usdcL1,
        tokens: {
          [ADDR.usdcL1]: { asset: "USDC", decimals: 6 },
          [ADDR.wethL1]: { asset: "ETH", decimals: 18 },
        },
        feeds: {
          [ADDR.ethFeedL1]: { asset: "ETH", decimals: 8 },
          [ADDR.btcFeedL1]: { asset: "BTC", decimals: 8 },
        },
        markets: { "1": { asset: "ETH" }, "2": { asset: "BTC" } },
      },
      l2a: {
        chainId: 1337002,
        rpc: ["http://127.0.0.1:18546", "ws://127.0.0.1:18546"],
        liquidationLatencySeconds: 1020,
        maxDataLagSeconds: 120,
        vault: ADDR.vaultL2,
        quoteToken: ADDR.usdcL2,
        tokens: { [ADDR.usdcL2]: { asset: "USDC", decimals: 6 } },
        feeds: { [ADDR.ethFeedL2]: { asset: "ETH", decimals: 8 } },
        markets: { "1": { asset: "ETH" } },
      },
    },
    assets: {
      ETH: { cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.45", maxOracleAgeSeconds: 3600, impactKappa: "0.5", depthUsd: "50000000", group: "eth" },
      BTC: { cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.40", maxOracleAgeSeconds: 3600, impactKappa: "0.5", depthUsd: "80000000", group: "btc" },
      USDC: { cfMaintenance: "0.95", cfInitial: "0.95", volFloorAnnual: "0.01", maxOracleAgeSeconds: 86400, impactKappa: "0.1", depthUsd: "500000000", group: "stable" },
    },
    markets: { ETH: { mmr: "0.03", imr: "0.05", imf: "0" }, BTC: { mmr: "0.03", imr: "0.05" } },
  };
}

/** A chain's raw `aaveV3` entry: Aave v3 Ethereum's addresses (aave-address-book), no reserves listed. */
export function exampleRawAaveMarket(): Record<string, any> {
  return {
    poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
    pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
    poolConfigurator: "0x64b761D848206f447Fe2dd461b0c635Ec39EbB27",
    oracle: "0x54586bE62E3c3580375aE3723C145253060Ca0C2",
    startBlock: 16291127,
    reserves: [],
  };
}
