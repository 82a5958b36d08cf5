import type { ChainRiskConfig, MarketRiskConfig, RiskConfig } from "../risk/types.js";
import type { XmarginConfig } from "./types.js";

/**
 * The risk core's view of a validated config: params as configured (defaults filled), assets
 * with their symbol, one market per (chain, marketId) keyed `${chainId}:${marketId}` with its
 * asset's mmr/imr/imf, chains keyed by chainId. No arithmetic, so no rounding.
 * Example: chain l1 (1337001) market "1" → ETH gives `markets["1337001:1"] = { asset: "ETH", mmr: "0.03", … }`.
 */
export function toRiskConfig(config: XmarginConfig): RiskConfig {
  const assets: RiskConfig["assets"] = {};
  for (const [symbol, asset] of Object.entries(config.assets)) assets[symbol] = { symbol, ...asset };

  const markets: Record<string, MarketRiskConfig> = {};
  const chains: Record<number, ChainRiskConfig> = {};
  for (const chain of Object.values(config.chains)) {
    chains[chain.chainId] = {
      chainId: chain.chainId,
      name: chain.name,
      liquidationLatencySeconds: chain.liquidationLatencySeconds,
      maxDataLagSeconds: chain.maxDataLagSeconds,
    };
    for (const [marketId, market] of Object.entries(chain.markets)) {
      const params = config.markets[market.asset];
      const key = `${chain.chainId}:${marketId}`;
      markets[key] = {
        key,
        chainId: chain.chainId,
        marketId: Number(marketId),
        asset: market.asset,
        mmr: params.mmr,
        imr: params.imr,
        imf: params.imf,
      };
    }
  }
  return {
    params: { ...config.risk, thresholds: { ...config.risk.thresholds } },
    assets,
    markets,
    chains,
  };
}
