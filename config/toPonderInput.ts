/**
 * The parts of Ponder's `createConfig` that come from the xmargin config (ponder.config.ts adds
 * the ABIs). Pure, so it is unit-tested without Ponder.
 */
import type { Hex, Ordering, XmarginConfig } from "./types.js";

export interface PonderChainInput {
  id: number;
  /** one URL as a string, several as a list (Ponder load-balances) */
  rpc: string | string[];
  pollingInterval: number;
}

export interface PonderInput {
  ordering: Ordering;
  database: { kind: "pglite"; directory: string } | { kind: "postgres"; connectionString: string };
  chains: Record<string, PonderChainInput>;
  /** MarginVault per chain */
  vaults: Record<string, { address: Hex; startBlock: number }>;
  /** PriceFeed per chain: the configured feeds; chains without feeds are left out */
  feeds: Record<string, { address: Hex[]; startBlock: number }>;
}

/**
 * Maps the validated config to Ponder's shapes: chain name → { id, rpc, pollingInterval },
 * vault and feed addresses with each chain's startBlock, database and ordering as configured.
 * Example: chains.l1 { chainId: 1337001, rpc: ["http://127.0.0.1:18545"] } →
 * `chains.l1 = { id: 1337001, rpc: "http://127.0.0.1:18545", pollingInterval: 1000 }`.
 */
export function toPonderInput(config: XmarginConfig): PonderInput {
  const chains: PonderInput["chains"] = {};
  const vaults: PonderInput["vaults"] = {};
  const feeds: PonderInput["feeds"] = {};
  for (const chain of Object.values(config.chains)) {
    chains[chain.name] = {
      id: chain.chainId,
      rpc: chain.rpc.length === 1 ? chain.rpc[0] : [...chain.rpc],
      pollingInterval: chain.pollingIntervalMs,
    };
    vaults[chain.name] = { address: chain.vault, startBlock: chain.startBlock };
    const feedAddresses = Object.keys(chain.feeds) as Hex[];
    if (feedAddresses.length > 0) feeds[chain.name] = { address: feedAddresses, startBlock: chain.startBlock };
  }
  return { ordering: config.ordering, database: { ...config.database }, chains, vaults, feeds };
}
