/**
 * Per-chain lookups the indexer needs on every event: token / feed / market → canonical asset.
 * Built once from the validated config; keys are lowercase addresses and uint32 market ids.
 */
import type { AaveMarketConfig } from "../protocols/aaveV3/config.js";
import type { ChainConfig, FeedConfig, Hex, TokenConfig, XmarginConfig } from "./types.js";

export interface ChainLookup {
  chainId: number;
  name: string;
  quoteToken: Hex;
  tokens: ReadonlyMap<Hex, TokenConfig>;
  feeds: ReadonlyMap<Hex, FeedConfig>;
  markets: ReadonlyMap<number, { asset: string }>;
  /** The chain's Aave v3 market, when the config names one. */
  aaveV3?: AaveMarketConfig;
}

/** One chain's lookup. Example: `chainLookup(config.chains.l1).tokens.get("0xa0b8…")` → `{ asset: "USDC", decimals: 6 }`. */
export function chainLookup(chain: ChainConfig): ChainLookup {
  return {
    chainId: chain.chainId,
    name: chain.name,
    quoteToken: chain.quoteToken,
    tokens: new Map(Object.entries(chain.tokens) as [Hex, TokenConfig][]),
    feeds: new Map(Object.entries(chain.feeds) as [Hex, FeedConfig][]),
    markets: new Map(Object.entries(chain.markets).map(([id, market]) => [Number(id), market])),
    ...(chain.aaveV3 !== undefined ? { aaveV3: chain.aaveV3 } : {}),
  };
}

/** Every chain's lookup keyed by chainId. */
export function chainLookups(config: XmarginConfig): ReadonlyMap<number, ChainLookup> {
  return new Map(Object.values(config.chains).map((chain) => [chain.chainId, chainLookup(chain)]));
}
