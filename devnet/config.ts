/** The devnet's XMARGIN_CONFIG file (format: docs/config.md), built from a deployment. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_CHAINS, DEVNET_ASSET_PARAMS, DEVNET_MARKET_PARAMS, type DevnetChainSpec } from "./defaults.js";
import { aaveConfigEntry } from "./aave.js";
import type { DevnetDeployment } from "./deploy.js";

export interface DevnetConfigOptions {
  /** Ponder's polling interval per chain, ms (default 1000). */
  pollingIntervalMs?: number;
  /** PGlite directory written into `database` (DATABASE_URL still wins at run time). */
  pgliteDir?: string;
  apiPort?: number;
  ordering?: "multichain" | "omnichain" | "experimental_isolated";
  /** Per-chain specs for latency/settlement; defaults to DEFAULT_CHAINS matched by name. */
  chainSpecs?: readonly DevnetChainSpec[];
  /** Extra RiskParams overrides. */
  risk?: Record<string, string | number>;
}

/** The config object for `deployment` (pure). Chains without a spec get 900 s latency, not settlement. */
export function buildDevnetConfig(deployment: DevnetDeployment, opts: DevnetConfigOptions = {}): Record<string, unknown> {
  const specs = opts.chainSpecs ?? DEFAULT_CHAINS;
  const hasSettlement = deployment.chains.some((c) => specs.find((s) => s.name === c.name)?.settlement);
  const chains: Record<string, unknown> = {};
  deployment.chains.forEach((c, i) => {
    const spec = specs.find((s) => s.name === c.name);
    chains[c.name] = {
      chainId: c.chainId,
      rpc: c.rpcUrl,
      startBlock: c.startBlock,
      pollingIntervalMs: opts.pollingIntervalMs ?? 1000,
      liquidationLatencySeconds: spec?.liquidationLatencySeconds ?? 900,
      maxDataLagSeconds: spec?.maxDataLagSeconds ?? 120,
      // exactly one settlement chain: the spec's, else the first chain
      settlement: hasSettlement ? (spec?.settlement ?? false) : i === 0,
      vault: c.vault,
      quoteToken: c.quoteToken,
      tokens: Object.fromEntries(Object.values(c.tokens).map((t) => [t.address, { asset: t.asset, decimals: t.decimals }])),
      feeds: Object.fromEntries(Object.entries(c.feeds).map(([asset, f]) => [f.address, { asset, decimals: f.decimals }])),
      markets: Object.fromEntries(Object.entries(c.markets).map(([id, asset]) => [id, { asset }])),
      ...(c.aaveV3 ? { aaveV3: aaveConfigEntry(c.aaveV3) } : {}),
    };
  });
  return {
    chains,
    assets: DEVNET_ASSET_PARAMS,
    markets: DEVNET_MARKET_PARAMS,
    risk: opts.risk ?? {},
    database: { kind: "pglite", directory: opts.pgliteDir ?? ".xmargin/pglite" },
    ordering: opts.ordering ?? "multichain",
    api: { port: opts.apiPort ?? 4000 },
  };
}

/** Write the config JSON to `path` (creating its directory); returns the object written. */
export function writeDevnetConfig(deployment: DevnetDeployment, path: string, opts: DevnetConfigOptions = {}): Record<string, unknown> {
  const config = buildDevnetConfig(deployment, opts);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return config;
}
