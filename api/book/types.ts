/**
 * What the API reads from the risk book (api/book/): the book implements it, resolvers and
 * subscriptions consume it. Everything is in-memory and synchronous except time travel and
 * history, which rebuild past state from the ledger.
 */
import type {
  AccountRisk,
  AccountScreen,
  ChainId,
  Hex,
  MarkPrice,
  ScenarioResult,
  StressScenario,
  SystemRisk,
  Tier,
  VolatilityEstimate,
} from "../../risk/types.js";

export interface ChainStatus {
  chainId: ChainId;
  name: string;
  blockNumber: bigint;
  blockTimestamp: number; // unix seconds of the last indexed block
  lagSeconds: number; // now − blockTimestamp
  /** the data lag the haircuts use: lagSeconds stepped up by risk.lagStepSeconds (steppedLagSeconds) */
  haircutLagSeconds: number;
  liquidationLatencySeconds: number;
  maxDataLagSeconds: number;
  stale: boolean;
}

/** Freshness stamp every answer can carry. */
export interface AsOf {
  now: number; // unix seconds the numbers were computed for
  chains: readonly ChainStatus[];
}

export interface TierChange {
  seq: number; // monotonic within one book
  address: Hex;
  from: Tier | null; // null: first seen
  to: Tier;
  chainId: ChainId | null; // chain of the event that caused it; null for a price move across chains
  blockNumber: bigint | null;
  timestamp: number; // unix seconds (block time of the cause)
  healthFactor: number | null;
}

export interface AccountListEntry {
  address: Hex;
  screen: AccountScreen;
}

export type AccountOrder = "HEALTH_FACTOR_ASC" | "EQUITY_ASC" | "COLLATERAL_DESC" | "ADDRESS_ASC";

export interface AccountFilter {
  tier?: Tier;
  chainId?: ChainId;
  healthFactorLt?: number;
  degraded?: boolean;
}

export interface HistoryPoint {
  time: number;
  tier: Tier | null;
  maintenanceHealthUsd: string;
  initialHealthUsd: string;
  equityUsd: string;
  healthFactor: string | null;
}

export interface SystemHistoryPoint {
  time: number;
  collateralUsd: string;
  debtUsd: string;
  deficiencyUsd: string;
  insuranceFundUsd: string;
  accountsPerTier: Record<Tier, number>;
}

export type BookEvent =
  /** `full`: every account was re-evaluated (load, re-screen); `touched` then lists them all */
  | { type: "updated"; touched: Hex[]; tierChanges: TierChange[]; asOf: AsOf; full: boolean }
  | { type: "endangered"; entered: AccountListEntry[]; left: Hex[]; maxHealthFactor: number }
  | { type: "reorg"; chainId: ChainId; fromBlock: bigint };

/** What a subscriber asks for besides the broadcast events (added by the risk book). */
export interface SubscribeOptions {
  /**
   * Receive `endangered` events for this threshold: accounts whose health factor went below it
   * (entered, most endangered first) or back to or above it (left). Thresholds are watched only
   * while a subscriber asks for them; the first event after subscribing is relative to the moment
   * of subscribing.
   */
  endangeredMaxHealthFactor?: number;
}

export interface RiskBookView {
  asOf(): AsOf;
  /** Full decimal report now; null for an address the store has never seen. */
  account(address: Hex): AccountRisk | null;
  /** The account as of a past unix time, rebuilt from the ledger (time travel). */
  /** `signal`: stop the rebuild (the request's time limit). */
  accountAt(address: Hex, time: number, options?: { signal?: AbortSignal }): Promise<AccountRisk | null>;
  listAccounts(
    filter: AccountFilter,
    order: AccountOrder,
    first: number,
    after?: string,
  ): { entries: AccountListEntry[]; hasNextPage: boolean; endCursor: string | null; totalCount: number };
  /** Most endangered first (lowest health factor, insolvent before liquidatable). */
  endangered(maxHealthFactor: number, first: number): AccountListEntry[];
  system(): SystemRisk;
  chains(): readonly ChainStatus[];
  marks(): MarkPrice[];
  volatility(): VolatilityEstimate;
  runScenario(scenario: StressScenario): ScenarioResult;
  stressLibrary(): ScenarioResult[];
  tierChanges(q: { from?: number; to?: number; tier?: Tier; first: number; after?: number }): TierChange[];
  accountHistory(address: Hex, from: number, to: number, bucketSeconds: number, options?: { signal?: AbortSignal }): Promise<HistoryPoint[]>;
  systemHistory(from: number, to: number, bucketSeconds: number, options?: { signal?: AbortSignal }): Promise<SystemHistoryPoint[]>;
  /** Called after every book update (once per indexed checkpoint batch), never per client. */
  subscribe(listener: (event: BookEvent) => void, options?: SubscribeOptions): () => void;
  stats(): { accounts: number; lastUpdateMs: number; updates: number; lastUpdateAt: number | null };
}
