/**
 * The risk book: the API process's in-memory view over the store (an I/O shell around the pure
 * risk core). It loads every account once, then follows the indexer by polling the ledger per
 * chain, recomputes only what moved, keeps the endangered ranking ordered, records tier changes,
 * detects reorgs (and rebuilds from the store), and pushes one BookEvent batch per update.
 *
 * Time: `clock()` (ms, default Date.now) gives `now` in unix seconds; nothing else reads time.
 * Determinism: a fresh book over the same store with the same clock gives the same numbers.
 */
import type Decimal from "decimal.js";
import type { AccountRisk, AccountScreen, AccountState, ChainId, Hex, MarkPrice, RiskConfig, ScenarioResult, StressScenario, SystemAction, SystemRisk, Tier, VolatilityEstimate } from "../../risk/types.js";
import type { TierLog } from "./tierLog.js";
import type { AccountFilter, AccountListEntry, AccountOrder, AsOf, BookEvent, ChainStatus, HistoryPoint, RiskBookView, SubscribeOptions, SystemHistoryPoint, TierChange } from "./types.js";
import type { AccountRows, CheckpointRow, InsuranceFundRow, LatestPriceRow, MarketRow, PriceRoundRow, StoreReader } from "./reader.js";
import { appliedBatch, type AppliedBatch } from "./freshness.js";
import { withReadTimeout } from "./readTimeout.js";
import { blockKey } from "./reader.js";
import { buildAccountStates, DEFAULT_PRICE_DECIMALS, emptyAccount } from "./accountState.js";
import { EndangeredRanking } from "./ranking.js";
import { BookError } from "./errors.js";
import { Screener, steppedLagSeconds, chainExposures, type ChainExposure, buildSystemRisk, defaultLibrary, runLibrary, environmentInput, estimateBookVolatility, evaluate, prepare, runStress, volatilityLookbackSeconds, type EnvironmentInput, type PreparedEnv } from "./core.js";
import { accountAt, accountHistory, systemHistory } from "./history.js";
import { runScenariosSliced } from "./stressRunner.js";
import { CurveCache } from "./curveCache.js";
import { CURVE_STRESS_OPTIONS, curveFromResults, curvePlan, liquidationCurve as computeLiquidationCurve, type LiquidationCurve, type LiquidationCurveRequest } from "../../risk/liquidationCurve.js";
import { scenarioRunner } from "../../risk/stress.js";
import { decodeCursor, encodeCursor, compareForOrder, matchesFilter } from "./listing.js";

export interface RiskBookOptions {
  reader: StoreReader;
  config: RiskConfig;
  /**
   * Where tier changes and the system action's state are kept across restarts (api/book/tierLog.ts).
   * "write": the book records its changes there, continues its sequence numbers and, at its first
   * load, records what differs from the last tiers recorded; "follow" (a replica): the book answers
   * and pushes the writer's changes instead of its own. Without one, changes live in memory only.
   */
  tierLog?: TierLog;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /**
   * Ledger poll period, default 100 ms. 0: no poll timer of its own (whoever learns of commits calls
   * `sync()`); time still moves every `clockIntervalMs`.
   */
  pollIntervalMs?: number;
  /**
   * Without a poll for this long, the book's `now` moves by itself (no store read): chains whose
   * indexer or store went quiet turn stale by their lag. Default 1000 ms.
   */
  clockIntervalMs?: number;
  /** Every store read fails with BOOK_STORE_TIMEOUT after this long (then time moves on), default 2000 ms; 0 = never. */
  readTimeoutMs?: number;
  /**
   * The stress library is refreshed in the background (time-sliced, one scenario per macrotask) at
   * most this often, and only when asked for (system(), stressLibrary()) after the book changed;
   * default 5000 ms. Totals and D0 follow every update.
   */
  stressIntervalMs?: number;
  /** A liquidation curve is reused for this long after the book changed (its `asOf` says when it was computed), default 5000 ms; 0: recomputed at every update. */
  curveMaxAgeMs?: number;
  /** Volatility re-estimated at most this often when new rounds arrive, default 5000 ms. */
  volatilityIntervalMs?: number;
  /** Ledger rows read per poll, default 10,000. */
  ledgerBatchLimit?: number;
  /** Tier changes kept in memory, default 100,000 (oldest dropped first). */
  maxTierChanges?: number;
  /** Errors of the background loop (the loop keeps going). Default: console.error. */
  onError?: (error: unknown) => void;
}

export interface RiskBook extends RiskBookView {
  /** Resolves after the first full load. */
  readonly ready: Promise<void>;
  /** Loads everything, then polls every `pollIntervalMs`. Idempotent. */
  start(): Promise<void>;
  /** Stops polling (the in-memory view stays readable). */
  stop(): Promise<void>;
  /** One poll step now, serialized with the loop (tests and tools use it instead of waiting). */
  sync(): Promise<void>;
  /** Recomputes system risk now. */
  refreshSystem(): SystemRisk;
  /** Per chain Σ collateral − Σ debt at mark, no haircut (risk core chainExposures); cached per update. */
  chainExposure(): ChainExposure[];
  /**
   * The stress engine's liquidation curve of one asset (risk/liquidationCurve.ts), cached per
   * update and environment, and reused for up to `curveMaxAgeMs` after the book changed; `asOf`
   * and `marks` are those it was computed with.
   */
  liquidationCurve(request: LiquidationCurveRequest): LiquidationCurve & { asOf: AsOf; marks: MarkPrice[] };
  /**
   * The same curve computed one step per macrotask (other requests and pushes run in between), all
   * steps over the environment of the moment it started; identical requests share one computation.
   */
  liquidationCurveSliced(request: LiquidationCurveRequest): Promise<LiquidationCurve & { asOf: AsOf; marks: MarkPrice[] }>;
  /** The system action's thresholds (config params.thresholds). */
  actionThresholds(): RiskConfig["params"]["thresholds"];
  /** The prepared environment of the current tick (what every number is computed with); null before the first load. */
  environment(): PreparedEnv | null;
}

interface Cursor {
  chainId: ChainId;
  blockNumber: bigint;
  logIndex: number;
  blockHash: Hex;
}

interface Entry {
  address: Hex;
  /** the compiled book's slot (ranking ids and holder lists use it); -1 while out of the compiled book */
  slot: number;
  state: AccountState;
  screen: AccountScreen;
  chainIds: ChainId[];
  /** appeared since the last screening: its first screen is recorded as a change from null */
  isNew?: boolean;
}

interface Cause {
  chainId: ChainId | null;
  blockNumber: bigint | null;
  timestamp: number;
}

interface Listener {
  fn: (event: BookEvent) => void;
  endangeredMaxHealthFactor?: number;
}

const DEFAULTS = { curveMaxAgeMs: 5000, pollIntervalMs: 100, clockIntervalMs: 1000, readTimeoutMs: 2000, stressIntervalMs: 5000, volatilityIntervalMs: 5000, ledgerBatchLimit: 10_000, maxTierChanges: 100_000 };

export function createRiskBook(options: RiskBookOptions): RiskBook {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const opts = { ...DEFAULTS, ...stripUndefined(options) };
  /** polls read through `reader` (each call bounded by readTimeoutMs), full loads through `loadReader` (a minute at least), history through the caller's own reader */
  const reader = withReadTimeout(options.reader, opts.readTimeoutMs);
  const loadReader = opts.readTimeoutMs > 0 ? withReadTimeout(options.reader, Math.max(opts.readTimeoutMs, 60_000)) : options.reader;
  const historyReader = options.reader;
  const onError = options.onError ?? ((e: unknown) => console.error("[risk book]", e));
  const nowSeconds = () => Math.floor(clock() / 1000);

  // ---------------------------------------------------------------- state
  const entries = new Map<Hex, Entry>();
  /** the same entries by compiled slot: a tick walks holder slots without hashing addresses */
  let bySlot: (Entry | undefined)[] = [];
  /** per slot, 1 while listed in the current tick (cleared after each use) */
  let seenScratch = new Uint8Array(0);
  const screener = new Screener(config);
  const ranking = new EndangeredRanking();
  /** the time frame's checkpoints (what the numbers are computed with) and the latest read */
  let checkpoints = new Map<ChainId, CheckpointRow>();
  let latestCheckpoints = new Map<ChainId, CheckpointRow>();
  let cursors = new Map<ChainId, Cursor>();
  let latestPrices: LatestPriceRow[] = [];
  let markets: MarketRow[] = [];
  let insurance: InsuranceFundRow[] = [];
  let rounds: PriceRoundRow[] = [];
  let roundKeys = new Set<string>();
  /** per chain, the newest round's updatedAt held (where an incremental read resumes) */
  const newestRoundOf = new Map<ChainId, number>();
  let volatility: VolatilityEstimate | null = null;
  let volatilityAt = -Infinity; // clock ms
  let volatilityDirty = false;
  // A round merged at or before the current estimate's time (a chain behind delivered it late):
  // the estimate no longer covers every round up to its own `asOf`, so it is redone at once
  // rather than after volatilityIntervalMs (a fresh book at that `asOf` would include the round).
  let volatilityMissesRound = false;
  let envInput: EnvironmentInput | null = null;
  let env: PreparedEnv | null = null;
  let envNow = 0;
  /** what of time the environment was built for (stepped lags, stale flags): see timeKey() */
  let envTimeKey = "";
  const reportCache = new Map<Hex, AccountRisk>();

  let system: SystemRisk | null = null;
  let exposure: { version: number; env: PreparedEnv | null; value: ChainExposure[] } | null = null;
  /** liquidation curves of the current book version and environment, by request */
  const curves = new CurveCache<{ asOf: AsOf; marks: MarkPrice[] }>(64, opts.curveMaxAgeMs);
  /** sliced curve computations in flight, by request: identical requests wait for the same one */
  const curvesInFlight = new Map<string, Promise<LiquidationCurve & { asOf: AsOf; marks: MarkPrice[] }>>();
  let systemDirty = true;
  let systemAction: SystemAction | null = null;
  /** the stress library; null until first asked for */
  let library: ScenarioResult[] | null = null;
  /** the update count (`updates`) the library was started at, and when (clock ms) */
  let libraryVersion = -1;
  let libraryAt = -Infinity;
  /** the background run in flight, and its generation (a newer run or a synchronous one cancels it) */
  let libraryRun: Promise<void> | null = null;
  let libraryGeneration = 0;

  const tierChanges: TierChange[] = [];
  let seq = 0;
  const tierLog = opts.tierLog ?? null;
  const following = tierLog?.mode === "follow";
  /** the tiers last recorded in the log, until the first load has compared against them */
  let recordedTiers: Map<Hex, Tier> | null = null;
  /** changes not yet in the log (write mode) */
  const unlogged: TierChange[] = [];
  let loggedAction: SystemAction | null = null;
  let logWrites: Promise<void> = Promise.resolve();
  const listeners = new Set<Listener>();
  const endangeredSets = new Map<number, Set<Hex>>();

  let updates = 0;
  let lastUpdateMs = 0;
  let lastUpdateAt: number | null = null;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let clockTimer: NodeJS.Timeout | null = null;
  let inFlight = 0;
  let lastStepAt = performance.now();
  let running: Promise<void> = Promise.resolve();
  let resolveReady!: () => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // observed via start()
  let loaded = false;

  const priceDecimals = (chainId: ChainId, asset: string): number => priceDecimalsIn(latestPrices, chainId, asset);

  // ---------------------------------------------------------------- environment

  interface BuiltEnvironment {
    envInput: EnvironmentInput;
    env: PreparedEnv;
    now: number;
    timeKey: string;
  }

  function buildEnvironment(now: number, cps: Map<ChainId, CheckpointRow>): BuiltEnvironment {
    const input = environmentInput(now, latestPrices, [...cps.values()], volatility, markets, config);
    return { envInput: input, env: prepare(config, input), now, timeKey: timeKey(now, cps, latestPrices) };
  }

  function commitEnvironment(built: BuiltEnvironment): void {
    envInput = built.envInput;
    env = built.env;
    envNow = built.now;
    envTimeKey = built.timeKey;
    reportCache.clear();
  }

  /**
   * Everything time changes in the numbers: per chain the stepped data lag (which also decides
   * staleness), per oracle answer whether it is older than its asset's limit. Equal keys give equal
   * environments for the same prices, markets and volatility.
   */
  function timeKey(now: number, cps: Map<ChainId, CheckpointRow>, prices: readonly LatestPriceRow[]): string {
    const parts: string[] = [];
    for (const chain of Object.values(config.chains)) {
      const cp = cps.get(chain.chainId);
      parts.push(cp === undefined ? "-" : String(steppedLagSeconds(now - cp.blockTimestamp, config.params.lagStepSeconds)));
    }
    for (const p of prices) {
      const asset = config.assets[p.asset];
      if (asset !== undefined) parts.push(now - p.updatedAt > asset.maxOracleAgeSeconds ? "s" : "f");
    }
    return parts.join(",");
  }

  function refreshVolatility(force: boolean): boolean {
    const t = clock();
    if (!force && !volatilityMissesRound && (!volatilityDirty || (t >= volatilityAt && t - volatilityAt < opts.volatilityIntervalMs))) return false;
    const next = estimateBookVolatility(rounds, config, nowSeconds());
    const changed = volatility === null || volatilitySignature(volatility) !== volatilitySignature(next);
    volatility = next;
    volatilityAt = t;
    volatilityDirty = false;
    volatilityMissesRound = false;
    return changed;
  }

  /** Rounds from `fromTime` on (the whole lookback when not given). */
  function readRounds(now: number, fromTime?: number, from: StoreReader = reader): Promise<PriceRoundRow[]> {
    return from.priceRounds(fromTime ?? now - volatilityLookbackSeconds(config), Number.MAX_SAFE_INTEGER);
  }

  /**
   * Where an incremental read of rounds must start. Chains are indexed independently, so a chain
   * that is behind delivers rounds older than other chains' newest: the read starts at the oldest
   * of the newest rounds held of the chains whose prices moved (each chain's rounds arrive in its
   * block order), and at the lookback's start for a chain with none held. Overlap is dropped by
   * `mergeRounds`.
   */
  function roundsReadFrom(moved: ReadonlySet<ChainId>): number | undefined {
    let from: number | undefined;
    for (const chainId of moved) {
      const newest = newestRoundOf.get(chainId);
      if (newest === undefined) return undefined;
      if (from === undefined || newest < from) from = newest;
    }
    return from;
  }

  function roundKey(r: PriceRoundRow): string {
    return `${r.chainId}:${r.asset}:${r.roundId}:${r.updatedAt}`;
  }

  /** The store's order (reader.priceRounds: updated_at, chain_id, round_id). */
  function compareRounds(a: PriceRoundRow, b: PriceRoundRow): number {
    if (a.updatedAt !== b.updatedAt) return a.updatedAt - b.updatedAt;
    if (a.chainId !== b.chainId) return a.chainId - b.chainId;
    return a.roundId < b.roundId ? -1 : a.roundId > b.roundId ? 1 : 0;
  }

  function mergeRounds(now: number, fresh: readonly PriceRoundRow[]): boolean {
    let added = false;
    let ordered = true;
    for (const r of fresh) {
      const key = roundKey(r);
      if (roundKeys.has(key)) continue;
      roundKeys.add(key);
      if (rounds.length > 0 && compareRounds(rounds[rounds.length - 1], r) > 0) ordered = false;
      rounds.push(r);
      // The estimate samples prices on the grid up to ⌊asOf/grid⌋·grid (risk/volatility.ts): only a
      // round at or before that point changes it; one after it (the same minute) does not.
      if (volatility !== null && r.updatedAt <= Math.floor(volatility.asOf / config.params.gridSeconds) * config.params.gridSeconds) volatilityMissesRound = true;
      const newest = newestRoundOf.get(r.chainId);
      if (newest === undefined || r.updatedAt > newest) newestRoundOf.set(r.chainId, r.updatedAt);
      added = true;
    }
    if (!ordered) rounds.sort(compareRounds);
    const cut = now - volatilityLookbackSeconds(config);
    if (rounds.length > 0 && rounds[0].updatedAt < cut) {
      rounds = rounds.filter((r) => r.updatedAt >= cut);
      roundKeys = new Set(rounds.map(roundKey));
    }
    if (added) volatilityDirty = true;
    return added;
  }

  // ---------------------------------------------------------------- full load

  /**
   * Reads everything, then swaps the whole frame in one synchronous step: a reader sees the frame
   * before (for a reorg: the abandoned branch, under its own stamp) or the one after, never a mix.
   * Checkpoints are read first, so the tables read after them can only be newer than the stamp.
   */
  async function loadAll(cause: Cause | null, reorg: { chainId: ChainId; fromBlock: bigint } | null): Promise<void> {
    const t0 = performance.now();
    const cps = await loadReader.checkpoints();
    // Heads next: rows indexed while the tables are read are polled again (reloads are idempotent).
    const heads = await loadReader.ledgerHeads();
    const now = nowSeconds();
    const [rows, prices, mkts, funds, freshRounds] = await Promise.all([loadReader.accountRows(), loadReader.latestPrices(), loadReader.markets(), loadReader.insuranceFunds(), readRounds(now, undefined, loadReader)]);
    const states = buildAccountStates(rows, config, (chainId, asset) => priceDecimalsIn(prices, chainId, asset));

    // ---- from here on synchronous: the swap
    cursors = new Map(heads.map((h) => [h.chainId, h]));
    checkpoints = new Map(cps.map((c) => [c.chainId, c]));
    latestCheckpoints = checkpoints;
    latestPrices = prices;
    markets = mkts;
    insurance = funds;
    rounds = [];
    roundKeys = new Set();
    newestRoundOf.clear();
    mergeRounds(now, freshRounds);
    refreshVolatility(true);
    commitEnvironment(buildEnvironment(now, checkpoints));

    const previous = new Map([...entries].map(([a, e]) => [a, e.screen] as const));
    entries.clear();
    bySlot = [];
    screener.reset([...states.values()]);
    const screens = screener.screenAllSlots(env!);
    for (const [address, state] of states) {
      const slot = screener.slotOf(address)!;
      const entry: Entry = { address, slot, state, screen: screens[slot]!, chainIds: chainIdsOf(state) };
      entries.set(address, entry);
      bySlot[slot] = entry;
    }
    resetRanking();
    reportCache.clear();

    const changes: TierChange[] = [];
    if (!loaded && recordedTiers !== null) {
      // What changed while no book ran (and, on a first start, every account's first tier).
      const cause = { chainId: null, blockNumber: null, timestamp: now };
      for (const [address, entry] of entries) {
        const before = recordedTiers.get(address) ?? null;
        if (before !== entry.screen.tier) pushChange(changes, recordTierChange(address, before, entry.screen, cause));
      }
    }
    if (loaded) {
      const all = new Set<Hex>([...previous.keys(), ...entries.keys()]);
      for (const address of all) {
        const before = previous.get(address) ?? null;
        const after = entries.get(address)?.screen ?? null;
        if (after !== null && before?.tier !== after.tier) pushChange(changes, recordTierChange(address, before?.tier ?? null, after, cause ?? { chainId: null, blockNumber: null, timestamp: now }));
      }
    }
    // System risk is recomputed when next asked (the stress library in the background), never here:
    // whoever waits for this update's push does not wait for the stress library.
    systemDirty = true;
    if (reorg !== null) libraryAt = -Infinity; // the library describes the abandoned fork: due at once
    const touched = [...entries.keys()];
    finishUpdate(t0, touched, changes, reorg, true);
  }

  // ---------------------------------------------------------------- incremental

  /** What one poll read from the store (nothing of it is applied yet). */
  interface PollRead {
    storeCheckpoints: Map<ChainId, CheckpointRow>;
    batch: AppliedBatch;
    accountRows: AccountRows | null;
    prices: LatestPriceRow[] | null;
    markets: MarketRow[] | null;
    funds: InsuranceFundRow[] | null;
    rounds: PriceRoundRow[] | null;
  }

  type Reorg = { reorg: { chainId: ChainId; fromBlock: bigint } };

  async function readPoll(): Promise<PollRead | Reorg> {
    const cps = await reader.checkpoints();
    const cpMap = new Map(cps.map((c) => [c.chainId, c]));
    // Reorg: a checkpoint went backwards, or the ledger no longer holds the block we last saw.
    for (const [chainId, cp] of cpMap) {
      const before = latestCheckpoints.get(chainId);
      if (before !== undefined && cp.blockNumber < before.blockNumber) return { reorg: { chainId, fromBlock: cp.blockNumber } };
    }
    const watched = [...cursors.values()];
    if (watched.length > 0) {
      const hashes = await reader.ledgerBlockHashes(watched.map((c) => ({ chainId: c.chainId, blockNumber: c.blockNumber })));
      for (const c of watched) {
        if (hashes.get(blockKey(c.chainId, c.blockNumber)) !== c.blockHash) return { reorg: { chainId: c.chainId, fromBlock: c.blockNumber } };
      }
    }
    const batch = appliedBatch(checkpoints, cps, await reader.ledgerAfter(watched, opts.ledgerBatchLimit), opts.ledgerBatchLimit);
    const touched = new Set<Hex>();
    let pricesMoved = false;
    const priceChains = new Set<ChainId>();
    let marketsMoved = false;
    let fundsMoved = false;
    for (const r of batch.rows) {
      if (r.account !== null) touched.add(r.account);
      if (r.kind === "PRICE") {
        pricesMoved = true;
        priceChains.add(r.chainId);
      }
      if (r.kind === "FUNDING" || r.kind === "MARKET_LISTED" || r.kind === "MARKET_MODE" || r.kind === "MAX_LEVERAGE") marketsMoved = true;
      if (r.kind === "INSURANCE_FUNDED" || r.kind === "INSURANCE_PAID") fundsMoved = true;
    }
    const [accountRows, prices, mkts, funds, fresh] = await Promise.all([
      touched.size > 0 ? reader.accountRows([...touched]) : null,
      pricesMoved ? reader.latestPrices() : null,
      marketsMoved ? reader.markets() : null,
      fundsMoved ? reader.insuranceFunds() : null,
      pricesMoved ? readRounds(nowSeconds(), roundsReadFrom(priceChains)) : null,
    ]);
    return { storeCheckpoints: cpMap, batch, accountRows, prices, markets: mkts, funds, rounds: fresh };
  }

  /**
   * One step of following the indexer. Reads first (readPoll), then applies in one synchronous
   * step (a re-screen of the whole book after a volatility change is computed in slices first and
   * swapped in at the end), so a reader never sees rows of a block under an older stamp or the
   * stamp of a block whose rows are not applied. The book's time frame (`now` and each chain's
   * applied block) follows every poll; it re-prices accounts only when a chain's stepped data lag
   * or a stale flag moves (then only the holders on that chain or of that asset are re-screened).
   * So at every moment the book equals a full recompute of the store as of its `asOf()`.
   */
  async function poll(): Promise<void> {
    if (!loaded) return;
    const t0 = performance.now();
    const read = await readPoll();
    if ("reorg" in read) return reorgRebuild(read.reorg.chainId, read.reorg.fromBlock);
    await applyPoll(t0, read);
  }

  /**
   * Time alone: the store did not answer (or nobody asked it). `now` moves, the applied frame stays,
   * and the chains' data lags grow with `now` (stale past their limit): health only goes down.
   */
  function advanceTime(): Promise<void> {
    if (!loaded) return Promise.resolve();
    return applyPoll(performance.now(), null);
  }

  async function applyPoll(t0: number, read: PollRead | null): Promise<void> {
    const rows = read?.batch.rows ?? [];
    const cpMap = read?.batch.checkpoints ?? checkpoints;
    const now = nowSeconds();
    if (read !== null) latestCheckpoints = read.storeCheckpoints;
    // The time frame: `now` and the applied checkpoints, always. Time moves the numbers only through
    // the stepped data lags and the stale flags (timeKey); while those hold, the environment and
    // every cached report stay as they are.
    const volatilityDue = volatilityMissesRound || (volatilityDirty && (clock() < volatilityAt || clock() - volatilityAt >= opts.volatilityIntervalMs));
    const timeMoved = envTimeKey !== timeKey(now, cpMap, read?.prices ?? latestPrices);
    if (rows.length === 0 && !timeMoved && !volatilityDue) {
      checkpoints = cpMap;
      envNow = now;
      return;
    }
    // What the new rows touch.
    const touched = new Set<Hex>();
    const causes = new Map<Hex, Cause>();
    let priceCause: Cause | null = null;
    for (const r of rows) {
      cursors.set(r.chainId, { chainId: r.chainId, blockNumber: r.blockNumber, logIndex: r.logIndex, blockHash: r.blockHash });
      if (r.account !== null) {
        touched.add(r.account);
        causes.set(r.account, { chainId: r.chainId, blockNumber: r.blockNumber, timestamp: r.timestamp });
      }
      if (r.kind === "PRICE" && (priceCause === null || r.timestamp > priceCause.timestamp)) priceCause = { chainId: null, blockNumber: null, timestamp: r.timestamp };
    }
    const prices = read?.prices ?? null;
    const mkts = read?.markets ?? null;
    if (read?.rounds) mergeRounds(now, read.rounds);
    if (read?.funds) insurance = read.funds;
    if (mkts !== null) markets = mkts;
    if (prices !== null) latestPrices = prices;
    const volChanged = refreshVolatility(false);

    const marksBefore = env === null ? new Map<string, string>() : markSignature(env);
    const lagsBefore = env === null ? new Map<ChainId, string>() : lagSignature(env);
    const fundingBefore = envInput?.fundingIndexX18 ?? {};
    // The environment (and with it every cached report) changes only with its inputs: the stepped
    // lags and stale flags, prices, markets (funding) and volatility. A deposit alone keeps it.
    const rebuild = env === null || timeMoved || prices !== null || mkts !== null || volChanged;
    const defaultCause: Cause = priceCause ?? { chainId: null, blockNumber: null, timestamp: now };
    if (volChanged) {
      // Every haircut moved: stage the account changes, screen everything in slices, then swap.
      const built = buildEnvironment(now, cpMap);
      const staged = read?.accountRows ? stageStates(read.accountRows, touched) : [];
      const screens = await screener.screenAllSlotsSliced(built.env);
      commitStates(staged);
      checkpoints = cpMap;
      commitEnvironment(built);
      return finishRescreen(t0, screens, defaultCause, causes);
    }
    checkpoints = cpMap;
    if (rebuild) commitEnvironment(buildEnvironment(now, cpMap));
    else envNow = now;
    // Chains whose stepped lag or staleness moved: their holders are re-screened.
    const movedChains: ChainId[] = [];
    for (const [chainId, sig] of lagSignature(env!)) if (lagsBefore.get(chainId) !== sig) movedChains.push(chainId);

    // Assets whose mark moved (or became stale/fresh), markets whose funding index moved.
    const moved = new Set<string>();
    const marksAfter = markSignature(env!);
    for (const [asset, sig] of marksAfter) if (marksBefore.get(asset) !== sig) moved.add(asset);
    const fundingAfter = envInput!.fundingIndexX18;
    for (const key of new Set([...Object.keys(fundingBefore), ...Object.keys(fundingAfter)])) {
      if (fundingBefore[key] !== fundingAfter[key]) {
        const asset = config.markets[key]?.asset;
        if (asset !== undefined) moved.add(asset);
      }
    }

    if (read?.accountRows) commitStates(stageStates(read.accountRows, touched));
    // Slots to re-screen, each once: the touched accounts, the holders of moved assets (straight from
    // the compiled holder lists) and the accounts on chains whose data lag moved.
    const slots: number[] = [];
    if (seenScratch.length < screener.slotCount()) seenScratch = new Uint8Array(Math.max(screener.slotCount(), seenScratch.length * 2));
    const seen = seenScratch;
    const listSlot = (address: Hex) => {
      const slot = entries.get(address)?.slot;
      if (slot !== undefined && slot >= 0 && seen[slot] === 0) {
        seen[slot] = 1;
        slots.push(slot);
      }
    };
    for (const address of touched) listSlot(address);
    if (moved.size > 0) screener.holderSlots([...moved], seen, slots);
    if (movedChains.length > 0) for (const holder of screener.holdersOnChains(movedChains)) listSlot(holder);
    for (let k = 0; k < slots.length; k++) seen[slots[k]] = 0;

    const changes: TierChange[] = [];
    const recomputed: Hex[] = [];
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k];
      const entry = bySlot[slot];
      if (entry === undefined) continue;
      const screen = screener.screenSlot(slot, env!);
      const before = entry.isNew ? null : entry.screen;
      entry.screen = screen;
      delete entry.isNew;
      ranking.set(entry.address, screen.tier, screen.healthFactor, slot);
      recomputed.push(entry.address);
      if (before === null || before.tier !== screen.tier) {
        pushChange(changes, recordTierChange(entry.address, before?.tier ?? null, screen, causes.get(entry.address) ?? defaultCause));
      }
    }
    systemDirty = true;
    if (rows.length === 0 && recomputed.length === 0) return; // only the frame's block numbers moved
    finishUpdate(t0, recomputed, changes, null, false);
  }

  type MutableEntry = Entry;
  interface StagedState {
    address: Hex;
    state: AccountState;
    /** the compiled slot now; -1 when the compiled book dropped the account (invalid state) */
    slot: number;
  }

  /** Puts the new states into the compiled book (what screening reads); the entries keep theirs until commitStates. */
  function stageStates(accountRows: AccountRows, touched: Set<Hex>): StagedState[] {
    const states = buildAccountStates(accountRows, config, priceDecimals);
    const staged: StagedState[] = [];
    for (const address of touched) {
      const state = states.get(address) ?? emptyAccount(address);
      let slot: number;
      try {
        slot = screener.set(address, state)!;
      } catch (error) {
        // the compiled book dropped the account (invalid state): keep its last screen, out of every tick
        staged.push({ address, state, slot: -1 });
        commitStates(staged);
        throw error;
      }
      staged.push({ address, state, slot });
    }
    return staged;
  }

  function commitStates(staged: readonly StagedState[]): void {
    for (const { address, state, slot } of staged) {
      const known = entries.get(address) as MutableEntry | undefined;
      reportCache.delete(address);
      if (slot < 0) {
        if (known !== undefined && known.slot >= 0) {
          if (bySlot[known.slot] === known) bySlot[known.slot] = undefined;
          known.slot = -1;
        }
        continue;
      }
      if (known === undefined) {
        const fresh: MutableEntry = { address, slot, state, screen: placeholderScreen(), chainIds: chainIdsOf(state), isNew: true };
        entries.set(address, fresh);
        bySlot[slot] = fresh;
      } else {
        if (known.slot !== slot) {
          if (known.slot >= 0 && bySlot[known.slot] === known) bySlot[known.slot] = undefined;
          known.slot = slot;
        }
        bySlot[slot] = known;
        known.state = state;
        known.chainIds = chainIdsOf(state);
      }
    }
  }

  /** Every account's new screen (computed in slices that let HTTP answers through) swapped in at once. */
  function finishRescreen(t0: number, screens: readonly (AccountScreen | null)[], cause: Cause, causes?: Map<Hex, Cause>): void {
    const changes: TierChange[] = [];
    for (const [address, entry] of entries as Map<Hex, MutableEntry>) {
      const screen = entry.slot >= 0 ? screens[entry.slot] : null;
      if (screen === null || screen === undefined) continue;
      const before = entry.isNew ? null : entry.screen;
      entry.screen = screen;
      delete entry.isNew;
      if (before === null || before.tier !== screen.tier) pushChange(changes, recordTierChange(address, before?.tier ?? null, screen, causes?.get(address) ?? cause));
    }
    resetRanking();
    systemDirty = true;
    finishUpdate(t0, [...entries.keys()], changes, null, true);
  }

  /** The ranking from every entry's screen, keyed by compiled slot (no address hashing on later ticks). */
  function resetRanking(): void {
    const list: { address: Hex; tier: Tier; healthFactor: number | null; slot: number }[] = [];
    for (const e of entries.values()) if (e.slot >= 0) list.push({ address: e.address, tier: e.screen.tier, healthFactor: e.screen.healthFactor, slot: e.slot });
    ranking.reset(list);
  }

  async function reorgRebuild(chainId: ChainId, fromBlock: bigint): Promise<void> {
    await loadAll({ chainId, blockNumber: fromBlock, timestamp: nowSeconds() }, { chainId, fromBlock });
  }
  // ---------------------------------------------------------------- events

  function pushChange(changes: TierChange[], change: TierChange | null): void {
    if (change !== null) changes.push(change);
  }

  /**
   * A change, or null when there is none: with a tier log, an account the book first sees (after
   * a restart: before the store has caught up) is compared with its last recorded tier.
   */
  function recordTierChange(address: Hex, fromSeen: Tier | null, screen: AccountScreen, cause: Cause): TierChange | null {
    let from = fromSeen;
    if (from === null && recordedTiers !== null) {
      from = recordedTiers.get(address) ?? null;
      if (from === screen.tier) return null;
    }
    if (recordedTiers !== null) recordedTiers.set(address, screen.tier);
    const change: TierChange = {
      // a replica's own changes are not kept or pushed (it serves the writer's): seq 0
      seq: following ? 0 : ++seq,
      address,
      from,
      to: screen.tier,
      chainId: cause.chainId,
      blockNumber: cause.blockNumber,
      timestamp: cause.timestamp,
      healthFactor: screen.healthFactor,
    };
    if (following) return change;
    keepTierChange(change);
    if (tierLog !== null) unlogged.push(change);
    return change;
  }

  // Oldest changes are dropped in batches: one splice per maxTierChanges/8 changes, not one per
  // change (shifting 100,000 entries per change cost ~300 ms per price tick on a full book).
  function keepTierChange(change: TierChange): void {
    tierChanges.push(change);
    if (tierChanges.length > opts.maxTierChanges + Math.max(1, opts.maxTierChanges >> 3)) trimTierChanges();
  }

  function trimTierChanges(): void {
    if (tierChanges.length > opts.maxTierChanges) tierChanges.splice(0, tierChanges.length - opts.maxTierChanges);
  }

  /** Writes what the log lacks, in order, one write at a time; a failed write is retried with the next. */
  function flushTierLog(): void {
    if (tierLog === null || following) return;
    const action = systemAction !== loggedAction ? systemAction : null;
    if (unlogged.length === 0 && action === null) return;
    const batch = unlogged.splice(0);
    if (action !== null) loggedAction = action;
    logWrites = logWrites.then(() =>
      tierLog.append(batch, action).catch((error: unknown) => {
        unlogged.unshift(...batch);
        if (action !== null && loggedAction === action) loggedAction = null;
        onError(error);
      }),
    );
  }

  /** A replica: the writer's changes since the last seen, kept and pushed to subscribers. */
  async function followTierLog(): Promise<void> {
    if (tierLog === null || !following) return;
    for (;;) {
      const rows = await tierLog.since(seq, 10_000);
      if (rows.length === 0) break;
      for (const c of rows) keepTierChange(c);
      seq = rows[rows.length - 1]!.seq;
      if (loaded) {
        const event: BookEvent = { type: "updated", touched: [], tierChanges: rows, asOf: asOf(), full: false };
        for (const l of listeners) deliver(l, event);
      }
      if (rows.length < 10_000) break;
    }
    const action = await tierLog.action();
    if (action !== null && action !== systemAction) {
      systemAction = action;
      systemDirty = true;
    }
  }

  function finishUpdate(t0: number, touched: Hex[], changes: TierChange[], reorg: { chainId: ChainId; fromBlock: bigint } | null, full: boolean): void {
    updates++;
    flushTierLog();
    if (following) changes = []; // the writer's changes are pushed by followTierLog
    lastUpdateMs = performance.now() - t0;
    lastUpdateAt = clock();
    if (!loaded) {
      // The first load sets the baseline of every endangered watch; nothing to announce.
      for (const [threshold, set] of endangeredSets) for (const e of ranking.top(threshold, Number.MAX_SAFE_INTEGER)) set.add(e.address);
      return;
    }
    const events: BookEvent[] = [];
    if (reorg !== null) events.push({ type: "reorg", chainId: reorg.chainId, fromBlock: reorg.fromBlock });
    events.push({ type: "updated", touched, tierChanges: changes, asOf: asOf(), full });
    const endangeredEvents = new Map<number, BookEvent>();
    for (const [threshold, set] of endangeredSets) {
      const entered: AccountListEntry[] = [];
      const left: Hex[] = [];
      // `touched` lists each address once; a full update also looks at members that left the book
      const candidates: Iterable<Hex> = full ? [...entries.keys(), ...[...set].filter((a) => !entries.has(a))] : touched;
      for (const address of candidates) {
        const screen = entries.get(address)?.screen;
        const inside = screen !== undefined && isEndangered(screen, threshold);
        if (inside && !set.has(address)) {
          set.add(address);
          entered.push({ address, screen: screen! });
        } else if (!inside && set.has(address)) {
          set.delete(address);
          left.push(address);
        }
      }
      if (entered.length > 0 || left.length > 0) {
        entered.sort((a, b) => endangeredOrder(a.screen, b.screen) || (a.address < b.address ? -1 : 1));
        endangeredEvents.set(threshold, { type: "endangered", entered, left: left.sort(), maxHealthFactor: threshold });
      }
    }
    for (const listener of listeners) {
      for (const event of events) deliver(listener, event);
      if (listener.endangeredMaxHealthFactor !== undefined) {
        const e = endangeredEvents.get(listener.endangeredMaxHealthFactor);
        if (e !== undefined) deliver(listener, e);
      }
    }
  }

  function deliver(listener: Listener, event: BookEvent): void {
    try {
      listener.fn(event);
    } catch (error) {
      onError(error);
    }
  }

  // ---------------------------------------------------------------- system risk

  /**
   * System risk, lazily: totals whenever the book changed since the last answer; the stress library
   * synchronously only the first time (or when forced), afterwards refreshed in the background —
   * one scenario per macrotask — when the book changed since the library was started and at most
   * every `stressIntervalMs`. Until a refresh lands, answers carry the previous library.
   */
  function computeSystem(forceStress: boolean): SystemRisk {
    if (env === null || envInput === null) throw new BookError("BOOK_NOT_READY", "The risk book has not loaded the store yet. Await book.ready (after book.start()) before reading it.");
    if (forceStress || library === null) runLibraryNow();
    else maybeRefreshLibrary();
    if (!systemDirty && system !== null) return system;
    system = buildSystemRisk({
      config,
      env,
      accounts: [...entries].map(([address, e]) => ({ address, state: e.state, screen: e.screen })),
      insurance,
      library: library!,
      previousAction: systemAction,
    });
    systemAction = system.action;
    systemDirty = false;
    flushTierLog();
    return system;
  }

  function runLibraryNow(): void {
    libraryGeneration++; // a background run in flight is superseded
    libraryRun = null;
    library = runLibrary(screener, config, envInput!, defaultLibrary(config, volatility), env!);
    libraryVersion = updates;
    libraryAt = clock();
    systemDirty = true;
  }

  function maybeRefreshLibrary(): void {
    const t = clock();
    if (libraryRun !== null || stopped || (library !== null && libraryVersion === updates)) return;
    if (t >= libraryAt && t - libraryAt < opts.stressIntervalMs) return;
    const generation = ++libraryGeneration;
    const version = updates;
    libraryAt = t;
    const scenarios = defaultLibrary(config, volatility);
    // Each scenario reads the book as it is when it runs (updates may land in between).
    const run = runScenariosSliced(scenarios, (scenario) => runStress(screener, config, envInput!, scenario, env!), {
      isCancelled: () => stopped || generation !== libraryGeneration,
    })
      .then((results) => {
        if (results === null || generation !== libraryGeneration) return;
        library = results;
        libraryVersion = version;
        systemDirty = true;
      })
      .catch((error) => onError(error))
      .finally(() => {
        if (generation === libraryGeneration) libraryRun = null;
      });
    libraryRun = run;
  }

  // ---------------------------------------------------------------- helpers

  /** chain statuses and asOf for one (time frame, checkpoints, environment): every request reads them */
  let statusMemo: { now: number; checkpoints: Map<ChainId, CheckpointRow>; env: PreparedEnv | null; chains: readonly ChainStatus[]; asOf: AsOf } | null = null;

  function chainStatuses(): readonly ChainStatus[] {
    return statusesNow().chains;
  }

  function asOf(): AsOf {
    return statusesNow().asOf;
  }

  function statusesNow() {
    if (statusMemo !== null && statusMemo.now === envNow && statusMemo.checkpoints === checkpoints && statusMemo.env === env) return statusMemo;
    const now = envNow;
    const chains = Object.values(config.chains)
      .map((chain): ChainStatus => {
        const cp = checkpoints.get(chain.chainId);
        const blockTimestamp = cp?.blockTimestamp ?? 0;
        const lagSeconds = cp === undefined ? now : Math.max(0, now - blockTimestamp);
        const used = env?.chains[chain.chainId];
        return Object.freeze({
          chainId: chain.chainId,
          name: cp?.chainName ?? chain.name,
          blockNumber: cp?.blockNumber ?? 0n,
          blockTimestamp,
          lagSeconds,
          haircutLagSeconds: used?.measuredLagSeconds ?? steppedLagSeconds(lagSeconds, config.params.lagStepSeconds),
          liquidationLatencySeconds: chain.liquidationLatencySeconds,
          maxDataLagSeconds: chain.maxDataLagSeconds,
          stale: used?.stale ?? (cp === undefined || lagSeconds > chain.maxDataLagSeconds),
        });
      })
      .sort((a, b) => a.chainId - b.chainId);
    Object.freeze(chains);
    statusMemo = { now, checkpoints, env, chains, asOf: Object.freeze({ now, chains }) };
    return statusMemo;
  }

  function requireLoaded(): void {
    if (!loaded) throw new BookError("BOOK_NOT_READY", "The risk book has not loaded the store yet. Await book.ready (after book.start()) before reading it.");
  }

  function schedule(): void {
    if (stopped || opts.pollIntervalMs <= 0) return;
    timer = setTimeout(() => {
      timer = null;
      void step().finally(schedule);
    }, opts.pollIntervalMs);
  }

  /** Time moves even when nothing polls (pollIntervalMs 0 and no commits) or the store hangs. */
  function scheduleClock(): void {
    if (stopped || !(opts.clockIntervalMs > 0)) return;
    clockTimer = setInterval(() => {
      if (inFlight > 0 || performance.now() - lastStepAt < opts.clockIntervalMs) return;
      void serialize(advanceTime);
    }, opts.clockIntervalMs);
    clockTimer.unref?.();
  }

  /** A poll; when the store fails (or times out) the frame stays and time moves on. */
  function step(): Promise<void> {
    return serialize(() =>
      poll()
        .then(followTierLog)
        .catch((error: unknown) => {
          onError(error);
          return advanceTime();
        }),
    );
  }

  function serialize(task: () => Promise<void>): Promise<void> {
    inFlight++;
    running = running
      .then(task)
      .catch((error) => onError(error))
      .finally(() => {
        inFlight--;
        lastStepAt = performance.now();
      });
    return running;
  }

  // ---------------------------------------------------------------- the view

  const book: RiskBook = {
    ready,
    async start() {
      if (started) return ready;
      started = true;
      stopped = false;
      try {
        if (tierLog !== null) {
          const recorded = await tierLog.load(opts.maxTierChanges);
          seq = recorded.lastSeq;
          for (const c of recorded.recent) keepTierChange(c);
          systemAction = recorded.action;
          loggedAction = recorded.action;
          if (!following) recordedTiers = recorded.tiers;
        }
        running = loadAll(null, null).then(() => {
          loaded = true;
        });
        await running;
        resolveReady();
        maybeRefreshLibrary(); // warm the stress library in the background: the first system() need not wait
      } catch (error) {
        rejectReady(error);
        throw error;
      }
      schedule();
      scheduleClock();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (clockTimer !== null) clearInterval(clockTimer);
      clockTimer = null;
      await running.catch(() => undefined);
      await libraryRun;
      flushTierLog();
      await logWrites;
    },
    sync() {
      requireLoaded();
      return step();
    },
    refreshSystem() {
      requireLoaded();
      return computeSystem(true);
    },

    asOf() {
      requireLoaded();
      return asOf();
    },
    account(address) {
      requireLoaded();
      const key = address.toLowerCase() as Hex;
      const entry = entries.get(key);
      if (entry === undefined) return null;
      let report = reportCache.get(key);
      if (report === undefined) {
        report = evaluate(entry.state, env!);
        reportCache.set(key, report);
        if (reportCache.size > 10_000) reportCache.delete(reportCache.keys().next().value as Hex);
      }
      return report;
    },
    accountAt(address, time, historyOptions) {
      requireLoaded();
      return accountAt(historyReader, config, address, time, historyOptions);
    },
    listAccounts(filter, order, first, after) {
      requireLoaded();
      const matching: AccountListEntry[] = [];
      for (const [address, e] of entries) if (matchesFilter(e.screen, e.chainIds, filter)) matching.push({ address, screen: e.screen });
      const compare = compareForOrder(order);
      matching.sort(compare);
      let start = 0;
      if (after !== undefined && after !== null && after !== "") {
        const anchor = decodeCursor(after, order);
        // First entry strictly after the anchor in this order (stable under updates).
        let lo = 0;
        let hi = matching.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compare(matching[mid], anchor) <= 0) lo = mid + 1;
          else hi = mid;
        }
        start = lo;
      }
      const page = matching.slice(start, start + first);
      const last = page[page.length - 1];
      return {
        entries: page,
        hasNextPage: start + first < matching.length,
        endCursor: last === undefined ? null : encodeCursor(last, order),
        totalCount: matching.length,
      };
    },
    endangered(maxHealthFactor, first) {
      requireLoaded();
      return ranking.top(maxHealthFactor, first).map((e) => ({ address: e.address, screen: entries.get(e.address)!.screen }));
    },
    system() {
      requireLoaded();
      return computeSystem(false);
    },
    chains() {
      requireLoaded();
      return chainStatuses();
    },
    environment() {
      return loaded ? env : null;
    },
    chainExposure() {
      requireLoaded();
      if (exposure === null || exposure.version !== updates || exposure.env !== env) {
        const marks: Record<string, Decimal | null> = {};
        for (const m of Object.values(env!.marks)) marks[m.asset] = m.priceUsd;
        const chainIds = Object.values(config.chains).map((c) => c.chainId).sort((a, b) => a - b);
        exposure = { version: updates, env, value: chainExposures(Array.from(entries.values(), (e) => e.state), marks, chainIds) };
      }
      return exposure.value;
    },
    marks(): MarkPrice[] {
      requireLoaded();
      return Object.values(env!.marks).sort((a, b) => (a.asset < b.asset ? -1 : 1));
    },
    volatility() {
      requireLoaded();
      return volatility!;
    },
    runScenario(scenario: StressScenario) {
      requireLoaded();
      return runStress(screener, config, envInput!, scenario, env!);
    },
    actionThresholds() {
      return config.params.thresholds;
    },
    liquidationCurve(request: LiquidationCurveRequest) {
      requireLoaded();
      const { curve, stamp } = curves.get(updates, env, request, () => ({
        curve: computeLiquidationCurve(screener.book, config, envInput!, request, { baseEnv: env! }),
        stamp: { asOf: book.asOf(), marks: book.marks() },
      }));
      return { ...curve, asOf: stamp.asOf, marks: stamp.marks };
    },
    liquidationCurveSliced(request: LiquidationCurveRequest) {
      requireLoaded();
      const hit = curves.peek(updates, env, request);
      if (hit) return Promise.resolve({ ...hit.curve, asOf: hit.stamp.asOf, marks: hit.stamp.marks });
      const key = CurveCache.key(request);
      const running = curvesInFlight.get(key);
      if (running) return running;
      const plan = curvePlan(request, config); // throws ScenarioError for a bad request, before any work
      const version = updates;
      const startEnv = env!;
      const stamp = { asOf: book.asOf(), marks: book.marks() };
      const run = scenarioRunner(screener.book, config, envInput!, CURVE_STRESS_OPTIONS(startEnv));
      const computing = runScenariosSliced(plan.scenarios, run, { isCancelled: () => stopped })
        .then((results) => {
          if (results === null) throw new BookError("BOOK_NOT_READY", "The risk book stopped while computing the liquidation curve (it is being replaced); retry in a moment.");
          const curve = curveFromResults(plan, results);
          curves.put(version, startEnv, request, { curve, stamp });
          return { ...curve, ...stamp };
        })
        .finally(() => curvesInFlight.delete(key));
      curvesInFlight.set(key, computing);
      return computing;
    },
    stressLibrary() {
      requireLoaded();
      computeSystem(false);
      return library!;
    },
    tierChanges(q) {
      trimTierChanges();
      const out: TierChange[] = [];
      for (const c of tierChanges) {
        if (q.after !== undefined && c.seq <= q.after) continue;
        if (q.from !== undefined && c.timestamp < q.from) continue;
        if (q.to !== undefined && c.timestamp > q.to) continue;
        if (q.tier !== undefined && c.to !== q.tier) continue;
        out.push(c);
        if (out.length >= q.first) break;
      }
      return out;
    },
    accountHistory(address, from, to, bucketSeconds, historyOptions): Promise<HistoryPoint[]> {
      requireLoaded();
      return accountHistory(historyReader, config, address, from, to, bucketSeconds, historyOptions);
    },
    systemHistory(from, to, bucketSeconds, historyOptions): Promise<SystemHistoryPoint[]> {
      requireLoaded();
      return systemHistory(historyReader, config, from, to, bucketSeconds, historyOptions);
    },
    subscribe(fn, subscribeOptions?: SubscribeOptions) {
      const listener: Listener = { fn, endangeredMaxHealthFactor: subscribeOptions?.endangeredMaxHealthFactor };
      const threshold = listener.endangeredMaxHealthFactor;
      if (threshold !== undefined && !endangeredSets.has(threshold)) {
        const set = new Set<Hex>();
        if (loaded) for (const e of ranking.top(threshold, Number.MAX_SAFE_INTEGER)) set.add(e.address);
        endangeredSets.set(threshold, set);
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (threshold !== undefined && ![...listeners].some((l) => l.endangeredMaxHealthFactor === threshold)) endangeredSets.delete(threshold);
      };
    },
    stats() {
      return { accounts: entries.size, lastUpdateMs, updates, lastUpdateAt };
    },
  };
  return book;
}

// ---------------------------------------------------------------- pure helpers

function priceDecimalsIn(prices: readonly LatestPriceRow[], chainId: ChainId, asset: string): number {
  return prices.find((p) => p.chainId === chainId && p.asset === asset)?.decimals ?? prices.find((p) => p.asset === asset)?.decimals ?? DEFAULT_PRICE_DECIMALS;
}

function isEndangered(screen: AccountScreen, maxHealthFactor: number): boolean {
  return screen.healthFactor !== null && screen.healthFactor < maxHealthFactor;
}

const TIER_ORDER: Record<Tier, number> = { INSOLVENT: 0, LIQUIDATABLE: 1, MARGIN_CALL: 2, SAFE: 3 };
function endangeredOrder(a: AccountScreen, b: AccountScreen): number {
  return TIER_ORDER[a.tier] - TIER_ORDER[b.tier] || (a.healthFactor ?? Infinity) - (b.healthFactor ?? Infinity);
}

function chainIdsOf(state: AccountState): ChainId[] {
  const ids = new Set<ChainId>();
  for (const i of state.collateral) ids.add(i.chainId);
  for (const i of state.debt) ids.add(i.chainId);
  for (const p of state.positions) ids.add(p.chainId);
  return [...ids].sort((a, b) => a - b);
}

/** Per chain the stepped lag and staleness the haircuts were built with. */
function lagSignature(env: PreparedEnv): Map<ChainId, string> {
  const out = new Map<ChainId, string>();
  for (const c of Object.values(env.chains)) out.set(c.chainId, `${c.measuredLagSeconds}|${c.stale ? 1 : 0}`);
  return out;
}

function markSignature(env: PreparedEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of Object.values(env.marks)) out.set(m.asset, `${m.priceUsd?.toString() ?? "none"}|${m.sources.map((s) => `${s.chainId}:${s.stale ? 1 : 0}${s.divergent ? 1 : 0}`).join(",")}`);
  return out;
}

/** What of an estimate moves haircuts and the portfolio view (not its asOf). */
function volatilitySignature(v: VolatilityEstimate): string {
  return JSON.stringify([v.assets, v.sigmaAnnual, v.covarianceAnnual]);
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function placeholderScreen(): AccountScreen {
  return { tier: "SAFE", healthMUsd: 0, healthIUsd: 0, equityUsd: 0, healthFactor: null, collateralUsd: 0, debtUsd: 0, degraded: false };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

