/**
 * Every protocol adapter xmargin indexes, one line each (see protocols/types.ts). Contract names
 * and block-interval names must be unique across adapters; `ponderContracts` and `ponderBlocks`
 * merge them for ponder.config.ts.
 */
import type { XmarginConfig } from "../config/types.js";
import type { DomainSource, DomainSourceContext, ProtocolAdapter } from "./types.js";
import { aaveV3Adapter } from "./aaveV3/index.js";
import { marginVaultAdapter } from "./marginVault/index.js";

export const PROTOCOLS = [
  marginVaultAdapter,
  aaveV3Adapter,
] as const;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** All adapters' Ponder contract entries, typed (Ponder infers handler types from them). */
export type RegisteredContracts = UnionToIntersection<ReturnType<(typeof PROTOCOLS)[number]["ponderContracts"]>>;

/** The merged `contracts` of every adapter; throws on a contract name two adapters both use. */
export function ponderContracts(config: XmarginConfig): RegisteredContracts {
  const merged: Record<string, unknown> = {};
  for (const adapter of PROTOCOLS) {
    for (const [name, entry] of Object.entries(adapter.ponderContracts(config))) {
      if (name in merged) throw new Error(`Protocol adapter '${adapter.id}' declares the Ponder contract '${name}', which another adapter declares too; contract names must be unique`);
      merged[name] = entry;
    }
  }
  return merged as RegisteredContracts;
}

type BlocksOf<A> = A extends { ponderBlocks: (config: XmarginConfig) => infer B } ? B : never;
/** All adapters' Ponder block-interval entries, typed. */
export type RegisteredBlocks = UnionToIntersection<BlocksOf<(typeof PROTOCOLS)[number]>>;

/** The merged `blocks` of every adapter that has any; throws on a name two adapters both use. */
export function ponderBlocks(config: XmarginConfig): RegisteredBlocks {
  const merged: Record<string, unknown> = {};
  for (const adapter of PROTOCOLS as readonly ProtocolAdapter[]) {
    for (const [name, entry] of Object.entries(adapter.ponderBlocks?.(config) ?? {})) {
      if (name in merged) throw new Error(`Protocol adapter '${adapter.id}' declares the Ponder block interval '${name}', which another adapter declares too; block interval names must be unique`);
      merged[name] = entry;
    }
  }
  return merged as RegisteredBlocks;
}

/** Every adapter's margin-domain source the config deploys (the vault's domain is the risk book itself). */
export function domainSources(context: DomainSourceContext): DomainSource[] {
  const out: DomainSource[] = [];
  for (const adapter of PROTOCOLS as readonly ProtocolAdapter[]) {
    const source = adapter.domainSource?.(context);
    if (source) out.push(source);
  }
  return out;
}
