/**
 * The hot path: every account's items in dense typed arrays, screened with floats, and the tier
 * confirmed with the exact decimal math of evaluateAccount whenever a float health number is within
 * a relative band of a tier boundary — so a screen's tier is never wrong, and the float numbers are
 * only used for ranking, lists and stress. Measured against decimal.js and bigint fixed point in
 * bench/results/representation.md.
 *
 * Built for a million accounts (bench/results/risk.md): compileBook counts first and writes straight
 * into typed arrays carved from one ArrayBuffer, addresses go into an open-addressing index, and
 * holder lists are Int32Arrays; no per-account intermediate objects on the way.
 */
import type Decimal from "decimal.js";
import { D, fromRaw } from "./decimal.js";
import { configOrder, type PreparedEnvironment } from "./environment.js";
import { UnknownAssetError, UnknownChainError, UnknownMarketError } from "./errors.js";
import { accountHealth, sizeAdjustedMarginRatio } from "./evaluateAccount.js";
import type { AccountScreen, AccountState, AssetSymbol, BalanceItem, ChainId, Hex, MarketKey, PositionItem, RiskConfig, Tier } from "./types.js";

/**
 * A float health number within `SCREEN_BAND · Σ|terms| + SCREEN_ABS_USD` of 0 is re-checked exactly.
 * Float error of the screen is ≲ 1e-15 relative per term and the exact path's rounding ≤ 1e-18 USD per
 * term, so this band is ~10⁶ times wider than any disagreement can be.
 */
export const SCREEN_BAND = 1e-9;
export const SCREEN_ABS_USD = 1e-9;

/** `ItemColumns.kind` of a collateral item. */
export const ITEM_COLLATERAL = 0;
/** `ItemColumns.kind` of a debt item. */
export const ITEM_DEBT = 1;
const KIND_COLLATERAL = ITEM_COLLATERAL;
const KIND_DEBT = ITEM_DEBT;

export interface CompiledBook {
  config: RiskConfig;
  assetOrder: AssetSymbol[];
  chainOrder: ChainId[];
  assetIndex: Map<AssetSymbol, number>;
  chainIndex: Map<ChainId, number>;
  marketKeys: MarketKey[];
  marketIndex: Map<MarketKey, number>;
  /** per market (marketKeys order): parsed ratios, once */
  marketParams: { asset: AssetSymbol; mmr: Decimal; imr: Decimal; imf: Decimal; mmrFloat: number; imrFloat: number }[];
  /** account slots (including freed ones) */
  size: number;
  addresses: (Hex | null)[];
  /** lowercase address → slot */
  indexOf: AddressIndex;
  /** the exact state, kept aside (raw bigints) for the exact re-check and reports */
  states: (AccountState | null)[];
  freeSlots: number[];
  // ---- per account slot
  itemStart: Int32Array;
  itemCount: Int32Array;
  posStart: Int32Array;
  posCount: Int32Array;
  // ---- balance items (collateral and debt), append-only with compaction
  itemUsed: number;
  itemKind: Uint8Array;
  itemAsset: Uint16Array;
  itemChain: Uint16Array;
  /** amountRaw / 10^decimals as a float (the exact bigint stays in `states`) */
  itemAmount: Float64Array;
  // ---- perp positions
  posUsed: number;
  posMarket: Uint16Array;
  posAsset: Uint16Array;
  posChain: Uint16Array;
  /** signed size in base units */
  posSize: Float64Array;
  posEntry: Float64Array;
  /** n · I_pos / 1e18: funding F = n·I_now/1e18 − this */
  posFundingCarried: Float64Array;
  /** size-adjusted mr(n), ir(n) (Drift premium) */
  posMr: Float64Array;
  posIr: Float64Array;
  /** dead entries waiting for compaction */
  garbage: number;
  /** accounts holding each asset (collateral, debt or a perp on it): reprice only them on a tick */
  holders: HolderList[];
  /** exact re-checks performed (near a tier boundary) since the book was built */
  exactChecks: number;
  bindings: WeakMap<PreparedEnvironment, Float64Array>;
}

/**
 * The slots holding one asset: a dense Int32Array (iteration is a typed-array walk) with a
 * slot → position index, so add, delete and has are O(1) (delete swaps the last slot in).
 * Iterable and sized like the `Set<number>` it replaces; the order is not insertion order.
 * Memory: 4 bytes per listed slot + 4 bytes per book slot.
 */
export class HolderList implements Iterable<number> {
  private list: Int32Array;
  /** position + 1 of each slot in `list`, 0 when absent */
  private where: Int32Array;
  private count = 0;

  constructor(slotCapacity = 16) {
    this.list = new Int32Array(Math.max(16, slotCapacity));
    this.where = new Int32Array(Math.max(16, slotCapacity));
  }

  get size(): number {
    return this.count;
  }

  has(slot: number): boolean {
    return slot < this.where.length && this.where[slot] !== 0;
  }

  add(slot: number): void {
    if (slot >= this.where.length) this.where = grow(this.where, slot + 1);
    if (this.where[slot] !== 0) return;
    if (this.count === this.list.length) this.list = grow(this.list, this.count + 1);
    this.list[this.count++] = slot;
    this.where[slot] = this.count;
  }

  delete(slot: number): boolean {
    const p = slot < this.where.length ? this.where[slot] : 0;
    if (p === 0) return false;
    const last = this.list[--this.count];
    this.list[p - 1] = last;
    this.where[last] = p;
    this.where[slot] = 0;
    return true;
  }

  clear(): void {
    this.where.fill(0);
    this.count = 0;
  }

  /** The slots as a view, valid until the next add/delete/clear. */
  slots(): Int32Array {
    return this.list.subarray(0, this.count);
  }

  [Symbol.iterator](): Iterator<number> {
    return this.slots()[Symbol.iterator]();
  }
}

/**
 * String key → slot (the book: lowercase address → slot): an open-addressing table (linear probing,
 * backward-shift delete) in one Int32Array of (slot + 1, hash) pairs, each slot's key kept by slot.
 * A `Map<string, number>` of a million 42-character keys took 0.4–2 s to fill (rehashes of a large
 * backing store, under GC); this one hashes each key once per call (FNV-1a + murmur finaliser),
 * finds the hash in the bucket's own cache line and never allocates per entry.
 */
export class AddressIndex {
  /** per bucket: [slot + 1 (0 = empty), hash] */
  private table: Int32Array;
  private mask: number;
  private keys: (string | undefined)[] = [];
  private count = 0;

  constructor(expected = 16) {
    let buckets = 32;
    while (buckets < expected * 2) buckets *= 2;
    this.table = new Int32Array(2 * buckets);
    this.mask = buckets - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): number | undefined {
    const h = hashKey(key);
    const { table, mask, keys } = this;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const e = table[2 * b];
      if (e === 0) return undefined;
      if (table[2 * b + 1] === h && keys[e - 1] === key) return e - 1;
    }
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Maps `key` to `slot` (replacing its previous slot, if any). */
  set(key: string, slot: number): void {
    const h = hashKey(key);
    if ((this.count + 1) * 2 > this.mask + 1) this.rehash(2 * (this.mask + 1));
    const { table, mask } = this;
    let b = h & mask;
    for (; table[2 * b] !== 0; b = (b + 1) & mask) {
      const e = table[2 * b] - 1;
      if (table[2 * b + 1] === h && this.keys[e] === key) {
        this.keys[e] = undefined;
        break;
      }
    }
    if (table[2 * b] === 0) this.count++;
    table[2 * b] = slot + 1;
    table[2 * b + 1] = h;
    this.keys[slot] = key;
  }

  delete(key: string): boolean {
    const h = hashKey(key);
    const { table, mask } = this;
    let b = h & mask;
    for (; ; b = (b + 1) & mask) {
      const e = table[2 * b];
      if (e === 0) return false;
      if (table[2 * b + 1] === h && this.keys[e - 1] === key) break;
    }
    this.keys[table[2 * b] - 1] = undefined;
    this.count--;
    // backward shift: move later entries of the probe run into the hole when their home allows it
    let hole = b;
    for (let j = (hole + 1) & mask; table[2 * j] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j + 1] & mask;
      const movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (movable) {
        table[2 * hole] = table[2 * j];
        table[2 * hole + 1] = table[2 * j + 1];
        hole = j;
      }
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
    return true;
  }

  clear(): void {
    this.table.fill(0);
    this.keys = [];
    this.count = 0;
  }

  private rehash(buckets: number) {
    const old = this.table;
    const table = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    for (let i = 0; i < old.length; i += 2) {
      const e = old[i];
      if (e === 0) continue;
      let b = old[i + 1] & mask;
      while (table[2 * b] !== 0) b = (b + 1) & mask;
      table[2 * b] = e;
      table[2 * b + 1] = old[i + 1];
    }
    this.table = table;
    this.mask = mask;
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser (spreads the low bits the mask keeps). */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(arr: T, need: number): T {
  if (arr.length >= need) return arr;
  const Ctor = arr.constructor as new (n: number) => T;
  const next = new Ctor(Math.max(need, arr.length * 2, 16));
  next.set(arr);
  return next;
}

/**
 * Compiles accounts into the dense representation (slots in input order; a repeated address
 * replaces the earlier state, as {@link updateCompiledAccount} would). The typed arrays are sized
 * from a first counting pass and written in place: no per-account intermediate objects. Throws
 * UnknownChainError / UnknownAssetError / UnknownMarketError for items the config does not list.
 * Example: `const book = compileBook(accounts, config); screenAll(book, env)`.
 */
export function compileBook(accounts: readonly AccountState[], config: RiskConfig): CompiledBook {
  const { assetOrder, chainOrder } = configOrder(config);
  const marketKeys = Object.keys(config.markets).sort();
  let items = 0;
  let positions = 0;
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i];
    items += a.collateral.length + a.debt.length;
    positions += a.positions.length;
  }
  const slots = Math.max(16, accounts.length);
  const itemCap = Math.max(16, items);
  const posCap = Math.max(16, positions);
  const book: CompiledBook = {
    config,
    assetOrder,
    chainOrder,
    assetIndex: new Map(assetOrder.map((a, i) => [a, i])),
    chainIndex: new Map(chainOrder.map((c, i) => [c, i])),
    marketKeys,
    marketIndex: new Map(marketKeys.map((k, i) => [k, i])),
    marketParams: marketKeys.map((k) => {
      const m = config.markets[k];
      const mmr = new D(m.mmr);
      const imr = new D(m.imr);
      return { asset: m.asset, mmr, imr, imf: new D(m.imf), mmrFloat: mmr.toNumber(), imrFloat: imr.toNumber() };
    }),
    size: 0,
    addresses: [],
    indexOf: new AddressIndex(accounts.length),
    states: [],
    freeSlots: [],
    ...dense(slots, itemCap, posCap),
    garbage: 0,
    holders: assetOrder.map(() => new HolderList(slots)),
    exactChecks: 0,
    bindings: new WeakMap(),
  };
  for (let i = 0; i < accounts.length; i++) {
    const account = accounts[i];
    const key = lowerAddress(account.address);
    if (book.indexOf.has(key)) {
      updateCompiledAccount(book, account.address, account);
      continue;
    }
    // a fresh slot at the end: the same bookkeeping as updateCompiledAccount, without its checks
    const slot = book.size;
    writeAccount(book, slot, account);
    book.size = slot + 1;
    book.indexOf.set(key, slot);
    book.addresses.push(account.address);
    book.states.push(account);
  }
  return book;
}

/**
 * The per-slot, item and position arrays as views of one ArrayBuffer: V8 counts ArrayBuffers as
 * external memory and runs a full (atomic) GC when it jumps by more than ~100 MB, which on a heap
 * holding a million AccountStates costs ~1 s each; one buffer triggers at most one.
 */
function dense(slots: number, itemCap: number, posCap: number) {
  const bytes = 8 * (itemCap + 5 * posCap) + 4 * 4 * slots + 2 * (2 * itemCap + 3 * posCap) + itemCap;
  const buffer = new ArrayBuffer(bytes);
  let at = 0;
  const take = <T>(Ctor: new (b: ArrayBuffer, offset: number, length: number) => T, width: number, length: number): T => {
    const view = new Ctor(buffer, at, length);
    at += width * length;
    return view;
  };
  // widest first, so every view is aligned to its element size
  return {
    itemAmount: take(Float64Array, 8, itemCap),
    posSize: take(Float64Array, 8, posCap),
    posEntry: take(Float64Array, 8, posCap),
    posFundingCarried: take(Float64Array, 8, posCap),
    posMr: take(Float64Array, 8, posCap),
    posIr: take(Float64Array, 8, posCap),
    itemStart: take(Int32Array, 4, slots),
    itemCount: take(Int32Array, 4, slots),
    posStart: take(Int32Array, 4, slots),
    posCount: take(Int32Array, 4, slots),
    itemAsset: take(Uint16Array, 2, itemCap),
    itemChain: take(Uint16Array, 2, itemCap),
    posMarket: take(Uint16Array, 2, posCap),
    posAsset: take(Uint16Array, 2, posCap),
    posChain: take(Uint16Array, 2, posCap),
    itemKind: take(Uint8Array, 1, itemCap),
    itemUsed: 0,
    posUsed: 0,
  };
}

/** 10^d as `10 ** d` computes it (the same floats as before the table), for the decimals tokens use. */
const POW10: readonly number[] = Array.from({ length: 78 }, (_, d) => 10 ** d);

/** raw / 10^decimals as a float: one bigint → double rounding, then one division. */
function toFloat(raw: bigint, decimals: number): number {
  return Number(raw) / (decimals < POW10.length ? POW10[decimals] : 10 ** decimals);
}

function ensureItemCapacity(book: CompiledBook, need: number) {
  if (book.itemKind.length >= need) return;
  book.itemKind = grow(book.itemKind, need);
  book.itemAsset = grow(book.itemAsset, need);
  book.itemChain = grow(book.itemChain, need);
  book.itemAmount = grow(book.itemAmount, need);
}

function ensurePositionCapacity(book: CompiledBook, need: number) {
  if (book.posMarket.length >= need) return;
  book.posMarket = grow(book.posMarket, need);
  book.posAsset = grow(book.posAsset, need);
  book.posChain = grow(book.posChain, need);
  book.posSize = grow(book.posSize, need);
  book.posEntry = grow(book.posEntry, need);
  book.posFundingCarried = grow(book.posFundingCarried, need);
  book.posMr = grow(book.posMr, need);
  book.posIr = grow(book.posIr, need);
}

function assetIdx(book: CompiledBook, asset: AssetSymbol, account: AccountState): number {
  const i = book.assetIndex.get(asset);
  if (i === undefined) throw new UnknownAssetError(asset, book.assetOrder, `account ${account.address}`);
  return i;
}

function chainIdx(book: CompiledBook, chainId: ChainId, account: AccountState): number {
  const i = book.chainIndex.get(chainId);
  if (i === undefined) throw new UnknownChainError(chainId, book.chainOrder, `account ${account.address}`);
  return i;
}

function writeItem(book: CompiledBook, k: number, kind: number, b: BalanceItem, account: AccountState) {
  const a = assetIdx(book, b.asset, account);
  const c = chainIdx(book, b.chainId, account);
  book.itemKind[k] = kind;
  book.itemAsset[k] = a;
  book.itemChain[k] = c;
  book.itemAmount[k] = toFloat(b.amountRaw, b.decimals);
}

/** Per book: chainId → marketId → index in marketKeys (no `${chainId}:${marketId}` string per position). */
const marketLookups = new WeakMap<CompiledBook, Map<ChainId, Map<number, number>>>();

function marketOf(book: CompiledBook, p: PositionItem, account: AccountState): number {
  let byChain = marketLookups.get(book);
  if (byChain === undefined) {
    byChain = new Map();
    book.marketKeys.forEach((key, m) => {
      const market = book.config.markets[key];
      // the string key is the truth: a market whose key and (chainId, marketId) disagree is found by key only
      if (key !== `${market.chainId}:${market.marketId}`) return;
      let byId = byChain!.get(market.chainId);
      if (byId === undefined) byChain!.set(market.chainId, (byId = new Map()));
      byId.set(market.marketId, m);
    });
    marketLookups.set(book, byChain);
  }
  const m = byChain.get(p.chainId)?.get(p.marketId);
  if (m !== undefined) return m;
  const key = `${p.chainId}:${p.marketId}`;
  const byKey = book.marketIndex.get(key);
  if (byKey === undefined) throw new UnknownMarketError(key, book.marketKeys, `account ${account.address}`);
  return byKey;
}

function writePosition(book: CompiledBook, j: number, p: PositionItem, account: AccountState) {
  const m = marketOf(book, p, account);
  const market = book.marketParams[m];
  const a = assetIdx(book, market.asset, account);
  const c = chainIdx(book, p.chainId, account);
  let mr = market.mmrFloat;
  let ir = market.imrFloat;
  if (!market.imf.isZero()) {
    // Drift's premium depends on the size: the same decimal function as evaluateAccount, then float
    const absN = fromRaw(p.sizeRaw < 0n ? -p.sizeRaw : p.sizeRaw, 18);
    mr = sizeAdjustedMarginRatio(market.mmr, market.imf, absN).toNumber();
    ir = sizeAdjustedMarginRatio(market.imr, market.imf, absN).toNumber();
  }
  const n = toFloat(p.sizeRaw, 18);
  book.posMarket[j] = m;
  book.posAsset[j] = a;
  book.posChain[j] = c;
  book.posSize[j] = n;
  book.posEntry[j] = toFloat(p.entryPriceRaw, p.priceDecimals);
  // n · 0 keeps the sign of zero the general formula gives
  book.posFundingCarried[j] = p.fundingIndexX18 === 0n ? n * 0 : n * toFloat(p.fundingIndexX18, 18);
  book.posMr[j] = mr;
  book.posIr[j] = ir;
}

/**
 * Writes the account's items and positions at the tail of the arrays and only then claims them
 * (itemUsed, posUsed, holders): an invalid account throws before anything is claimed, so the book
 * is unchanged and the tail is overwritten by the next write.
 */
function writeAccount(book: CompiledBook, slot: number, account: AccountState) {
  const { collateral, debt, positions } = account;
  const iStart = book.itemUsed;
  const iEnd = iStart + collateral.length + debt.length;
  ensureItemCapacity(book, iEnd);
  const pStart = book.posUsed;
  const pEnd = pStart + positions.length;
  ensurePositionCapacity(book, pEnd);
  let k = iStart;
  for (let j = 0; j < collateral.length; j++) writeItem(book, k++, KIND_COLLATERAL, collateral[j], account);
  for (let j = 0; j < debt.length; j++) writeItem(book, k++, KIND_DEBT, debt[j], account);
  for (let j = 0; j < positions.length; j++) writePosition(book, pStart + j, positions[j], account);

  const holders = book.holders;
  for (k = iStart; k < iEnd; k++) holders[book.itemAsset[k]].add(slot);
  for (k = pStart; k < pEnd; k++) holders[book.posAsset[k]].add(slot);
  book.itemUsed = iEnd;
  book.itemStart[slot] = iStart;
  book.itemCount[slot] = iEnd - iStart;
  book.posUsed = pEnd;
  book.posStart[slot] = pStart;
  book.posCount[slot] = pEnd - pStart;
}

function dropHoldings(book: CompiledBook, slot: number) {
  const s = book.itemStart[slot];
  for (let k = 0; k < book.itemCount[slot]; k++) book.holders[book.itemAsset[s + k]].delete(slot);
  const p = book.posStart[slot];
  for (let k = 0; k < book.posCount[slot]; k++) book.holders[book.posAsset[p + k]].delete(slot);
  book.garbage += book.itemCount[slot] + book.posCount[slot];
  book.itemCount[slot] = 0;
  book.posCount[slot] = 0;
}

/** Rewrites the item arrays without dead entries (slots keep their numbers). */
function compact(book: CompiledBook) {
  const states = book.states;
  book.itemUsed = 0;
  book.posUsed = 0;
  book.garbage = 0;
  for (const h of book.holders) h.clear();
  for (let slot = 0; slot < book.size; slot++) {
    const s = states[slot];
    if (s) writeAccount(book, slot, s);
  }
}

/**
 * Inserts, replaces (`account` given) or removes (`null`) one account. Replacing appends the new
 * items and leaves the old ones as garbage; the arrays are compacted when garbage exceeds half.
 * Returns the account's slot (or null when removed / unknown).
 */
export function updateCompiledAccount(book: CompiledBook, address: Hex, account: AccountState | null): number | null {
  const key = lowerAddress(address);
  let slot = book.indexOf.get(key);
  if (account === null) {
    if (slot === undefined) return null;
    dropHoldings(book, slot);
    book.states[slot] = null;
    book.addresses[slot] = null;
    book.indexOf.delete(key);
    book.freeSlots.push(slot);
    return null;
  }
  if (slot === undefined) {
    slot = book.freeSlots.pop() ?? book.size++;
    book.itemStart = grow(book.itemStart, book.size);
    book.itemCount = grow(book.itemCount, book.size);
    book.posStart = grow(book.posStart, book.size);
    book.posCount = grow(book.posCount, book.size);
    book.indexOf.set(key, slot);
    book.addresses[slot] = account.address;
    book.itemCount[slot] = 0;
    book.posCount[slot] = 0;
  } else {
    dropHoldings(book, slot);
  }
  book.states[slot] = account;
  try {
    writeAccount(book, slot, account);
  } catch (error) {
    // keep the book consistent: the account is out until a valid state arrives
    book.states[slot] = null;
    book.addresses[slot] = null;
    book.indexOf.delete(key);
    book.freeSlots.push(slot);
    throw error;
  }
  const live = book.itemUsed + book.posUsed;
  if (book.garbage > 1024 && book.garbage * 2 > live) compact(book);
  return slot;
}

/** The address in lowercase: the same string when it already is (no allocation for most addresses). */
function lowerAddress(address: Hex): Hex {
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c >= 65 && c <= 90) return address.toLowerCase() as Hex;
  }
  return address;
}

/** The slot of an address, or undefined. */
export function slotOf(book: CompiledBook, address: Hex): number | undefined {
  return book.indexOf.get(lowerAddress(address));
}

/** Index of an asset in the book's (and env's) order, or -1. */
export function assetIndexOf(book: CompiledBook, asset: AssetSymbol): number {
  return book.assetIndex.get(asset) ?? -1;
}

// ---------------------------------------------------------------- read accessors
//
// What other modules (stress, the API's risk book) read of a compiled book. The fields of
// CompiledBook stay exported for now, but new readers should use these: the layout behind them
// (one buffer, append-only item arrays with compaction) can then change in one file.

/** Balance items (collateral and debt) as parallel columns; an account's items are `start[slot] … start[slot] + count[slot] − 1`. */
export interface ItemColumns {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** ITEM_COLLATERAL or ITEM_DEBT */
  readonly kind: Uint8Array;
  /** index in the book's asset order ({@link assetIndexOf}) */
  readonly asset: Uint16Array;
  /** index in the book's chain order */
  readonly chain: Uint16Array;
  /** amountRaw / 10^decimals, float (the exact amount stays in {@link accountAt}) */
  readonly amount: Float64Array;
}

/** Perp positions as parallel columns; an account's positions are `start[slot] … start[slot] + count[slot] − 1`. */
export interface PositionColumns {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** index in the book's market order (sorted market keys) */
  readonly market: Uint16Array;
  readonly asset: Uint16Array;
  readonly chain: Uint16Array;
  /** signed size in base units */
  readonly size: Float64Array;
  /** entry price, USD per base unit */
  readonly entry: Float64Array;
  /** n · I_pos / 1e18: funding owed F = n · I_now / 1e18 − this */
  readonly fundingCarried: Float64Array;
  /** size-adjusted maintenance ratio mr(n) */
  readonly mr: Float64Array;
  /** size-adjusted initial ratio ir(n) */
  readonly ir: Float64Array;
}

/**
 * The book's balance items as read-only column views: take them once per pass, then index typed
 * arrays (as fast as reading the fields). Valid until the next {@link updateCompiledAccount}, which
 * may reallocate the arrays. Example: `const it = itemColumns(book); it.amount[it.start[slot]]`.
 */
export function itemColumns(book: CompiledBook): ItemColumns {
  return { start: book.itemStart, count: book.itemCount, kind: book.itemKind, asset: book.itemAsset, chain: book.itemChain, amount: book.itemAmount };
}

/** The book's perp positions as read-only column views; same validity as {@link itemColumns}. */
export function positionColumns(book: CompiledBook): PositionColumns {
  return {
    start: book.posStart,
    count: book.posCount,
    market: book.posMarket,
    asset: book.posAsset,
    chain: book.posChain,
    size: book.posSize,
    entry: book.posEntry,
    fundingCarried: book.posFundingCarried,
    mr: book.posMr,
    ir: book.posIr,
  };
}

/** Number of account slots, live and freed: slots are `0 … slotCount(book) − 1`. */
export function slotCount(book: CompiledBook): number {
  return book.size;
}

/** The exact account state of a slot (raw bigints), or null for a freed slot. */
export function accountAt(book: CompiledBook, slot: number): AccountState | null {
  return book.states[slot] ?? null;
}

/** The address of a slot as it was given, or null for a freed slot. */
export function addressAt(book: CompiledBook, slot: number): Hex | null {
  return book.addresses[slot] ?? null;
}

/**
 * The slots of the accounts holding asset `assetIdx` (collateral, debt or a perp on it), in no
 * particular order, as a view valid until the next update; empty for an index the book does not
 * have (e.g. `assetIndexOf`'s −1). Example: `for (const slot of holderSlots(book, assetIndexOf(book, "ETH")))`.
 */
export function holderSlots(book: CompiledBook, assetIdx: number): Int32Array {
  const holders = book.holders[assetIdx];
  return holders === undefined ? new Int32Array(0) : holders.slots();
}

/** How many accounts hold asset `assetIdx` (0 for an unknown index). */
export function holderCount(book: CompiledBook, assetIdx: number): number {
  return book.holders[assetIdx]?.size ?? 0;
}

/**
 * Per market (sorted market keys, as `PositionColumns.market`): env's current funding index
 * `I / 1e18` as a float, NaN where env has none (no extra funding). Cached per (book, env); read-only.
 * Throws RangeError when env was prepared from another config's assets or chains.
 */
export function marketFundingIndex(book: CompiledBook, env: PreparedEnvironment): Float64Array {
  return bind(book, env);
}

/** Per (book, env): current funding index per market as a float (NaN: unknown → no extra funding). */
function bind(book: CompiledBook, env: PreparedEnvironment): Float64Array {
  let funding = book.bindings.get(env);
  if (funding) return funding;
  if (env.assetOrder.join("\u0000") !== book.assetOrder.join("\u0000") || env.chainOrder.join(",") !== book.chainOrder.join(",")) {
    throw new RangeError(
      `The environment was prepared from another config (assets [${env.assetOrder.join(", ")}], chains [${env.chainOrder.join(", ")}]) than the book (assets [${book.assetOrder.join(", ")}], chains [${book.chainOrder.join(", ")}]).`,
    );
  }
  funding = new Float64Array(book.marketKeys.length);
  book.marketKeys.forEach((key, m) => {
    const idx = env.markets[key]?.fundingIndexX18;
    funding![m] = idx === null || idx === undefined ? Number.NaN : toFloat(idx, 18);
  });
  book.bindings.set(env, funding);
  return funding;
}

let exposureScratch = new Float64Array(0);

/**
 * Fast float screen of slot `i`: healthM, healthI, equity, HF, collateral and debt at market, with the
 * same rules as evaluateAccount (bands, staleness, portfolio mode). When any of healthI, healthM or
 * equity is within `SCREEN_BAND·Σ|terms| + SCREEN_ABS_USD` of 0 the tier comes from the exact
 * decimal math instead ({@link accountHealth}), so it always equals evaluateAccount's tier.
 * Writes into `out` when given. Example: `screenAccount(book, 0, env).tier`.
 */
export function screenAccount(book: CompiledBook, i: number, env: PreparedEnvironment, out?: AccountScreen): AccountScreen {
  return screenSlot(book, i, env, bind(book, env), out);
}

/** {@link screenAccount} with the (book, env) binding looked up once by the caller. */
function screenSlot(book: CompiledBook, i: number, env: PreparedEnvironment, funding: Float64Array, out?: AccountScreen): AccountScreen {
  const f = env.fast;
  const nC = f.nChains;
  const nA = f.nAssets;
  let collM = 0;
  let collI = 0;
  let debtM = 0;
  let debtI = 0;
  let collV = 0;
  let debtV = 0;
  let pnlPos = 0;
  let pnlNeg = 0;
  let pnlI = 0;
  let reqM = 0;
  let reqI = 0;
  let pnlEquity = 0;
  let scale = 0;
  let degraded = false;
  let horizon = 0;
  const portfolio = f.portfolio;
  if (portfolio && exposureScratch.length < nA) exposureScratch = new Float64Array(nA);
  if (portfolio) exposureScratch.fill(0, 0, nA);

  const iStart = book.itemStart[i];
  const iEnd = iStart + book.itemCount[i];
  for (let k = iStart; k < iEnd; k++) {
    const a = book.itemAsset[k];
    const c = book.itemChain[k];
    const amt = book.itemAmount[k];
    const last = f.assetLast[a];
    const v = last === last ? amt * last : 0;
    const zeroed = f.chainZeroed[c] === 1;
    if (zeroed || f.assetDegraded[a] === 1) degraded = true;
    if (f.chainLatency[c] > horizon) horizon = f.chainLatency[c];
    const w = a * nC + c;
    if (book.itemKind[k] === KIND_COLLATERAL) {
      const atMarket = f.chainUnreachable[c] === 1 ? 0 : v;
      collV += atMarket;
      if (portfolio) exposureScratch[a] += atMarket;
      const low = f.assetLow[a];
      if (!zeroed && f.assetStale[a] === 0 && low === low) {
        const x = amt * low;
        collM += x * f.collWeightM[w];
        collI += x * f.collWeightI[w];
      }
      scale += v;
    } else {
      debtV += v;
      if (portfolio) exposureScratch[a] -= v;
      const high = f.assetHigh[a];
      if (high === high) {
        const x = amt * high;
        const m = x * f.debtFactorM[w];
        debtM += m;
        debtI += x * f.debtFactorI[w];
        scale += m;
      }
      scale += v;
    }
  }

  const pStart = book.posStart[i];
  const pEnd = pStart + book.posCount[i];
  for (let k = pStart; k < pEnd; k++) {
    const a = book.posAsset[k];
    const c = book.posChain[k];
    const n = book.posSize[k];
    const absN = n < 0 ? -n : n;
    const entry = book.posEntry[k];
    const fundNow = funding[book.posMarket[k]];
    const carried = book.posFundingCarried[k];
    const F = fundNow === fundNow ? n * fundNow - carried : 0;
    const zeroPos = f.chainZeroed[c] === 1 || f.assetStale[a] === 1;
    if (f.chainZeroed[c] === 1 || f.assetDegraded[a] === 1) degraded = true;
    if (f.chainLatency[c] > horizon) horizon = f.chainLatency[c];
    const low = f.assetLow[a];
    const high = f.assetHigh[a];
    const last = f.assetLast[a];
    const mr = book.posMr[k];
    const ir = book.posIr[k];
    if (last === last) {
      const uE = n * (last - entry) - F;
      pnlEquity += f.chainUnreachable[c] === 1 && uE > 0 ? 0 : uE;
      if (portfolio) exposureScratch[a] += n * last;
      scale += Math.abs(n * (last + entry)) + Math.abs(F) + Math.abs(carried) * 2;
    }
    if (low === low) {
      // maintenance and initial at the band's worse end (one point when there is a mark)
      let u = n * (low - entry) - F;
      if (zeroPos && u > 0) u = 0;
      let rM = absN * low * mr;
      let rI = absN * low * ir;
      let uI = u;
      if (high !== low) {
        let uh = n * (high - entry) - F;
        if (zeroPos && uh > 0) uh = 0;
        const rMh = absN * high * mr;
        const rIh = absN * high * ir;
        if (uh - rMh < u - rM) {
          u = uh;
          rM = rMh;
        }
        if (uh - rIh < uI - rI) {
          uI = uh;
          rI = rIh;
        }
      }
      if (u > 0) pnlPos += u;
      else pnlNeg -= u;
      pnlI += uI;
      reqM += rM;
      reqI += rI;
      scale += rM + rI + Math.abs(n * ((high > low ? high : low) + entry));
    }
  }

  let chargedM = reqM;
  let chargedI = reqI;
  if (portfolio) {
    const pmrM = floatPortfolioRequirement(exposureScratch, f, horizon, f.zM);
    const pmrI = floatPortfolioRequirement(exposureScratch, f, horizon * 2, f.zI);
    chargedM = Math.max(pmrM, f.portfolioFloor * reqM);
    chargedI = Math.max(pmrI, f.portfolioFloor * reqI);
    scale += chargedM + chargedI;
  }
  const healthM = collM + pnlPos - pnlNeg - debtM - chargedM;
  const healthI = collI + pnlI - debtI - chargedI;
  const equity = collV - debtV + pnlEquity;
  scale += collM + collI + debtI;
  const tol = SCREEN_BAND * scale + SCREEN_ABS_USD;
  let tier: Tier;
  if (Math.abs(healthM) <= tol || Math.abs(healthI) <= tol || Math.abs(equity) <= tol) {
    book.exactChecks++;
    tier = accountHealth(book.states[i]!, env).tier;
  } else {
    tier = equity < 0 ? "INSOLVENT" : healthM < 0 ? "LIQUIDATABLE" : healthI < 0 ? "MARGIN_CALL" : "SAFE";
  }
  const den = debtM + pnlNeg + chargedM;
  const screen: AccountScreen = out ?? {
    tier,
    healthMUsd: 0,
    healthIUsd: 0,
    equityUsd: 0,
    healthFactor: null,
    collateralUsd: 0,
    debtUsd: 0,
    degraded: false,
  };
  screen.tier = tier;
  screen.healthMUsd = healthM;
  screen.healthIUsd = healthI;
  screen.equityUsd = equity;
  screen.healthFactor = den === 0 ? null : (collM + pnlPos) / den;
  screen.collateralUsd = collV;
  screen.debtUsd = debtV;
  screen.degraded = degraded;
  return screen;
}

/** Float PMR: z·(√(max(0, eᵀΣe)) over known assets + Σ|e|σ over the rest)·√(T/Y). */
function floatPortfolioRequirement(e: Float64Array, f: PreparedEnvironment["fast"], horizon: number, z: number): number {
  if (!(horizon > 0)) return 0;
  const nA = f.nAssets;
  let variance = 0;
  let linear = 0;
  for (let a = 0; a < nA; a++) {
    const ea = e[a];
    if (ea === 0) continue;
    if (f.covKnown[a] === 0) {
      linear += Math.abs(ea) * f.sigma[a];
      continue;
    }
    for (let b = 0; b < nA; b++) {
      const eb = e[b];
      if (eb !== 0 && f.covKnown[b] === 1) variance += ea * eb * f.cov[a * nA + b];
    }
  }
  const sd = (variance > 0 ? Math.sqrt(variance) : 0) + linear;
  return z * sd * Math.sqrt(horizon / f.yearSeconds);
}

/**
 * Screens every live slot; `out[slot]` is reused when present, null for freed slots.
 * Example: `const screens = screenAll(book, env)`.
 */
export function screenAll(book: CompiledBook, env: PreparedEnvironment, out: (AccountScreen | null)[] = []): (AccountScreen | null)[] {
  const funding = bind(book, env);
  out.length = book.size;
  for (let i = 0; i < book.size; i++) {
    if (book.states[i] === null) {
      out[i] = null;
      continue;
    }
    out[i] = screenSlot(book, i, env, funding, out[i] ?? undefined);
  }
  return out;
}

/**
 * Re-screens only the accounts holding asset `assetIdx` (after its price moved), writing `out[slot]`.
 * Returns the slots it touched. Example: `screenHolders(book, assetIndexOf(book, "ETH"), env, screens)`.
 */
export function screenHolders(
  book: CompiledBook,
  assetIdx: number,
  env: PreparedEnvironment,
  out: (AccountScreen | null)[],
): number[] {
  const holders = book.holders[assetIdx];
  if (!holders) return [];
  const funding = bind(book, env);
  if (out.length < book.size) out.length = book.size;
  const slots = holders.slots();
  const touched: number[] = new Array(slots.length);
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k];
    out[slot] = screenSlot(book, slot, env, funding, out[slot] ?? undefined);
    touched[k] = slot;
  }
  return touched;
}
