/**
 * The default local devnet: one settlement chain and two rollups, with liquidation latencies taken
 * from Chainlink CCIP's published execution-latency priors (Arbitrum ~17 min, Base ~18 min).
 */
export interface DevnetChainSpec {
  name: string;
  chainId: number;
  /** Seconds between blocks; null = automine (a block per transaction, for tests). */
  blockTimeSeconds: number | null;
  /** Port `npm start` uses; tests pick free random ports instead. */
  defaultPort: number;
  liquidationLatencySeconds: number;
  maxDataLagSeconds: number;
  settlement: boolean;
}

export const DEFAULT_CHAINS: readonly DevnetChainSpec[] = [
  { name: "l1", chainId: 1337001, blockTimeSeconds: 2, defaultPort: 18545, liquidationLatencySeconds: 60, maxDataLagSeconds: 120, settlement: true },
  { name: "l2a", chainId: 1337002, blockTimeSeconds: 1, defaultPort: 18546, liquidationLatencySeconds: 1020, maxDataLagSeconds: 120, settlement: false },
  { name: "l2b", chainId: 1337003, blockTimeSeconds: 1, defaultPort: 18547, liquidationLatencySeconds: 1080, maxDataLagSeconds: 120, settlement: false },
];

/** Anvil's default mnemonic ("test test … junk"), accounts 0 and 1: unlocked on every anvil. */
export const ANVIL_ACCOUNTS = {
  deployer: {
    address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  },
  liquidator: {
    address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  },
} as const;

/** Tokens on every chain: symbol, decimals, the canonical asset it represents. */
export const DEVNET_TOKENS = [
  { symbol: "USDC", decimals: 6, asset: "USDC" },
  { symbol: "WBTC", decimals: 8, asset: "BTC" },
  { symbol: "WETH", decimals: 18, asset: "ETH" },
  { symbol: "ARB", decimals: 18, asset: "ARB" },
] as const;

export type DevnetAsset = (typeof DEVNET_TOKENS)[number]["asset"];
export const DEVNET_ASSETS: readonly DevnetAsset[] = DEVNET_TOKENS.map((t) => t.asset);

/** Initial feed answers, USD with 8 decimals. */
export const INITIAL_PRICES_USD8: Record<DevnetAsset, bigint> = {
  USDC: 100_000_000n,
  BTC: 6_000_000_000_000n,
  ETH: 300_000_000_000n,
  ARB: 100_000_000n,
};

/** Perp markets listed on every vault: id → asset, max leverage (×1e18). */
export const DEVNET_MARKETS = [
  { marketId: 1, asset: "ETH", maxLeverage: 20n * 10n ** 18n },
  { marketId: 2, asset: "BTC", maxLeverage: 20n * 10n ** 18n },
  { marketId: 3, asset: "ARB", maxLeverage: 10n * 10n ** 18n },
] as const satisfies readonly { marketId: number; asset: DevnetAsset; maxLeverage: bigint }[];

/** Risk parameters the devnet config carries (docs/config.md): sensible starting values. */
export const DEVNET_ASSET_PARAMS: Record<DevnetAsset, {
  cfMaintenance: string;
  cfInitial: string;
  volFloorAnnual: string;
  maxOracleAgeSeconds: number;
  impactKappa: string;
  depthUsd: string;
  group: string;
}> = {
  USDC: { cfMaintenance: "0.95", cfInitial: "0.90", volFloorAnnual: "0.02", maxOracleAgeSeconds: 86400, impactKappa: "0.1", depthUsd: "1000000000", group: "stable" },
  BTC: { cfMaintenance: "0.85", cfInitial: "0.78", volFloorAnnual: "0.40", maxOracleAgeSeconds: 3600, impactKappa: "0.5", depthUsd: "100000000", group: "btc" },
  ETH: { cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.45", maxOracleAgeSeconds: 3600, impactKappa: "0.5", depthUsd: "50000000", group: "eth" },
  ARB: { cfMaintenance: "0.70", cfInitial: "0.60", volFloorAnnual: "0.90", maxOracleAgeSeconds: 3600, impactKappa: "0.8", depthUsd: "5000000", group: "alt" },
};

export const DEVNET_MARKET_PARAMS: Record<string, { mmr: string; imr: string; imf: string }> = {
  ETH: { mmr: "0.03", imr: "0.05", imf: "0" },
  BTC: { mmr: "0.03", imr: "0.05", imf: "0" },
  ARB: { mmr: "0.05", imr: "0.10", imf: "0" },
};

/** Lending liquidity minted into each vault, whole tokens. */
export const VAULT_LIQUIDITY: Record<DevnetAsset, bigint> = { USDC: 100_000_000n, BTC: 1_000n, ETH: 30_000n, ARB: 100_000_000n };
/** Insurance fund seeded on each chain, whole USDC. */
export const INSURANCE_FUND_USDC = 5_000_000n;
