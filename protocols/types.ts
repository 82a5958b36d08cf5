/**
 * The protocol adapter interface: what `ponder.config.ts` and the docs need from a protocol
 * folder. A protocol is one folder under `protocols/` holding its ABIs, config schema, Ponder
 * contract entries, pure mappers, store tables, handlers and store reader; `registry.ts` lists
 * the adapters, one line each.
 *
 * Ponder fixes two things this interface cannot hide: handlers register by importing a module
 * that calls `ponder.on` (so each adapter's handler module is one line in
 * `protocols/handlers.ts`, loaded from src/ through indexer/index.ts), and tables must be exported
 * from the root `ponder.schema.ts` (one `export *` line per adapter's schema).
 */
import type { Address } from "viem";
import type { XmarginConfig } from "../config/types.js";
import type { AaveStressMarket, DomainEvaluation, MarginDomainRef } from "../risk/domains/index.js";
import type { PreparedEnvironment } from "../risk/environment.js";
import type { RiskConfig } from "../risk/types.js";

export interface ProtocolAdapter<Contracts extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable id, also the config key on a chain where it applies ("aaveV3"). */
  id: string;
  /** One line for people: what the adapter indexes. */
  description: string;
  /** Ponder `contracts` entries for every chain of the validated config that deploys the protocol. */
  ponderContracts(config: XmarginConfig): Contracts;
  /** Ponder `blocks` (block-interval) entries, for state no event reports (read at blocks); names unique across adapters. */
  ponderBlocks?(config: XmarginConfig): Record<string, unknown>;
  /** The adapter's margin domains for the risk book; null when the config deploys none. */
  domainSource?(context: DomainSourceContext): DomainSource | null;
}

/**
 * A protocol's margin domains as the risk book reads them (optional: the vault's domain is the
 * book itself). The book's domain view (api/domains/) asks each source to `read()` the store when
 * a chain it follows committed a new checkpoint, then `evaluate()`s it against the book's prepared
 * environment of the tick. Sources hold their last read; everything they compute is pure.
 */
export interface DomainSource {
  /** the adapter's id ("aaveV3") */
  adapterId: string;
  /** the chains whose checkpoints this source's rows follow */
  chainIds: readonly number[];
  /** the domains configured (known before any read) */
  domains(): readonly MarginDomainRef[];
  /** reads the store (the caller checks that no checkpoint moved meanwhile); throws the adapter's store error */
  read(): Promise<void>;
  /** every account with a position, evaluated at `env`; `checkpoints`: the blocks the read is stamped with */
  evaluate(env: PreparedEnvironment, checkpoints: ReadonlyMap<number, DomainCheckpoint>): DomainEvaluation;
  /** accounts with a position at the last read (cheap: for cost estimates) */
  accountCount?(): number;
  /** the accounts as the stress engine takes them (risk/domains aaveStress), at the read's blocks */
  stressMarkets(checkpoints: ReadonlyMap<number, DomainCheckpoint>): AaveStressMarket[];
}

/** One chain's committed block a source's rows were read at. */
export interface DomainCheckpoint {
  chainId: number;
  blockNumber: bigint;
  /** unix seconds */
  blockTimestamp: number;
}

/** A source's domains at one read and environment (risk/domains aaveEvaluation.ts defines it: the screen's shape). */
export type { DomainEvaluation, DomainProblem } from "../risk/domains/index.js";

/** What a protocol's domain source is built from. */
export interface DomainSourceContext {
  config: XmarginConfig;
  riskConfig: RiskConfig;
  /** runs one SQL statement against the store (Postgres or PGlite) */
  query: (text: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;
  /** Ponder's schema */
  schema: string;
}
