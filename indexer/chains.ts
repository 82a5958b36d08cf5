/**
 * The validated config, loaded once per indexing process (ponder.config.ts has already
 * validated and preflighted the same file), and the per-chain lookups the mappers use.
 */
import { readFileSync } from "node:fs";
import { chainLookups, loadConfig, type ChainLookup } from "../config/index.js";
import { IndexerInvariantError } from "./errors.js";
import type { EventMeta } from "./types.js";

const lookups = chainLookups(loadConfig({ env: process.env, readFile: (path) => readFileSync(path, "utf8") }));

/** The chain's lookup; an event from a chain the config does not name is a broken invariant. */
export function chainFor(meta: EventMeta): ChainLookup {
  const chain = lookups.get(meta.chainId);
  if (chain === undefined) {
    throw new IndexerInvariantError(`Event from chain ${meta.chainId}, which XMARGIN_CONFIG does not configure (configured: ${[...lookups.keys()].join(", ")})`, meta);
  }
  return chain;
}
