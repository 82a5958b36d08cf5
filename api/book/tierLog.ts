/**
 * Where the risk book keeps its tier changes and the system action's hysteresis state so that they
 * survive restarts: sequence numbers continue (a client's `after:` cursor keeps pointing at the same
 * change), the first load after a restart records what changed while the book was down (and the
 * first load ever records every account's first tier), and the system action resumes from its last
 * state instead of NORMAL.
 *
 * Two stores: a JSON-lines file beside the PGlite directory (`createFileTierLog`: PGlite has one
 * process, so one writer and no replicas) and, over Postgres, tables the indexing process writes
 * and `ponder serve` replicas read (`api/book/sqlTierLog.ts`), so every replica reads the same
 * changes under the same sequence numbers.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Hex, SystemAction, Tier } from "../../risk/types.js";
import { TIERS } from "../../risk/types.js";
import type { TierChange } from "./types.js";

/** What a tier log holds at load. */
export interface TierLogState {
  /** the highest sequence number ever given (0 when empty) */
  lastSeq: number;
  /** each account's last recorded tier */
  tiers: Map<Hex, Tier>;
  /** the system action last recorded, null when none was */
  action: SystemAction | null;
  /** the newest changes, oldest first (at most the `maxRecent` asked for) */
  recent: TierChange[];
}

export interface TierLog {
  /** "write": this process records changes (the indexing process); "follow": it reads them (a replica). */
  readonly mode: "write" | "follow";
  load(maxRecent: number): Promise<TierLogState>;
  /** Records changes (seq ascending, continuing lastSeq) and, when given, the system action. */
  append(changes: readonly TierChange[], action: SystemAction | null): Promise<void>;
  /** Changes with seq > `afterSeq`, oldest first, at most `limit` (replicas follow the writer with it). */
  since(afterSeq: number, limit: number): Promise<TierChange[]>;
  /** The system action last recorded. */
  action(): Promise<SystemAction | null>;
  close(): Promise<void>;
}

export class TierLogError extends Error {
  override readonly name = "TierLogError";
}

// ------------------------------------------------------------------ serialisation

interface ChangeLine {
  t: "c";
  seq: number;
  address: Hex;
  from: Tier | null;
  to: Tier;
  chainId: number | null;
  blockNumber: string | null;
  timestamp: number;
  healthFactor: number | null;
}
interface ActionLine {
  t: "a";
  action: SystemAction;
}
/** a compacted account: its last tier and the seq of the change that set it */
interface TierLine {
  t: "s";
  address: Hex;
  tier: Tier;
  seq: number;
}
type Line = ChangeLine | ActionLine | TierLine;

const ACTIONS: readonly SystemAction[] = ["NORMAL", "RAISE_MARGINS", "REDUCE_MAX_LEVERAGE", "HALT"];

export function changeLine(c: TierChange): ChangeLine {
  return { t: "c", seq: c.seq, address: c.address, from: c.from, to: c.to, chainId: c.chainId, blockNumber: c.blockNumber === null ? null : c.blockNumber.toString(), timestamp: c.timestamp, healthFactor: c.healthFactor };
}

export function changeFromLine(l: ChangeLine): TierChange {
  return { seq: l.seq, address: l.address, from: l.from, to: l.to, chainId: l.chainId, blockNumber: l.blockNumber === null ? null : BigInt(l.blockNumber), timestamp: l.timestamp, healthFactor: l.healthFactor };
}

function isTier(v: unknown): v is Tier {
  return typeof v === "string" && (TIERS as readonly string[]).includes(v);
}

/** Parses one line; null for a line that is not one of ours (a torn last line after kill -9). */
function parseLine(text: string): Line | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (o.t === "c" && Number.isSafeInteger(o.seq) && typeof o.address === "string" && isTier(o.to) && (o.from === null || isTier(o.from))) return o as unknown as ChangeLine;
  if (o.t === "a" && ACTIONS.includes(o.action as SystemAction)) return o as unknown as ActionLine;
  if (o.t === "s" && typeof o.address === "string" && isTier(o.tier) && Number.isSafeInteger(o.seq)) return o as unknown as TierLine;
  return null;
}

/** Folds lines (oldest first) into the state; `recent` keeps the last `maxRecent` changes. */
export function foldLines(lines: Iterable<Line>, maxRecent: number): TierLogState {
  const state: TierLogState = { lastSeq: 0, tiers: new Map(), action: null, recent: [] };
  for (const l of lines) {
    if (l.t === "a") state.action = l.action;
    else if (l.t === "s") {
      state.tiers.set(l.address, l.tier);
      state.lastSeq = Math.max(state.lastSeq, l.seq);
    } else {
      state.tiers.set(l.address, l.to);
      state.lastSeq = Math.max(state.lastSeq, l.seq);
      state.recent.push(changeFromLine(l));
      if (state.recent.length > 2 * maxRecent) state.recent.splice(0, state.recent.length - maxRecent);
    }
  }
  if (state.recent.length > maxRecent) state.recent.splice(0, state.recent.length - maxRecent);
  return state;
}

// ------------------------------------------------------------------ memory (tests)

/** A tier log in memory, shared by the books given it (a restart in a test keeps it). */
export function createMemoryTierLog(mode: "write" | "follow" = "write", shared: TierChange[] = [], actions: SystemAction[] = []): TierLog & { changes: TierChange[] } {
  return {
    mode,
    changes: shared,
    async load(maxRecent) {
      const state = foldLines([...shared.map(changeLine), ...actions.map((action) => ({ t: "a", action }) as ActionLine)], maxRecent);
      return state;
    },
    async append(changes, action) {
      shared.push(...changes);
      if (action !== null) actions.push(action);
    },
    async since(afterSeq, limit) {
      return shared.filter((c) => c.seq > afterSeq).slice(0, limit);
    },
    async action() {
      return actions.at(-1) ?? null;
    },
    async close() {},
  };
}

// ------------------------------------------------------------------ file (PGlite)

/**
 * A JSON-lines tier log at `file`, written by one process (the PGlite store's). Each append is one
 * write + fsync; a torn last line (kill -9 mid-write) is ignored at load, and the change it held is
 * recorded again by the first load's diff. The file is compacted at load when it holds more than
 * three times what a load needs (one line per account plus the recent changes).
 */
export function createFileTierLog(file: string): TierLog {
  mkdirSync(path.dirname(file), { recursive: true });
  let lastAction: SystemAction | null = null;

  function readLines(): Line[] {
    if (!existsSync(file)) return [];
    const out: Line[] = [];
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (text === "") continue;
      const line = parseLine(text);
      if (line !== null) out.push(line);
    }
    return out;
  }

  function writeDurably(target: string, text: string, append: boolean): void {
    const fd = openSync(target, append ? "a" : "w");
    try {
      if (append) appendFileSync(fd, text);
      else writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  return {
    mode: "write",
    async load(maxRecent) {
      const lines = readLines();
      const state = foldLines(lines, maxRecent);
      lastAction = state.action;
      if (lines.length > 3 * (state.tiers.size + maxRecent) + 16) {
        // Compact: every account's tier (with the seq that set it), the action, the recent changes.
        const recentSeqs = new Set(state.recent.map((c) => c.seq));
        const lastSeqOf = new Map<Hex, number>();
        for (const l of lines) if (l.t !== "a") lastSeqOf.set(l.address, l.seq);
        const compacted: Line[] = [];
        for (const [address, tier] of state.tiers) {
          const seq = lastSeqOf.get(address)!;
          if (!recentSeqs.has(seq)) compacted.push({ t: "s", address, tier, seq });
        }
        // the highest seq survives even when its change is not kept
        if (state.recent.at(-1)?.seq !== state.lastSeq && !compacted.some((l) => l.t === "s" && l.seq === state.lastSeq)) {
          const last = lines.filter((l): l is ChangeLine => l.t === "c").at(-1);
          if (last !== undefined) compacted.push({ t: "s", address: last.address, tier: state.tiers.get(last.address)!, seq: state.lastSeq });
        }
        if (state.action !== null) compacted.push({ t: "a", action: state.action });
        for (const c of state.recent) compacted.push(changeLine(c));
        const tmp = `${file}.tmp`;
        writeDurably(tmp, compacted.map((l) => JSON.stringify(l)).join("\n") + "\n", false);
        renameSync(tmp, file);
      }
      return state;
    },
    async append(changes, action) {
      const lines: Line[] = changes.map(changeLine);
      if (action !== null && action !== lastAction) {
        lines.push({ t: "a", action });
        lastAction = action;
      }
      if (lines.length === 0) return;
      writeDurably(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n", true);
    },
    async since(afterSeq, limit) {
      const out: TierChange[] = [];
      for (const l of readLines()) if (l.t === "c" && l.seq > afterSeq && out.length < limit) out.push(changeFromLine(l));
      return out;
    },
    async action() {
      return foldLines(readLines(), 0).action;
    },
    async close() {},
  };
}
