/**
 * The validated xmargin configuration (docs/config.md is the file format). Everything here has
 * passed `validateConfig`: addresses are lowercase 0x + 40 hex, decimal numbers are strings
 * (exact), defaults are filled in, every asset reference resolves.
 */
import type { AaveMarketConfig } from "../protocols/aaveV3/config.js";
import type { AssetRiskConfig, RiskParams } from "../risk/types.js";

export type Hex = `0x${string}`;

export type Ordering = "multichain" | "omnichain" | "experimental_isolated";

export interface TokenConfig {
  asset: string;
  /** the token's ERC-20 decimals, 0..36 */
  decimals: number;
}

export interface FeedConfig {
  asset: string;
  /** the feed's answer decimals, 0..36 (8 for Chainlink USD feeds) */
  decimals: number;
}

export interface ChainMarketConfig {
  asset: string;
}

export interface ChainConfig {
  /** the key under `chains`, e.g. "l1"; also the Ponder chain name */
  name: string;
  chainId: number;
  /** one or more http(s)/ws(s) URLs, after the XMARGIN_RPC_<NAME> override */
  rpc: string[];
  /** default 0 */
  startBlock: number;
  /** default 1000 */
  pollingIntervalMs: number;
  liquidationLatencySeconds: number;
  maxDataLagSeconds: number;
  /** default false; exactly one chain is the settlement chain */
  settlement: boolean;
  vault: Hex;
  quoteToken: Hex;
  /** keyed by lowercase token address */
  tokens: Record<Hex, TokenConfig>;
  /** keyed by lowercase feed address */
  feeds: Record<Hex, FeedConfig>;
  /** keyed by the vault's marketId (decimal string of a uint32) */
  markets: Record<string, ChainMarketConfig>;
  /** The chain's Aave v3 market, when it names one (protocols/aaveV3/config.ts; addresses checksummed). */
  aaveV3?: AaveMarketConfig;
}

/** Per-asset risk parameters (the symbol is the key). */
export type AssetConfig = Omit<AssetRiskConfig, "symbol">;

export interface MarketParamsConfig {
  mmr: string;
  imr: string;
  /** default "0" */
  imf: string;
}

export type DatabaseConfig =
  | { kind: "pglite"; directory: string }
  | { kind: "postgres"; connectionString: string };

export interface XmarginConfig {
  chains: Record<string, ChainConfig>;
  assets: Record<string, AssetConfig>;
  /** per asset, applied to every chain's market of that asset */
  markets: Record<string, MarketParamsConfig>;
  risk: RiskParams;
  /** default { kind: "pglite", directory: ".xmargin/pglite" } */
  database: DatabaseConfig;
  /** default "multichain" */
  ordering: Ordering;
  /** default { port: 4000 } */
  api: { port: number };
}
