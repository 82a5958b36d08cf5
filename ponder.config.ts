/**
 * Ponder's config, built only from the validated xmargin config (XMARGIN_CONFIG, see
 * docs/config.md): every key is checked and every RPC answers eth_chainId with the configured
 * chain id before Ponder starts, so a typo never becomes a silent public-RPC fallback or an
 * indexer stuck on the wrong chain. XMARGIN_SKIP_PREFLIGHT=true skips the RPC check (codegen
 * and typecheck without running chains).
 */
import { readFileSync } from "node:fs";
import { createConfig } from "ponder";
import { checkRpcs, loadConfig } from "./config/index.js";
import { toPonderInput } from "./config/toPonderInput.js";
import { ponderBlocks, ponderContracts } from "./protocols/registry.js";

const xmargin = loadConfig({ env: process.env, readFile: (path) => readFileSync(path, "utf8") });
if (process.env.XMARGIN_SKIP_PREFLIGHT !== "true") await checkRpcs(xmargin);
const input = toPonderInput(xmargin);

export default createConfig({
  ordering: input.ordering,
  database: input.database,
  chains: input.chains,
  // One entry per protocol adapter (protocols/registry.ts).
  contracts: ponderContracts(xmargin),
  // Block-interval sources (state no event reports, read at blocks), also per adapter.
  blocks: ponderBlocks(xmargin),
});
