/** What every resolver gets: the book (read only), the hub for subscriptions and the limits. */
import type { LiquidationCurve, LiquidationCurveRequest } from "../risk/liquidationCurve.js";
import type { PreparedEnvironment } from "../risk/environment.js";
import type { ChainId } from "../risk/types.js";
import type { DomainView } from "./domains/domainView.js";
import type { RiskBookView } from "./book/types.js";
import type { BookHub } from "./hub.js";
import type { ApiLimits } from "./limits.js";

/** Optional extras a book may offer beyond RiskBookView; resolvers use them when present. */
export interface RiskBookExtras {
  /** Σ collateral − Σ debt of every account per chain, at mark, no haircut. */
  chainExposure?(): { chainId: ChainId; exposureUsd: unknown }[];
  /** The stress engine's liquidation curve of one asset, cached per book version (throws ScenarioError for a bad request). */
  liquidationCurve?(request: LiquidationCurveRequest): LiquidationCurve;
  /** The same, computed one step per macrotask so other requests and pushes run in between. */
  liquidationCurveSliced?(request: LiquidationCurveRequest): Promise<LiquidationCurve>;
  /** The system action's thresholds (risk.params.thresholds). */
  actionThresholds?(): { raiseMarginsCoverage: string; reduceLeverageCoverage: string; liquidatableNotionalShare: string; hysteresis: string };
  /** The prepared environment of the book's current tick; null before the first load. */
  environment?(): PreparedEnvironment | null;
}

export type ApiBook = RiskBookView & RiskBookExtras;

export interface ApiContext {
  book: ApiBook;
  hub: BookHub;
  limits: ApiLimits;
  /** the protocols' margin domains beside the vault (null: the config deploys none, or a book without them) */
  domains: DomainView | null;
  /** aborted when the request's time limit passes (plugins/useTimeLimit.ts): long resolvers stop */
  signal: AbortSignal;
  /** aborts `signal` */
  abort(): void;
  /** who asks: the remote address the server saw ("unknown" when the server passes none) */
  client: string;
  /** chainId → name, from the book's chain statuses (cached per status list). */
  chainNames(): ReadonlyMap<ChainId, string>;
}

/** chainId → name per chain-status list (the book reuses one list per time frame) */
const namesByStatuses = new WeakMap<object, ReadonlyMap<ChainId, string>>();

/** What the server passes with each request (yoga's server context). */
export interface ServerContext {
  remoteAddress?: string;
}

export function createContextFactory(book: ApiBook, hub: BookHub, limits: ApiLimits, domains: DomainView | null = null): (initial: object) => ApiContext {
  const chainNames = (): ReadonlyMap<ChainId, string> => {
    const chains = book.chains();
    let names = namesByStatuses.get(chains);
    if (names === undefined) namesByStatuses.set(chains, (names = new Map(chains.map((c) => [c.chainId, c.name]))));
    return names;
  };
  return (initial) => {
    const remote = (initial as ServerContext | undefined)?.remoteAddress;
    const request = (initial as { request?: Request } | undefined)?.request;
    const signal = new AbortController();
    // a client that goes away stops its work too
    request?.signal?.addEventListener?.("abort", () => signal.abort(), { once: true });
    return { book, hub, limits, domains, chainNames, signal: signal.signal, abort: () => signal.abort(), client: typeof remote === "string" && remote !== "" ? remote : "unknown" };
  };
}
