/** What every resolver gets: the book (read only), the hub for subscriptions and the limits. */
import type { LiquidationCurve, LiquidationCurveRequest } from "../risk/liquidationCurve.js";
import type { ChainId } from "../risk/types.js";
import type { RiskBookView } from "./book/types.js";
import type { BookHub } from "./hub.js";
import type { ApiLimits } from "./limits.js";

/** Optional extras a book may offer beyond RiskBookView; resolvers use them when present. */
export interface RiskBookExtras {
  /** Σ collateral − Σ debt of every account per chain, at mark, no haircut. */
  chainExposure?(): { chainId: ChainId; exposureUsd: unknown }[];
  /** The stress engine's liquidation curve of one asset, cached per book version (throws ScenarioError for a bad request). */
  liquidationCurve?(request: LiquidationCurveRequest): LiquidationCurve;
  /** The system action's thresholds (risk.params.thresholds). */
  actionThresholds?(): { raiseMarginsCoverage: string; reduceLeverageCoverage: string; liquidatableNotionalShare: string; hysteresis: string };
}

export type ApiBook = RiskBookView & RiskBookExtras;

export interface ApiContext {
  book: ApiBook;
  hub: BookHub;
  limits: ApiLimits;
  /** chainId → name, from the book's chain statuses (cached per status list). */
  chainNames(): ReadonlyMap<ChainId, string>;
}

/** chainId → name per chain-status list (the book reuses one list per time frame) */
const namesByStatuses = new WeakMap<object, ReadonlyMap<ChainId, string>>();

export function createContextFactory(book: ApiBook, hub: BookHub, limits: ApiLimits): () => ApiContext {
  const chainNames = (): ReadonlyMap<ChainId, string> => {
    const chains = book.chains();
    let names = namesByStatuses.get(chains);
    if (names === undefined) namesByStatuses.set(chains, (names = new Map(chains.map((c) => [c.chainId, c.name]))));
    return names;
  };
  return () => ({ book, hub, limits, chainNames });
}
