/**
 * The benchmark's baseline: a bare Ponder app over the same chains and contracts as xmargin,
 * one insert per event and nothing else. It reads the same XMARGIN_CONFIG JSON file, without
 * validation (the benchmark writes it), so the ratio xmargin/baseline measures xmargin's own cost.
 * A chain with an `aaveV3` market gets xmargin's own Aave contract entries (aaveV3PonderContracts:
 * the same addresses, factories and start blocks) and its price-read blocks (aaveV3PonderBlocks).
 */
import { readFileSync } from "node:fs";
import { createConfig } from "ponder";
import { marginVaultAbi, priceFeedAbi } from "../../abis/index.js";
import type { XmarginConfig } from "../../config/types.js";
import { validateConfig } from "../../config/validateConfig.js";
import { aaveV3PonderBlocks, aaveV3PonderContracts } from "../../protocols/aaveV3/ponder.js";

interface RawChain {
  chainId: number;
  rpc: string | string[];
  startBlock?: number;
  pollingIntervalMs?: number;
  vault: `0x${string}`;
  feeds: Record<string, unknown>;
  /** The chain's Aave market (only the keys aaveV3PonderContracts reads). */
  aaveV3?: { pool: `0x${string}`; poolConfigurator: `0x${string}`; oracle: `0x${string}`; startBlock: number };
}
interface RawConfig {
  chains: Record<string, RawChain>;
  ordering?: "multichain" | "omnichain" | "experimental_isolated";
}

const path = process.env.XMARGIN_CONFIG;
if (!path) throw new Error("bench/baseline needs XMARGIN_CONFIG (the xmargin JSON config of the chains to index).");
const raw = JSON.parse(readFileSync(path, "utf8")) as RawConfig;
const names = Object.keys(raw.chains);
// aaveV3PonderContracts reads chain.name and chain.aaveV3 (pool, poolConfigurator, oracle, startBlock) only.
const aave = aaveV3PonderContracts({
  chains: Object.fromEntries(names.map((name) => [name, { name, aaveV3: raw.chains[name].aaveV3 }])),
} as unknown as XmarginConfig);

export default createConfig({
  ordering: raw.ordering ?? "multichain",
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.XMARGIN_PGLITE_DIR ?? ".ponder/pglite" },
  chains: Object.fromEntries(
    names.map((name) => {
      const c = raw.chains[name];
      return [name, { id: c.chainId, rpc: Array.isArray(c.rpc) ? c.rpc[0] : c.rpc, pollingInterval: c.pollingIntervalMs ?? 1000 }];
    }),
  ),
  contracts: {
    MarginVault: {
      abi: marginVaultAbi,
      chain: Object.fromEntries(names.map((name) => [name, { address: raw.chains[name].vault, startBlock: raw.chains[name].startBlock ?? 0 }])),
    },
    PriceFeed: {
      abi: priceFeedAbi,
      chain: Object.fromEntries(
        names.map((name) => [
          name,
          { address: Object.keys(raw.chains[name].feeds) as `0x${string}`[], startBlock: raw.chains[name].startBlock ?? 0 },
        ]),
      ),
    },
    ...aave,
  },
  // xmargin reads the prices of `priceReads` assets from AaveOracle at every such block (the devnet's
  // WBTC, priced by an adapter that emits no event): the baseline does the same read, one insert each.
  // The entries come from the validated config (priceReads names assets by symbol).
  blocks: aaveV3PonderBlocks(validateConfig(raw)),
});
