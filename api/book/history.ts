/**
 * Time travel and history, rebuilt from the store (so they survive restarts):
 * - account state at t: the last new value per key in the ledger at or before t (collateral,
 *   debt, cash, positions with size/entry/funding index; markets' cumulative funding; funds);
 * - prices at t: the latest oracle round per (chain, asset) with updatedAt ≤ t;
 * - chain freshness at t: a chain the indexer has followed past t was known up to t (lag 0); one
 *   whose last indexed block is older than t has the lag t − that block's time (as live);
 * - volatility at t: the estimate from the rounds up to t (same function as live).
 * Then the risk core evaluates, exactly as the live book does with `now = t`.
 *
 * Cost: the store is read once per answer (the ledger up to `to`, the rounds from the volatility
 * lookback before `from` to `to`), then replayed forward once. Per bucket, the volatility estimate
 * reads the 30-day lookback window of rounds already in memory (two moving indices, no re-read)
 * and is reused while the window and grid step are unchanged. The loops yield to the event loop
 * every ~15 ms of work and stop when `signal` aborts (the request's time limit), so a long history
 * never blocks other requests for longer than one bucket.
 */
import type { AccountRisk, ChainFreshness, ChainId, Hex, RiskConfig, Tier, VolatilityEstimate } from "../../risk/types.js";
import { TIERS } from "../../risk/types.js";
import type { CheckpointRow, LatestPriceRow, LedgerRow, PriceRoundRow, StoreReader } from "./reader.js";
import type { HistoryPoint, SystemHistoryPoint } from "./types.js";
import { applyLedgerRow, createReplayState, replayAccountRows, tokenDirectory, type ReplayState, type TokenDirectory } from "./replay.js";
import { buildAccountStates, DEFAULT_PRICE_DECIMALS, emptyAccount } from "./accountState.js";
import { Screener, buildSystemRisk, environmentInput, estimateBookVolatility, evaluate, prepare, volatilityLookbackSeconds, type PreparedEnv } from "./core.js";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { BookError } from "./errors.js";

/** What a history computation can be told: stop (the request timed out or went away). */
export interface HistoryOptions {
  signal?: AbortSignal;
}

/** Work between two yields to the event loop, ms. */
const SLICE_MS = 15;

/** Yields when the current slice has run long enough; throws when the request was aborted. */
function slicer(signal: AbortSignal | undefined): () => Promise<void> {
  let sliceStart = performance.now();
  const check = () => {
    if (signal?.aborted) throw new BookError("BOOK_ABORTED", "The history computation was stopped: the request timed out or was cancelled.", {});
  };
  return async () => {
    check();
    if (performance.now() - sliceStart < SLICE_MS) return;
    await yieldToLoop();
    sliceStart = performance.now();
    check();
  };
}

/** At most this many points per history answer. */
export const MAX_HISTORY_BUCKETS = 2000;
/** systemHistory screens accounts × buckets accounts (compiled fast path); above this it asks for larger buckets. */
export const MAX_SYSTEM_HISTORY_EVALUATIONS = 5_000_000;

const MARKET_KINDS = ["MARKET_LISTED", "FUNDING", "MARKET_MODE", "MAX_LEVERAGE"] as const;

/** The bucket times from, from+b, …, ≤ to (validated, capped). */
export function bucketTimes(from: number, to: number, bucketSeconds: number): number[] {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < 0) {
    throw new BookError("BOOK_INVALID_RANGE", `Invalid time range ${from}..${to}: expected unix seconds as non-negative integers.`, { from, to });
  }
  if (from > to) throw new BookError("BOOK_INVALID_RANGE", `Invalid time range: from (${from}) is after to (${to}). Pass from ≤ to.`, { from, to });
  if (!Number.isInteger(bucketSeconds) || bucketSeconds <= 0) {
    throw new BookError("BOOK_INVALID_RANGE", `Invalid bucketSeconds ${bucketSeconds}: expected a positive integer number of seconds.`, { bucketSeconds });
  }
  const count = Math.floor((to - from) / bucketSeconds) + 1;
  if (count > MAX_HISTORY_BUCKETS) {
    const smallest = Math.ceil((to - from + 1) / MAX_HISTORY_BUCKETS);
    throw new BookError(
      "BOOK_TOO_MANY_BUCKETS",
      `History from ${from} to ${to} in buckets of ${bucketSeconds} s is ${count} points; at most ${MAX_HISTORY_BUCKETS} are served. Use bucketSeconds ≥ ${smallest} or a shorter range.`,
      { from, to, bucketSeconds, count, max: MAX_HISTORY_BUCKETS },
    );
  }
  const out: number[] = [];
  for (let t = from; t <= to; t += bucketSeconds) out.push(t);
  return out;
}

/** Replays the ledger and the oracle rounds forward in time. */
class Timeline {
  readonly state: ReplayState = createReplayState();
  readonly seen = new Set<Hex>();
  private readonly latest = new Map<string, PriceRoundRow>();
  private readonly blocks = new Map<ChainId, bigint>();
  private li = 0;
  private ri = 0;
  /** the volatility window is rounds[lo, vi) */
  private lo = 0;
  private vi = 0;

  constructor(
    private readonly ledger: readonly LedgerRow[],
    private readonly rounds: readonly PriceRoundRow[], // sorted by updatedAt
    private readonly tokens: TokenDirectory,
  ) {}

  advance(t: number): void {
    while (this.li < this.ledger.length && this.ledger[this.li].timestamp <= t) {
      const row = this.ledger[this.li++];
      const touched = applyLedgerRow(this.state, row, this.tokens);
      if (touched !== null) this.seen.add(touched);
      else if (row.account !== null) this.seen.add(row.account.toLowerCase() as Hex);
      const b = this.blocks.get(row.chainId);
      if (b === undefined || row.blockNumber > b) this.blocks.set(row.chainId, row.blockNumber);
    }
    while (this.ri < this.rounds.length && this.rounds[this.ri].updatedAt <= t) {
      const r = this.rounds[this.ri++];
      const key = `${r.chainId}:${r.asset}`;
      const known = this.latest.get(key);
      if (known === undefined || r.updatedAt > known.updatedAt || (r.updatedAt === known.updatedAt && r.roundId >= known.roundId)) this.latest.set(key, r);
    }
  }

  prices(): LatestPriceRow[] {
    return [...this.latest.values()].map((r) => ({ ...r, blockNumber: 0n }));
  }

  /**
   * Rounds with since ≤ updatedAt ≤ t (the window the live book estimates volatility from), with a
   * key that is equal exactly when the window holds the same rounds. Times only move forward.
   */
  roundsBetween(since: number, t: number): { key: string; rounds: readonly PriceRoundRow[] } {
    while (this.vi < this.rounds.length && this.rounds[this.vi].updatedAt <= t) this.vi++;
    while (this.lo < this.vi && this.rounds[this.lo].updatedAt < since) this.lo++;
    return { key: `${this.lo}:${this.vi}`, rounds: this.rounds.slice(this.lo, this.vi) };
  }

  freshness(t: number, checkpoints: readonly CheckpointRow[]): ChainFreshness[] {
    return checkpoints.map((cp) =>
      cp.blockTimestamp <= t
        ? { chainId: cp.chainId, blockNumber: cp.blockNumber, blockTimestamp: cp.blockTimestamp }
        : { chainId: cp.chainId, blockNumber: this.blocks.get(cp.chainId) ?? 0n, blockTimestamp: t },
    );
  }
}

interface HistorySource {
  ledger: LedgerRow[];
  rounds: PriceRoundRow[];
  tokens: TokenDirectory;
  checkpoints: CheckpointRow[];
}

async function loadSource(reader: StoreReader, config: RiskConfig, from: number, to: number, account?: Hex): Promise<HistorySource> {
  const lookback = volatilityLookbackSeconds(config);
  const [accountRows, marketRows, before, rounds, tokens, checkpoints] = await Promise.all([
    account === undefined ? reader.ledgerUntil(to) : reader.ledgerUntil(to, { account }),
    account === undefined ? Promise.resolve([] as LedgerRow[]) : reader.ledgerUntil(to, { kinds: MARKET_KINDS }),
    reader.pricesAt(from - lookback),
    reader.priceRounds(from - lookback, to),
    reader.tokens(),
    reader.checkpoints(),
  ]);
  const ledger = [...accountRows, ...marketRows].sort(
    (a, b) => a.timestamp - b.timestamp || a.chainId - b.chainId || (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0) || a.logIndex - b.logIndex,
  );
  const allRounds = [...before, ...rounds].sort((a, b) => a.updatedAt - b.updatedAt || a.chainId - b.chainId || (a.roundId < b.roundId ? -1 : 1));
  return { ledger, rounds: allRounds, tokens: tokenDirectory(tokens), checkpoints };
}

/**
 * The estimate depends on the rounds in the window and on the grid step of `t` only (the lookback
 * is whole grid steps), so it is reused while both stay the same.
 */
function volatilityAt(config: RiskConfig, timeline: Timeline, t: number, volCache: Map<string, VolatilityEstimate>): VolatilityEstimate {
  const lookback = volatilityLookbackSeconds(config);
  const window = timeline.roundsBetween(t - lookback, t);
  const exactByStep = lookback % config.params.gridSeconds === 0;
  const key = exactByStep ? `${Math.floor(t / config.params.gridSeconds)}:${window.key}` : `${t}:${window.key}`;
  let volatility = volCache.get(key);
  if (volatility === undefined) {
    volatility = estimateBookVolatility(window.rounds, config, t);
    volCache.clear(); // times only move forward: an older key is never asked again
    volCache.set(key, volatility);
  }
  return volatility;
}

function environmentAt(config: RiskConfig, timeline: Timeline, source: HistorySource, t: number, volCache: Map<string, VolatilityEstimate>): PreparedEnv {
  const volatility = volatilityAt(config, timeline, t, volCache);
  const markets = [...timeline.state.markets.values()];
  return prepare(config, environmentInput(t, timeline.prices(), timeline.freshness(t, source.checkpoints), volatility, markets, config));
}

function priceDecimalsOf(prices: readonly LatestPriceRow[]) {
  return (chainId: ChainId, asset: string) =>
    prices.find((p) => p.chainId === chainId && p.asset === asset)?.decimals ?? prices.find((p) => p.asset === asset)?.decimals ?? DEFAULT_PRICE_DECIMALS;
}

function accountRiskAt(config: RiskConfig, timeline: Timeline, env: PreparedEnv, address: Hex): AccountRisk | null {
  if (!timeline.seen.has(address)) return null;
  const rows = replayAccountRows(timeline.state, new Set([address]));
  const state = buildAccountStates(rows, config, priceDecimalsOf(timeline.prices())).get(address) ?? emptyAccount(address);
  return evaluate(state, env);
}

/** The account as it was at unix time `time`, rebuilt from the ledger; null when the store had not seen it by then. */
export async function accountAt(reader: StoreReader, config: RiskConfig, address: Hex, time: number, options: HistoryOptions = {}): Promise<AccountRisk | null> {
  bucketTimes(time, time, 1);
  const who = address.toLowerCase() as Hex;
  const pause = slicer(options.signal);
  await pause();
  const source = await loadSource(reader, config, time, time, who);
  // the read took a while: let other requests run, and stop if this one timed out meanwhile
  await yieldToLoop();
  await pause();
  const timeline = new Timeline(source.ledger, source.rounds, source.tokens);
  timeline.advance(time);
  return accountRiskAt(config, timeline, environmentAt(config, timeline, source, time, new Map()), who);
}

/** One point per bucket time from..to: the account's tier and health as of that time. */
export async function accountHistory(
  reader: StoreReader,
  config: RiskConfig,
  address: Hex,
  from: number,
  to: number,
  bucketSeconds: number,
  options: HistoryOptions = {},
): Promise<HistoryPoint[]> {
  const times = bucketTimes(from, to, bucketSeconds);
  const who = address.toLowerCase() as Hex;
  const source = await loadSource(reader, config, from, to, who);
  const timeline = new Timeline(source.ledger, source.rounds, source.tokens);
  const volCache = new Map<string, VolatilityEstimate>();
  const pause = slicer(options.signal);
  const out: HistoryPoint[] = [];
  for (const t of times) {
    await pause();
    out.push(accountPointAt(config, timeline, source, t, who, volCache));
  }
  return out;
}

function accountPointAt(config: RiskConfig, timeline: Timeline, source: HistorySource, t: number, who: Hex, volCache: Map<string, VolatilityEstimate>): HistoryPoint {
  {
    timeline.advance(t);
    const risk = timeline.seen.has(who) ? accountRiskAt(config, timeline, environmentAt(config, timeline, source, t, volCache), who) : null;
    if (risk === null) return { time: t, tier: null, maintenanceHealthUsd: "0", initialHealthUsd: "0", equityUsd: "0", healthFactor: null };
    return {
      time: t,
      tier: risk.tier,
      maintenanceHealthUsd: risk.maintenanceHealthUsd.toFixed(),
      initialHealthUsd: risk.initialHealthUsd.toFixed(),
      equityUsd: risk.equityUsd.toFixed(),
      healthFactor: risk.healthFactor === null ? null : risk.healthFactor.toFixed(),
    };
  }
}

/** One point per bucket time from..to: pool totals, deficiency, insurance fund and accounts per tier as of that time. */
export async function systemHistory(
  reader: StoreReader,
  config: RiskConfig,
  from: number,
  to: number,
  bucketSeconds: number,
  options: HistoryOptions = {},
): Promise<SystemHistoryPoint[]> {
  const times = bucketTimes(from, to, bucketSeconds);
  const source = await loadSource(reader, config, from, to);
  const accounts = new Set(source.ledger.filter((r) => r.account !== null).map((r) => r.account!.toLowerCase())).size;
  if (accounts * times.length > MAX_SYSTEM_HISTORY_EVALUATIONS) {
    const smallest = Math.ceil(((to - from + 1) * accounts) / MAX_SYSTEM_HISTORY_EVALUATIONS);
    throw new BookError(
      "BOOK_TOO_MANY_BUCKETS",
      `System history over ${accounts} accounts × ${times.length} points is ${accounts * times.length} evaluations; at most ${MAX_SYSTEM_HISTORY_EVALUATIONS} are served. Use bucketSeconds ≥ ${smallest} or a shorter range.`,
      { from, to, bucketSeconds, accounts, points: times.length },
    );
  }
  const timeline = new Timeline(source.ledger, source.rounds, source.tokens);
  const volCache = new Map<string, VolatilityEstimate>();
  const screener = new Screener(config);
  const pause = slicer(options.signal);
  const out: SystemHistoryPoint[] = [];
  for (const t of times) {
    await pause();
    out.push(systemPointAt(config, timeline, source, t, volCache, screener));
  }
  return out;
}

function systemPointAt(config: RiskConfig, timeline: Timeline, source: HistorySource, t: number, volCache: Map<string, VolatilityEstimate>, screener: Screener): SystemHistoryPoint {
  {
    timeline.advance(t);
    const env = environmentAt(config, timeline, source, t, volCache);
    const rows = replayAccountRows(timeline.state);
    const states = buildAccountStates(rows, config, priceDecimalsOf(timeline.prices()));
    // The same screening and summing as the live book (compiled fast path, address order).
    const accounts = [...timeline.seen].sort().map((address) => states.get(address) ?? emptyAccount(address));
    screener.reset(accounts);
    const screens = screener.screenAll(env);
    const system = buildSystemRisk({
      config,
      env,
      accounts: accounts.map((state) => ({ address: state.address, state, screen: screens.get(state.address)! })),
      insurance: [...timeline.state.insurance.values()],
      library: [],
      previousAction: null,
    });
    const perTier = Object.fromEntries(TIERS.map((tier) => [tier, system.accountsPerTier[tier] ?? 0])) as Record<Tier, number>;
    return {
      time: t,
      collateralUsd: system.collateralUsd.toFixed(),
      debtUsd: system.debtUsd.toFixed(),
      deficiencyUsd: system.deficiencyUsd.toFixed(),
      insuranceFundUsd: system.insuranceFundUsd.toFixed(),
      accountsPerTier: perTier,
    };
  }
}
