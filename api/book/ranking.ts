/**
 * The endangered ranking: accounts with a health factor, most endangered first (insolvent, then
 * liquidatable, then margin call, then safe; within a tier the lowest health factor first; ties
 * by address).
 *
 * Built for ticks that touch every account of a million-account book: `set` only records the new
 * key (O(1), typed arrays indexed by a dense id); the order is brought up to date on the next read
 * (`top`, `all`, or an explicit `flush`). Ids come from an address index, or, when the caller
 * passes `slot` (the compiled book's slot of the address), are that slot: then a tick does no
 * string hashing at all (a hashed lookup of a million addresses costs ~0.25 s in cache misses). A few changes are applied one by one to a sorted list of
 * chunks (binary search + a splice inside one ≤ 2·CHUNK chunk); many changes (more than 1/16 of
 * the ranking) rebuild the whole order with one native sort of packed 64-bit numeric keys (tier,
 * the health factor's IEEE-754 bits made order-preserving, the id), near-ties re-sorted exactly.
 * Measured in bench/results/risk.md.
 */
import { XmarginError } from "../../errors.js";
import { AddressIndex } from "../../risk/compiled.js";
import type { Hex, Tier } from "../../risk/types.js";

/** One ranking was fed both with and without slots: ids would collide. */
export class RankingKeyError extends XmarginError {
  override name = "RankingKeyError";
  constructor(address: Hex, keyedBySlot: boolean) {
    super(
      "RANKING_MIXED_KEYS",
      `EndangeredRanking.set(${address}) ${keyedBySlot ? "without a slot on a ranking keyed by slot" : "with a slot on a ranking keyed by address"}; pass a slot on every call since the last reset, or on none.`,
      { details: { address, keyedBySlot } },
    );
  }
}

export const TIER_RANK: Record<Tier, number> = { INSOLVENT: 0, LIQUIDATABLE: 1, MARGIN_CALL: 2, SAFE: 3 };
const TIER_BY_RANK: Tier[] = ["INSOLVENT", "LIQUIDATABLE", "MARGIN_CALL", "SAFE"];

export interface RankEntry {
  address: Hex;
  tier: Tier;
  healthFactor: number;
}

/** Target chunk length of the sorted list; a chunk splits at 2·CHUNK. */
const CHUNK = 1024;
/** Pending changes above 1/REBUILD_FRACTION of the ranking rebuild the order instead of n splices. */
const REBUILD_FRACTION = 16;

function growTo<T extends Float64Array | Uint8Array>(arr: T, need: number): T {
  if (arr.length >= need) return arr;
  const Ctor = arr.constructor as new (n: number) => T;
  const next = new Ctor(Math.max(need, arr.length * 2, 64));
  next.set(arr);
  return next;
}

export class EndangeredRanking {
  private readonly index = new AddressIndex();
  /** null until the first set after a reset; then whether ids are the caller's slots */
  private keyedBySlot: boolean | null = null;
  /** slot mode: the address index (every bound address → slot) is built only when an address is looked up */
  private indexValid = true;
  // ---- per id: the latest values (what get/has/size report)
  private addresses: (Hex | undefined)[] = [];
  private tier = new Uint8Array(64);
  private hf = new Float64Array(64);
  private ranked = new Uint8Array(64);
  // ---- per id: where it sits in the ordered chunks (the key it was placed with)
  private inTree = new Uint8Array(64);
  private placedTier = new Uint8Array(64);
  private placedHf = new Float64Array(64);
  private pendingMark = new Uint8Array(64);
  private pending: number[] = [];
  private freeIds: number[] = [];
  private nextId = 0;
  private rankedCount = 0;
  private treeCount = 0;
  /** the order: concatenated chunks, each sorted, every chunk ≤ the next */
  private chunks: number[][] = [];

  get size(): number {
    return this.rankedCount;
  }

  /**
   * Sets an account's place; `healthFactor` null (no liabilities) takes it out of the ranking.
   * `slot`: a small non-negative integer the caller keeps for this address while it is ranked (the
   * compiled book's slot); given on every call or on none since the last reset.
   */
  set(address: Hex, tier: Tier, healthFactor: number | null, slot?: number): void {
    const bySlot = slot !== undefined;
    if (this.keyedBySlot === null) {
      this.keyedBySlot = bySlot;
      this.indexValid = !bySlot;
    } else if (this.keyedBySlot !== bySlot) {
      throw new RankingKeyError(address, this.keyedBySlot);
    }
    if (healthFactor === null || Number.isNaN(healthFactor)) {
      if (bySlot) {
        if (slot < this.nextId && this.addresses[slot] === address) this.unrank(slot, address);
      } else {
        this.remove(address);
      }
      return;
    }
    const t = TIER_RANK[tier];
    let id: number;
    if (bySlot) {
      id = slot;
      if (id >= this.nextId) this.ensureIds(id + 1);
      if (this.addresses[id] !== address) this.rebind(id, address);
    } else {
      const known = this.index.get(address);
      id = known ?? this.allocate(address);
    }
    // Object.is: −0 replacing +0 is a change of the value reported (the order is the same)
    if (this.ranked[id] === 1 && this.tier[id] === t && Object.is(this.hf[id], healthFactor)) return;
    this.markPending(id);
    if (this.ranked[id] === 0) this.rankedCount++;
    this.ranked[id] = 1;
    this.tier[id] = t;
    this.hf[id] = healthFactor;
  }

  remove(address: Hex): void {
    const id = this.lookup(address);
    if (id === undefined) return;
    this.unrank(id, address);
  }

  /** Replaces every entry (after a full recompute) and rebuilds the order once. */
  reset(entries: Iterable<{ address: Hex; tier: Tier; healthFactor: number | null; slot?: number }>): void {
    this.index.clear();
    this.keyedBySlot = null;
    this.indexValid = true;
    this.addresses = [];
    this.freeIds = [];
    this.nextId = 0;
    this.rankedCount = 0;
    this.treeCount = 0;
    this.chunks = [];
    this.pending = [];
    this.ranked.fill(0);
    this.inTree.fill(0);
    this.pendingMark.fill(0);
    for (const e of entries) this.set(e.address, e.tier, e.healthFactor, e.slot);
    this.rebuild();
  }

  /** Brings the order up to date with every `set`/`remove` since the last read. */
  flush(): void {
    if (this.pending.length === 0) return;
    if (this.pending.length * REBUILD_FRACTION > this.treeCount + CHUNK) {
      this.rebuild();
      return;
    }
    for (const id of this.pending) {
      this.pendingMark[id] = 0;
      if (this.inTree[id] === 1) this.removeFromTree(id);
      if (this.ranked[id] === 1) this.insertIntoTree(id);
      else this.release(id);
    }
    this.pending = [];
  }

  /** Up to `first` accounts with healthFactor < maxHealthFactor, most endangered first. */
  top(maxHealthFactor: number, first: number): RankEntry[] {
    this.flush();
    const out: RankEntry[] = [];
    const chunks = this.chunks;
    for (let t = 0; t < TIER_BY_RANK.length && out.length < first; t++) {
      let [ci, k] = this.tierStart(t);
      walk: for (; ci < chunks.length; ci++, k = 0) {
        const chunk = chunks[ci];
        for (; k < chunk.length; k++) {
          const id = chunk[k];
          if (this.placedTier[id] !== t) break walk;
          const hf = this.placedHf[id];
          // sorted: the rest of this tier is at or above the threshold
          if (!(hf < maxHealthFactor) || out.length >= first) break walk;
          out.push({ address: this.addresses[id]!, tier: TIER_BY_RANK[t], healthFactor: hf });
        }
      }
    }
    return out;
  }

  has(address: Hex): boolean {
    const id = this.lookup(address);
    return id !== undefined && this.ranked[id] === 1;
  }

  get(address: Hex): RankEntry | undefined {
    const id = this.lookup(address);
    if (id === undefined || this.ranked[id] === 0) return undefined;
    return { address, tier: TIER_BY_RANK[this.tier[id]], healthFactor: this.hf[id] };
  }

  /** Every entry in ranking order (tests, snapshots). */
  all(): RankEntry[] {
    this.flush();
    const out: RankEntry[] = [];
    for (const chunk of this.chunks) {
      for (const id of chunk) out.push({ address: this.addresses[id]!, tier: TIER_BY_RANK[this.placedTier[id]], healthFactor: this.placedHf[id] });
    }
    return out;
  }

  static tierAt(rank: number): Tier {
    return TIER_BY_RANK[rank];
  }

  // ---------------------------------------------------------------- ids

  /** The id of a known address (building the index first in slot mode). */
  private lookup(address: Hex): number | undefined {
    if (!this.indexValid) {
      this.index.clear();
      for (let id = 0; id < this.nextId; id++) {
        const a = this.addresses[id];
        if (a !== undefined) this.index.set(a, id);
      }
      this.indexValid = true;
    }
    return this.index.get(address);
  }

  /** Takes a known id out of the ranking (it leaves the chunks on the next flush). */
  private unrank(id: number, address: Hex): void {
    // by address the id is released at the next flush; a slot stays bound to its address
    if (this.indexValid && this.keyedBySlot !== true) this.index.delete(address);
    this.markPending(id);
    if (this.ranked[id] === 1) this.rankedCount--;
    this.ranked[id] = 0;
  }

  private ensureIds(need: number): void {
    if (need > this.tier.length) {
      this.tier = growTo(this.tier, need);
      this.hf = growTo(this.hf, need);
      this.ranked = growTo(this.ranked, need);
      this.inTree = growTo(this.inTree, need);
      this.placedTier = growTo(this.placedTier, need);
      this.placedHf = growTo(this.placedHf, need);
      this.pendingMark = growTo(this.pendingMark, need);
    }
    for (let id = this.nextId; id < need; id++) {
      this.ranked[id] = 0;
      this.inTree[id] = 0;
      this.pendingMark[id] = 0;
    }
    if (need > this.nextId) this.nextId = need;
  }

  /** Slot mode: the slot now holds another address; the old one leaves first (its key names it). */
  private rebind(id: number, address: Hex): void {
    const old = this.addresses[id];
    if (old !== undefined) {
      if (this.inTree[id] === 1) this.removeFromTree(id);
      if (this.ranked[id] === 1) {
        this.ranked[id] = 0;
        this.rankedCount--;
      }
      if (this.indexValid) this.index.delete(old);
    }
    this.addresses[id] = address;
    if (this.indexValid) this.index.set(address, id);
  }

  private allocate(address: Hex): number {
    const id = this.freeIds.pop() ?? this.nextId;
    if (id === this.nextId) this.ensureIds(id + 1);
    this.addresses[id] = address;
    this.ranked[id] = 0;
    this.inTree[id] = 0;
    this.index.set(address, id);
    return id;
  }

  private markPending(id: number): void {
    if (this.pendingMark[id] === 1) return;
    this.pendingMark[id] = 1;
    this.pending.push(id);
  }

  /** An id out of the ranking and out of the chunks goes back to the pool. */
  private release(id: number): void {
    if (this.inTree[id] === 1 || this.ranked[id] === 1) return;
    if (this.keyedBySlot === true) return; // the caller's slot: its address stays bound to it
    this.addresses[id] = undefined;
    this.freeIds.push(id);
  }

  // ---------------------------------------------------------------- ordered chunks

  /** (tier, hf, address) of `id` as placed, against the given key: <0 when the id sorts first. */
  private compareTo(id: number, t: number, hf: number, address: Hex): number {
    const pt = this.placedTier[id];
    if (pt !== t) return pt - t;
    const ph = this.placedHf[id];
    if (ph !== hf) return ph < hf ? -1 : 1;
    const pa = this.addresses[id]!;
    return pa < address ? -1 : pa > address ? 1 : 0;
  }

  /** First chunk whose last entry is ≥ the key (the last chunk when every entry is smaller). */
  private chunkFor(t: number, hf: number, address: Hex): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid];
      if (this.compareTo(c[c.length - 1], t, hf, address) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(chunk: number[], t: number, hf: number, address: Hex): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareTo(chunk[mid], t, hf, address) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the first entry with tier ≥ t. */
  private tierStart(t: number): [number, number] {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid];
      if (this.placedTier[c[c.length - 1]] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return [lo, 0];
    const chunk = chunks[lo];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.placedTier[chunk[mid]] < t) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  }

  private insertIntoTree(id: number): void {
    const t = this.tier[id];
    const hf = this.hf[id];
    const address = this.addresses[id]!;
    this.placedTier[id] = t;
    this.placedHf[id] = hf;
    this.inTree[id] = 1;
    this.treeCount++;
    if (this.chunks.length === 0) {
      this.chunks.push([id]);
      return;
    }
    const ci = this.chunkFor(t, hf, address);
    const chunk = this.chunks[ci];
    chunk.splice(this.lowerBound(chunk, t, hf, address), 0, id);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK));
  }

  private removeFromTree(id: number): void {
    const t = this.placedTier[id];
    const hf = this.placedHf[id];
    const address = this.addresses[id]!;
    const ci = this.chunkFor(t, hf, address);
    const chunk = this.chunks[ci];
    const k = this.lowerBound(chunk, t, hf, address);
    if (chunk[k] !== id) throw new Error(`EndangeredRanking is inconsistent: ${address} is not where its key says (a bug, not an input problem).`);
    chunk.splice(k, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.inTree[id] = 0;
    this.treeCount--;
  }

  /** Every ranked id, sorted by (tier, hf) with a radix sort, ties by address; chunks cut anew. */
  private rebuild(): void {
    for (const id of this.pending) {
      this.pendingMark[id] = 0;
      this.inTree[id] = 0;
      if (this.ranked[id] === 0) this.release(id);
    }
    this.pending = [];
    const n = this.rankedCount;
    const ids = new Int32Array(n);
    let m = 0;
    const ranked = this.ranked;
    for (let id = 0; id < this.nextId; id++) if (ranked[id] === 1) ids[m++] = id;
    const sorted = sortIds(ids, this.nextId, this.tier, this.hf, this.addresses);
    const chunks: number[][] = [];
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const chunk: number[] = new Array(end - start);
      for (let k = start; k < end; k++) {
        const id = sorted[k];
        chunk[k - start] = id;
        this.placedTier[id] = this.tier[id];
        this.placedHf[id] = this.hf[id];
        this.inTree[id] = 1;
      }
      chunks.push(chunk);
    }
    this.chunks = chunks;
    this.treeCount = n;
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

/** Reused between rebuilds (a million-entry rebuild would otherwise allocate 12 MB of buffers each time). */
let scratchKeys = new BigUint64Array(0);
let scratchOut = new Int32Array(0);

/**
 * Sorts `ids` by (tier, hf, address) with one native sort of 64-bit keys:
 * `tier (2 bits) | hf's order-preserving bits, truncated | id (idBits)`. The hf bits are IEEE-754
 * with the sign bit flipped for positives and every bit flipped for negatives (so unsigned order is
 * numeric order; −0 counts as +0), shifted right by 2 with their low idBits cleared to make room
 * for the id. Truncation keeps the order between different keys; entries whose truncated keys tie
 * (hf equal to ~2^-(50 − idBits) relative, or equal) are re-sorted exactly by (hf, address).
 */
/** The result is a view of a shared buffer, valid until the next call. */
function sortIds(ids: Int32Array, maxId: number, tier: Uint8Array, hf: Float64Array, addresses: (Hex | undefined)[]): Int32Array {
  const n = ids.length;
  let idBits = 1;
  while (idBits < 31 && 2 ** idBits <= maxId) idBits++;
  if (idBits > 26) return sortIdsByComparator(ids, tier, hf, addresses);
  const idMask = (2 ** idBits - 1) >>> 0;
  if (scratchKeys.length < n) {
    scratchKeys = new BigUint64Array(Math.max(n, scratchKeys.length * 2));
    scratchOut = new Int32Array(scratchKeys.length);
  }
  const keys = scratchKeys.subarray(0, n);
  const halves = new Uint32Array(keys.buffer, keys.byteOffset, 2 * n);
  for (let k = 0; k < n; k++) {
    const id = ids[k];
    const h = hf[id];
    f64[0] = h === 0 ? 0 : h;
    let l = u32[LO];
    let u = u32[HI];
    if (u >= 0x80000000) {
      u = ~u >>> 0;
      l = ~l >>> 0;
    } else {
      u = (u | 0x80000000) >>> 0;
    }
    // >>> 2 over 64 bits, tier in the top 2 bits, id in the low bits
    halves[2 * k + LO] = ((((u & 3) << 30) | (l >>> 2)) & ~idMask) | id;
    halves[2 * k + HI] = ((tier[id] << 30) | (u >>> 2)) >>> 0;
  }
  keys.sort();
  const out = scratchOut.subarray(0, n);
  for (let k = 0; k < n; k++) out[k] = halves[2 * k + LO] & idMask;
  // truncated ties: exact order by (hf, address)
  const exact = byHfThenAddress(hf, addresses);
  for (let start = 0; start < n; ) {
    const h0 = halves[2 * start + HI];
    const l0 = (halves[2 * start + LO] & ~idMask) >>> 0;
    let end = start + 1;
    while (end < n && halves[2 * end + HI] === h0 && (halves[2 * end + LO] & ~idMask) >>> 0 === l0) end++;
    if (end - start > 1) out.set(Array.from(out.subarray(start, end)).sort(exact), start);
    start = end;
  }
  return out;
}

/** The general path (more than 2^26 ids): a comparator sort. */
function sortIdsByComparator(ids: Int32Array, tier: Uint8Array, hf: Float64Array, addresses: (Hex | undefined)[]): Int32Array {
  const byHf = byHfThenAddress(hf, addresses);
  return ids.sort((a, b) => (tier[a] !== tier[b] ? tier[a] - tier[b] : byHf(a, b)));
}

/** Ids ordered by health factor, then address: the ranking's order within a tier. */
function byHfThenAddress(hf: Float64Array, addresses: (Hex | undefined)[]): (a: number, b: number) => number {
  return (a, b) => {
    const x = hf[a];
    const y = hf[b];
    if (x !== y) return x < y ? -1 : 1;
    const p = addresses[a]!;
    const q = addresses[b]!;
    return p < q ? -1 : p > q ? 1 : 0;
  };
}
