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
import type { XmarginConfig } from "../config/types.js";

export interface ProtocolAdapter<Contracts extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable id, also the config key on a chain where it applies ("aaveV3"). */
  id: string;
  /** One line for people: what the adapter indexes. */
  description: string;
  /** Ponder `contracts` entries for every chain of the validated config that deploys the protocol. */
  ponderContracts(config: XmarginConfig): Contracts;
}
