/** Rebuild a DevnetDeployment from an XMARGIN_CONFIG file the devnet wrote (docs/config.md). */
import { readFileSync } from "node:fs";
import { getAddress, type Address } from "viem";
import { ANVIL_ACCOUNTS, DEVNET_TOKENS, type DevnetAsset } from "./defaults.js";
import { AAVE_DEVNET_ASSETS, type DevnetAaveMarket, type DevnetAaveReserve } from "./aave.js";
import type { ChainDeployment, DevnetDeployment, TokenDeployment } from "./deploy.js";
import { DevnetError } from "./errors.js";

interface ConfigChain {
  chainId: number;
  rpc: string | string[];
  startBlock?: number;
  vault: string;
  quoteToken: string;
  tokens: Record<string, { asset: string; decimals: number }>;
  feeds: Record<string, { asset: string; decimals: number }>;
  markets: Record<string, { asset: string }>;
  aaveV3?: Omit<DevnetAaveMarket, "reserves"> & { reserves: Omit<DevnetAaveReserve, "asset">[] };
}

/** Parse the config's chains into deployments; every devnet asset must have a token and a feed. */
export function deploymentFromConfig(config: { chains: Record<string, ConfigChain> }): DevnetDeployment {
  const problems: string[] = [];
  const chains: ChainDeployment[] = Object.entries(config.chains ?? {}).map(([name, c]) => {
    const tokens = {} as Record<DevnetAsset, TokenDeployment>;
    const feeds = {} as Record<DevnetAsset, { address: Address; decimals: number }>;
    for (const [address, t] of Object.entries(c.tokens ?? {})) {
      const spec = DEVNET_TOKENS.find((d) => d.asset === t.asset);
      if (spec) tokens[spec.asset] = { symbol: spec.symbol, asset: spec.asset, decimals: t.decimals, address: getAddress(address) };
    }
    for (const [address, f] of Object.entries(c.feeds ?? {})) feeds[f.asset as DevnetAsset] = { address: getAddress(address), decimals: f.decimals };
    for (const spec of DEVNET_TOKENS) {
      if (!tokens[spec.asset]) problems.push(`chains.${name}.tokens has no ${spec.asset} token`);
      if (!feeds[spec.asset]) problems.push(`chains.${name}.feeds has no ${spec.asset} feed`);
    }
    const markets: Record<number, DevnetAsset> = {};
    for (const [id, m] of Object.entries(c.markets ?? {})) markets[Number(id)] = m.asset as DevnetAsset;
    return {
      name,
      chainId: c.chainId,
      rpcUrl: Array.isArray(c.rpc) ? c.rpc[0]! : c.rpc,
      startBlock: c.startBlock ?? 0,
      deployer: getAddress(ANVIL_ACCOUNTS.deployer.address),
      liquidator: getAddress(ANVIL_ACCOUNTS.liquidator.address),
      vault: getAddress(c.vault),
      quoteToken: getAddress(c.quoteToken),
      tokens,
      feeds,
      markets,
      ...(c.aaveV3 ? { aaveV3: aaveFromConfig(c.aaveV3, name, problems) } : {}),
    };
  });
  if (chains.length === 0) problems.push("config has no chains");
  if (problems.length) throw new DevnetError("INVALID_DEVNET_CONFIG", `the config is not a devnet config:\n  ${problems.join("\n  ")}`, { problems });
  return { chains };
}

export function readDeploymentFromConfigFile(path: string): DevnetDeployment {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (cause) {
    throw new DevnetError("CONFIG_NOT_FOUND", `cannot read config '${path}'; run \`npm start\` first or pass --config <path>`, { path }, { cause });
  }
  return deploymentFromConfig(JSON.parse(raw));
}

function aaveFromConfig(m: NonNullable<ConfigChain["aaveV3"]>, chain: string, problems: string[]): DevnetAaveMarket {
  const reserves: DevnetAaveReserve[] = [];
  for (const r of m.reserves ?? []) {
    const asset = AAVE_DEVNET_ASSETS[r.symbol];
    if (asset === undefined) problems.push(`chains.${chain}.aaveV3 lists ${r.symbol}, which is not a devnet Aave reserve (${Object.keys(AAVE_DEVNET_ASSETS).join(", ")})`);
    else reserves.push({ ...r, asset });
  }
  return { ...m, reserves };
}
