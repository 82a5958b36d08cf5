/**
 * The tier-change log, rebuilt from the ledger: the same ledger gives the same list and the same
 * cursors on every replica and after every restart.
 *
 * It replays the ledger and the oracle rounds in time order (timestamp, chain, block, logIndex) and
 * evaluates at **evaluation points**: every second that holds a ledger row or an oracle round, and
 * every multiple of `volatilityStepSeconds`. At a point t, the environment is a function of the
 * data up to t alone: latest rounds ≤ t, markets and funding from the ledger, volatility estimated
 * at the grid time ⌊t / step⌋·step, and every chain known up to t (data lag 0: the log says what the
 * chain said at its block time; a stalled indexer is the live book's business, not history's).
 * At each point it re-screens the accounts its rows touched, the holders of assets whose mark
 * (price, staleness, divergence) or funding moved, and everyone when volatility moved; each account
 * whose tier differs from its tier at the previous point is one change. Changes of one second are
 * one point: a tier left and re-entered within the same second is not seen.
 *
 * The log only evaluates up to the **watermark**: the oldest applied checkpoint time over the
 * chains, so a later row can never land before a point already evaluated (a reorg reloads the log).
 * A stalled chain holds the log back (the live book's tiers and endangered feed do not wait).
 *
 * At load it starts from an origin ⌊(watermark − windowSeconds) / step⌋·step: the ledger before it
 * is replayed without evaluation, the tiers at the origin are the baseline (not entries), and every
 * point after it is evaluated. Because the environment between two points does not move and the
 * origin is itself a point, a log loaded later (a later origin) has exactly the entries of an older
 * one after its own origin. Cursors name the cause: (t, chain, block, logIndex, address); a change
 * with no ledger row of its own (a price move, volatility) uses chain, block and logIndex 0.
 */
import type { AccountScreen, ChainId, Hex, RiskConfig, Tier, VolatilityEstimate } from "../../risk/types.js";
import type { AccountRows, LatestPriceRow, LedgerRow, PriceRoundRow, TokenRow } from "./reader.js";
import type { TierChange } from "./types.js";
import { applyLedgerRow, createReplayState, tokenDirectory, type ReplayState, type TokenDirectory } from "./replay.js";
import { buildAccountStates, DEFAULT_PRICE_DECIMALS, emptyAccount } from "./accountState.js";
import { Screener, environmentInput, estimateBookVolatility, prepare, volatilityLookbackSeconds, type PreparedEnv } from "./core.js";
import { BookError } from "./errors.js";

export interface TierLogOptions {
  config: RiskConfig;
  /** Seconds of ledger before the watermark evaluated at load, default 3600. */
  windowSeconds?: number;
  /** Volatility is re-estimated on this grid (seconds), default 300. */
  volatilityStepSeconds?: number;
  /** Entries kept (oldest dropped first), default 100,000. */
  maxEntries?: number;
}

export interface TierLogLoad {
  /** every ledger row with timestamp ≤ watermark, in (timestamp, chain, block, logIndex) order */
  ledger: readonly LedgerRow[];
  /** oracle rounds with origin − lookback ≤ updatedAt ≤ watermark, and the latest one per (chain, asset) before that */
  rounds: readonly PriceRoundRow[];
  tokens: readonly TokenRow[];
  watermark: number;
  /** keep this origin (a reload after a reorg); default from the watermark and the window */
  origin?: number;
  /** called every few thousand points while loading */
  onProgress?: (done: number, total: number) => void;
}

export interface TierQuery {
  from?: number;
  to?: number;
  tier?: Tier;
  first: number;
  after?: string;
}

type Key = [number, number, bigint, number, string];

interface Cause {
  chainId: ChainId;
  blockNumber: bigint;
  logIndex: number;
}

const CURSOR = /^(\d{1,12}):(\d{1,12}):(\d{1,30}):(\d{1,9}):(0x[0-9a-f]{40})$/;

/** The cursor's position, or null when it is not a tier-change cursor. */
export function parseTierCursor(cursor: string): Key | null {
  const m = CURSOR.exec(cursor);
  if (m === null) return null;
  return [Number(m[1]), Number(m[2]), BigInt(m[3]), Number(m[4]), m[5]];
}

function cursorOf(k: Key): string {
  return `${k[0]}:${k[1]}:${k[2]}:${k[3]}:${k[4]}`;
}

function compareKeys(a: Key, b: Key): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0) || a[3] - b[3] || (a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0);
}

const compareLedger = (a: LedgerRow, b: LedgerRow) =>
  a.timestamp - b.timestamp || a.chainId - b.chainId || (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0) || a.logIndex - b.logIndex;
const compareRounds = (a: PriceRoundRow, b: PriceRoundRow) => a.updatedAt - b.updatedAt || a.chainId - b.chainId || (a.roundId < b.roundId ? -1 : a.roundId > b.roundId ? 1 : 0);
const roundKey = (r: PriceRoundRow) => `${r.chainId}:${r.asset}:${r.roundId}:${r.updatedAt}`;

export class TierLog {
  readonly windowSeconds: number;
  readonly volatilityStepSeconds: number;
  readonly maxEntries: number;
  private readonly config: RiskConfig;
  private readonly lookback: number;

  private state: ReplayState = createReplayState();
  private tokens: TokenDirectory = tokenDirectory([]);
  /** per account, the replay-state keys of its rows ("c"ollateral, "d"ebt, "k" cash, "p"osition) */
  private accountKeys = new Map<Hex, Set<string>>();
  private screener: Screener;
  private slotAddress: (Hex | undefined)[] = [];
  private tiers = new Map<Hex, Tier>();
  private latest = new Map<string, PriceRoundRow>();
  /** rounds of the volatility lookback, oldest first */
  private rounds: PriceRoundRow[] = [];
  private knownRounds = new Set<string>();
  private pendingRows: LedgerRow[] = [];
  private pendingRounds: PriceRoundRow[] = [];
  /** last evaluated time; rows and rounds at or before it are applied */
  private position = -Infinity;
  private originTime: number | null = null;
  private volatility: VolatilityEstimate | null = null;
  private volatilityGrid = -Infinity;
  private marks = new Map<string, string>();
  private funding: Record<string, bigint> = {};
  private log: { key: Key; change: TierChange }[] = [];
  private dropped = 0;

  constructor(options: TierLogOptions) {
    this.config = options.config;
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.volatilityStepSeconds = options.volatilityStepSeconds ?? 300;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.lookback = volatilityLookbackSeconds(this.config);
    this.screener = new Screener(this.config);
    if (!(this.volatilityStepSeconds >= 1) || !Number.isInteger(this.volatilityStepSeconds)) {
      throw new BookError("BOOK_INVALID_RANGE", `Invalid tier log volatility step ${this.volatilityStepSeconds}: expected a positive integer number of seconds.`, { volatilityStepSeconds: this.volatilityStepSeconds });
    }
  }

  /** The first evaluated time's predecessor (null before load). */
  origin(): number | null {
    return this.originTime;
  }

  /** Last time evaluated (the watermark reached). */
  evaluatedUntil(): number {
    return this.position;
  }

  /** The origin a load with this watermark starts from. */
  originFor(watermark: number): number {
    return this.align(Math.max(0, watermark - this.windowSeconds));
  }

  /** Rebuilds everything from the ledger (first load, or after a reorg with the same origin). */
  load(input: TierLogLoad): void {
    this.state = createReplayState();
    this.tokens = tokenDirectory(input.tokens);
    this.accountKeys = new Map();
    this.screener = new Screener(this.config);
    this.slotAddress = [];
    this.tiers = new Map();
    this.latest = new Map();
    this.rounds = [];
    this.knownRounds = new Set();
    this.log = [];
    this.dropped = 0;
    const origin = input.origin ?? this.originFor(input.watermark);
    this.originTime = origin;

    // The ledger before the origin: replayed, not evaluated.
    let i = 0;
    const ledger = input.ledger;
    for (; i < ledger.length && ledger[i].timestamp <= origin; i++) this.applyRow(ledger[i]);
    const rounds = [...input.rounds].sort(compareRounds);
    let j = 0;
    for (; j < rounds.length && rounds[j].updatedAt <= origin; j++) this.addRound(rounds[j]);

    // The baseline at the origin.
    this.volatilityGrid = origin;
    this.volatility = estimateBookVolatility(this.rounds, this.config, origin);
    const env = this.environment(origin);
    this.marks = markSignature(env);
    this.funding = { ...env.fundingIndexX18 };
    const addresses = [...this.accountKeys.keys()].sort();
    this.screener.reset(addresses.map((a) => this.stateOf(a)));
    const screens = this.screener.screenAllSlots(env.prepared);
    for (const address of addresses) {
      const slot = this.screener.slotOf(address)!;
      this.slotAddress[slot] = address;
      const screen = screens[slot];
      if (screen) this.tiers.set(address, screen.tier);
    }
    this.position = origin;
    this.pendingRows = ledger.slice(i);
    this.pendingRounds = rounds.slice(j).filter((r) => !this.knownRounds.has(roundKey(r)));
    this.evaluate(input.watermark, input.onProgress);
  }

  /**
   * New ledger rows and rounds (any order; rows at or before the evaluated time are a reorg's
   * business and ignored), then evaluation up to the watermark. Returns the new entries.
   */
  advance(rows: readonly LedgerRow[], rounds: readonly PriceRoundRow[], watermark: number): TierChange[] {
    if (this.originTime === null) return [];
    for (const r of rows) if (r.timestamp > this.position) this.pendingRows.push(r);
    for (const r of rounds) if (r.updatedAt > this.position && !this.knownRounds.has(roundKey(r))) this.pendingRounds.push(r);
    const before = this.log.length + this.dropped;
    this.evaluate(watermark);
    const added = this.log.length + this.dropped - before;
    return added <= 0 ? [] : this.log.slice(Math.max(0, this.log.length - added)).map((e) => e.change);
  }

  /** Entries in log order, filtered; `after` a cursor of this log (or any replica's). */
  page(q: TierQuery): TierChange[] {
    let start = 0;
    if (q.after !== undefined) {
      const key = parseTierCursor(q.after);
      if (key === null) throw new BookError("BOOK_INVALID_CURSOR", `Tier-change cursor "${q.after.slice(0, 80)}" is invalid; pass the endCursor (or an entry's cursor) of a previous page.`, { cursor: q.after.slice(0, 80) });
      let lo = 0;
      let hi = this.log.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareKeys(this.log[mid].key, key) <= 0) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const out: TierChange[] = [];
    for (let k = start; k < this.log.length && out.length < q.first; k++) {
      const c = this.log[k].change;
      if (q.from !== undefined && c.timestamp < q.from) continue;
      if (q.to !== undefined && c.timestamp > q.to) break;
      if (q.tier !== undefined && c.to !== q.tier) continue;
      out.push(c);
    }
    return out;
  }

  size(): number {
    return this.log.length;
  }

  // ---------------------------------------------------------------- evaluation

  private align(t: number): number {
    return Math.floor(t / this.volatilityStepSeconds) * this.volatilityStepSeconds;
  }

  private evaluate(watermark: number, onProgress?: (done: number, total: number) => void): void {
    if (!(watermark > this.position)) return;
    this.pendingRows.sort(compareLedger);
    this.pendingRounds.sort(compareRounds);
    let ri = 0;
    let qi = 0;
    let grid = this.align(this.position) + this.volatilityStepSeconds;
    const total = onProgress === undefined ? 0 : this.countPoints(watermark);
    let done = 0;
    for (;;) {
      const nextRow = ri < this.pendingRows.length ? this.pendingRows[ri].timestamp : Infinity;
      const nextRound = qi < this.pendingRounds.length ? this.pendingRounds[qi].updatedAt : Infinity;
      const t = Math.min(nextRow, nextRound, grid);
      if (t > watermark) break;
      const rowsAt: LedgerRow[] = [];
      while (ri < this.pendingRows.length && this.pendingRows[ri].timestamp === t) rowsAt.push(this.pendingRows[ri++]);
      while (qi < this.pendingRounds.length && this.pendingRounds[qi].updatedAt === t) this.addRound(this.pendingRounds[qi++]);
      if (t === grid) grid += this.volatilityStepSeconds;
      this.point(t, rowsAt);
      this.position = t;
      if (onProgress !== undefined && ++done % 2000 === 0) onProgress(done, total);
    }
    this.position = Math.max(this.position, watermark);
    this.pendingRows = this.pendingRows.slice(ri);
    this.pendingRounds = this.pendingRounds.slice(qi);
    if (onProgress !== undefined) onProgress(done, total);
  }

  private countPoints(watermark: number): number {
    const times = new Set<number>();
    for (const r of this.pendingRows) if (r.timestamp <= watermark) times.add(r.timestamp);
    for (const r of this.pendingRounds) if (r.updatedAt <= watermark) times.add(r.updatedAt);
    for (let g = this.align(this.position) + this.volatilityStepSeconds; g <= watermark; g += this.volatilityStepSeconds) times.add(g);
    return times.size;
  }

  /** One evaluation point: rows at t applied (rounds already added), then the re-screen. */
  private point(t: number, rowsAt: readonly LedgerRow[]): void {
    const causes = new Map<Hex, Cause>();
    for (const row of rowsAt) {
      const account = this.applyRow(row);
      if (account !== null) causes.set(account, { chainId: row.chainId, blockNumber: row.blockNumber, logIndex: row.logIndex });
    }
    const grid = this.align(t);
    let volatilityMoved = false;
    if (grid !== this.volatilityGrid) {
      this.volatilityGrid = grid;
      const next = estimateBookVolatility(this.rounds.filter((r) => r.updatedAt <= grid), this.config, grid);
      volatilityMoved = this.volatility === null || volatilitySignature(this.volatility) !== volatilitySignature(next);
      this.volatility = next;
      this.trimRounds(grid);
    }
    const env = this.environment(t);
    const marks = markSignature(env);
    const moved = new Set<string>();
    for (const [asset, sig] of marks) if (this.marks.get(asset) !== sig) moved.add(asset);
    for (const key of new Set([...Object.keys(this.funding), ...Object.keys(env.fundingIndexX18)])) {
      if (this.funding[key] !== env.fundingIndexX18[key]) {
        const asset = this.config.markets[key]?.asset;
        if (asset !== undefined) moved.add(asset);
      }
    }
    this.marks = marks;
    this.funding = { ...env.fundingIndexX18 };

    for (const address of causes.keys()) {
      const slot = this.screener.set(address, this.stateOf(address));
      if (slot !== null) this.slotAddress[slot] = address;
    }
    const slots: number[] = [];
    const seen = new Uint8Array(this.screener.slotCount());
    if (volatilityMoved) {
      for (let s = 0; s < this.slotAddress.length; s++) if (this.slotAddress[s] !== undefined && seen[s] === 0) (seen[s] = 1), slots.push(s);
    } else {
      for (const address of causes.keys()) {
        const s = this.screener.slotOf(address);
        if (s !== undefined && seen[s] === 0) (seen[s] = 1), slots.push(s);
      }
      if (moved.size > 0) this.screener.holderSlots([...moved], seen, slots);
    }
    const found: { key: Key; change: TierChange }[] = [];
    for (const slot of slots) {
      const address = this.slotAddress[slot];
      if (address === undefined) continue;
      let screen: AccountScreen;
      try {
        screen = this.screener.screenSlot(slot, env.prepared);
      } catch {
        continue; // a freed slot
      }
      const before = this.tiers.get(address) ?? null;
      if (before === screen.tier) continue;
      this.tiers.set(address, screen.tier);
      const cause = causes.get(address);
      const key: Key = [t, cause?.chainId ?? 0, cause?.blockNumber ?? 0n, cause?.logIndex ?? 0, address];
      found.push({
        key,
        change: {
          seq: 0,
          cursor: cursorOf(key),
          address,
          from: before,
          to: screen.tier,
          chainId: cause?.chainId ?? null,
          blockNumber: cause?.blockNumber ?? null,
          timestamp: t,
          healthFactor: screen.healthFactor,
        },
      });
    }
    found.sort((a, b) => compareKeys(a.key, b.key));
    for (const e of found) {
      e.change.seq = this.dropped + this.log.length + 1;
      this.log.push(e);
    }
    if (this.log.length > this.maxEntries) {
      const cut = this.log.length - this.maxEntries;
      this.log.splice(0, cut);
      this.dropped += cut;
    }
  }

  private environment(t: number): { prepared: PreparedEnv; fundingIndexX18: Record<string, bigint> } {
    const prices: LatestPriceRow[] = [...this.latest.values()].map((r) => ({ ...r, blockNumber: 0n }));
    const chains = Object.values(this.config.chains).map((c) => ({ chainId: c.chainId, blockNumber: 0n, blockTimestamp: t }));
    const input = environmentInput(t, prices, chains, this.volatility, [...this.state.markets.values()], this.config);
    return { prepared: prepare(this.config, input), fundingIndexX18: input.fundingIndexX18 };
  }

  private applyRow(row: LedgerRow): Hex | null {
    applyLedgerRow(this.state, row, this.tokens);
    if (row.account === null) return null;
    const account = row.account.toLowerCase() as Hex;
    let keys = this.accountKeys.get(account);
    if (keys === undefined) this.accountKeys.set(account, (keys = new Set()));
    if (row.token !== null) {
      const k = `${row.chainId}:${account}:${row.token.toLowerCase()}`;
      if (this.state.collateral.has(k)) keys.add(`c${k}`);
      if (this.state.debt.has(k)) keys.add(`d${k}`);
    }
    if (this.state.cash.has(`${row.chainId}:${account}`)) keys.add(`k${row.chainId}:${account}`);
    if (row.marketId !== null && this.state.positions.has(`${row.chainId}:${account}:${row.marketId}`)) keys.add(`p${row.chainId}:${account}:${row.marketId}`);
    return account;
  }

  private stateOf(address: Hex) {
    const rows: AccountRows = { collateral: [], debt: [], cash: [], positions: [] };
    for (const k of this.accountKeys.get(address) ?? []) {
      const key = k.slice(1);
      if (k[0] === "c") rows.collateral.push(this.state.collateral.get(key)!);
      else if (k[0] === "d") rows.debt.push(this.state.debt.get(key)!);
      else if (k[0] === "k") rows.cash.push(this.state.cash.get(key)!);
      else rows.positions.push(this.state.positions.get(key)!);
    }
    const decimals = (chainId: ChainId, asset: string) => this.latest.get(`${chainId}:${asset}`)?.decimals ?? [...this.latest.values()].find((p) => p.asset === asset)?.decimals ?? DEFAULT_PRICE_DECIMALS;
    return buildAccountStates(rows, this.config, decimals).get(address) ?? emptyAccount(address);
  }

  private addRound(r: PriceRoundRow): void {
    const key = roundKey(r);
    if (this.knownRounds.has(key)) return;
    this.knownRounds.add(key);
    this.rounds.push(r);
    const k = `${r.chainId}:${r.asset}`;
    const known = this.latest.get(k);
    if (known === undefined || r.updatedAt > known.updatedAt || (r.updatedAt === known.updatedAt && r.roundId >= known.roundId)) this.latest.set(k, r);
  }

  private trimRounds(grid: number): void {
    const cut = grid - this.lookback;
    if (this.rounds.length === 0 || this.rounds[0].updatedAt >= cut) return;
    const kept = this.rounds.filter((r) => r.updatedAt >= cut);
    for (const r of this.rounds) if (r.updatedAt < cut) this.knownRounds.delete(roundKey(r));
    this.rounds = kept;
  }
}

/** The watermark: every chain has applied its blocks up to this time (the oldest checkpoint time). */
export function watermarkOf(checkpoints: Iterable<{ chainId: ChainId; blockTimestamp: number }>, config: RiskConfig): number {
  let w = Infinity;
  for (const cp of checkpoints) if (config.chains[cp.chainId] !== undefined) w = Math.min(w, cp.blockTimestamp);
  return w === Infinity ? -Infinity : w;
}

function markSignature(env: { prepared: PreparedEnv }): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of Object.values(env.prepared.marks)) out.set(m.asset, `${m.priceUsd?.toString() ?? "none"}|${m.sources.map((s) => `${s.chainId}:${s.stale ? 1 : 0}${s.divergent ? 1 : 0}`).join(",")}`);
  return out;
}

function volatilitySignature(v: VolatilityEstimate): string {
  return JSON.stringify([v.assets, v.sigmaAnnual, v.covarianceAnnual]);
}
