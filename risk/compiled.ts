/**
 * The hot path: every account's items in dense typed arrays, screened with floats, and the tier
 * confirmed with the exact decimal math of evaluateAccount whenever a float health number is within
 * a relative band of a tier boundary — so a screen's tier is never wrong, and the float numbers are
 * only used for ranking, lists and stress. Measured against decimal.js and bigint fixed point in
 * bench/results/representation.md.
 */
import type Decimal from "decimal.js";
import { D, fromRaw } from "./decimal.js";
import { configOrder, type PreparedEnvironment } from "./environment.js";
import { UnknownAssetError, UnknownChainError, UnknownMarketError } from "./errors.js";
import { accountHealth, sizeAdjustedMarginRatio } from "./evaluateAccount.js";
import type { AccountScreen, AccountState, AssetSymbol, ChainId, Hex, MarketKey, RiskConfig, Tier } from "./types.js";

/**
 * A float health number within `SCREEN_BAND · Σ|terms| + SCREEN_ABS_USD` of 0 is re-checked exactly.
 * Float error of the screen is ≲ 1e-15 relative per term and the exact path's rounding ≤ 1e-18 USD per
 * term, so this band is ~10⁶ times wider than any disagreement can be.
 */
export const SCREEN_BAND = 1e-9;
export const SCREEN_ABS_USD = 1e-9;

const KIND_COLLATERAL = 0;
const KIND_DEBT = 1;

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
  indexOf: Map<Hex, number>;
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
  holders: Set<number>[];
  /** exact re-checks performed (near a tier boundary) since the book was built */
  exactChecks: number;
  bindings: WeakMap<PreparedEnvironment, Float64Array>;
}

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(arr: T, need: number): T {
  if (arr.length >= need) return arr;
  const Ctor = arr.constructor as new (n: number) => T;
  const next = new Ctor(Math.max(need, arr.length * 2, 16));
  next.set(arr);
  return next;
}

/**
 * Compiles accounts into the dense representation (slots in input order). Throws UnknownChainError /
 * UnknownAssetError / UnknownMarketError for items the config does not list.
 * Example: `const book = compileBook(accounts, config); screenAll(book, env)`.
 */
export function compileBook(accounts: readonly AccountState[], config: RiskConfig): CompiledBook {
  const { assetOrder, chainOrder } = configOrder(config);
  const marketKeys = Object.keys(config.markets).sort();
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
    indexOf: new Map(),
    states: [],
    freeSlots: [],
    itemStart: new Int32Array(Math.max(16, accounts.length)),
    itemCount: new Int32Array(Math.max(16, accounts.length)),
    posStart: new Int32Array(Math.max(16, accounts.length)),
    posCount: new Int32Array(Math.max(16, accounts.length)),
    itemUsed: 0,
    itemKind: new Uint8Array(16),
    itemAsset: new Uint16Array(16),
    itemChain: new Uint16Array(16),
    itemAmount: new Float64Array(16),
    posUsed: 0,
    posMarket: new Uint16Array(16),
    posAsset: new Uint16Array(16),
    posChain: new Uint16Array(16),
    posSize: new Float64Array(16),
    posEntry: new Float64Array(16),
    posFundingCarried: new Float64Array(16),
    posMr: new Float64Array(16),
    posIr: new Float64Array(16),
    garbage: 0,
    holders: assetOrder.map(() => new Set<number>()),
    exactChecks: 0,
    bindings: new WeakMap(),
  };
  for (const account of accounts) updateCompiledAccount(book, account.address, account);
  return book;
}

function toFloat(raw: bigint, decimals: number): number {
  return Number(raw) / 10 ** decimals;
}

function writeAccount(book: CompiledBook, slot: number, account: AccountState) {
  const where = `account ${account.address}`;
  const assetIdx = (asset: AssetSymbol) => {
    const i = book.assetIndex.get(asset);
    if (i === undefined) throw new UnknownAssetError(asset, book.assetOrder, where);
    return i;
  };
  const chainIdx = (chainId: ChainId) => {
    const i = book.chainIndex.get(chainId);
    if (i === undefined) throw new UnknownChainError(chainId, book.chainOrder, where);
    return i;
  };
  // validate everything before touching the arrays, so a bad account leaves the book unchanged
  const items = [
    ...account.collateral.map((b) => ({ kind: KIND_COLLATERAL, b })),
    ...account.debt.map((b) => ({ kind: KIND_DEBT, b })),
  ].map(({ kind, b }) => ({ kind, a: assetIdx(b.asset), c: chainIdx(b.chainId), amount: toFloat(b.amountRaw, b.decimals) }));
  const positions = account.positions.map((p) => {
    const key = `${p.chainId}:${p.marketId}`;
    const m = book.marketIndex.get(key);
    if (m === undefined) throw new UnknownMarketError(key, book.marketKeys, where);
    const market = book.marketParams[m];
    let mr = market.mmrFloat;
    let ir = market.imrFloat;
    if (!market.imf.isZero()) {
      // Drift's premium depends on the size: the same decimal function as evaluateAccount, then float
      const absN = fromRaw(p.sizeRaw < 0n ? -p.sizeRaw : p.sizeRaw, 18);
      mr = sizeAdjustedMarginRatio(market.mmr, market.imf, absN).toNumber();
      ir = sizeAdjustedMarginRatio(market.imr, market.imf, absN).toNumber();
    }
    return {
      m,
      a: assetIdx(market.asset),
      c: chainIdx(p.chainId),
      n: toFloat(p.sizeRaw, 18),
      entry: toFloat(p.entryPriceRaw, p.priceDecimals),
      carried: toFloat(p.sizeRaw, 18) * toFloat(p.fundingIndexX18, 18),
      mr,
      ir,
    };
  });

  const iStart = book.itemUsed;
  const need = iStart + items.length;
  book.itemKind = grow(book.itemKind, need);
  book.itemAsset = grow(book.itemAsset, need);
  book.itemChain = grow(book.itemChain, need);
  book.itemAmount = grow(book.itemAmount, need);
  items.forEach((it, k) => {
    book.itemKind[iStart + k] = it.kind;
    book.itemAsset[iStart + k] = it.a;
    book.itemChain[iStart + k] = it.c;
    book.itemAmount[iStart + k] = it.amount;
    book.holders[it.a].add(slot);
  });
  book.itemUsed = need;
  book.itemStart[slot] = iStart;
  book.itemCount[slot] = items.length;

  const pStart = book.posUsed;
  const pNeed = pStart + positions.length;
  book.posMarket = grow(book.posMarket, pNeed);
  book.posAsset = grow(book.posAsset, pNeed);
  book.posChain = grow(book.posChain, pNeed);
  book.posSize = grow(book.posSize, pNeed);
  book.posEntry = grow(book.posEntry, pNeed);
  book.posFundingCarried = grow(book.posFundingCarried, pNeed);
  book.posMr = grow(book.posMr, pNeed);
  book.posIr = grow(book.posIr, pNeed);
  positions.forEach((p, k) => {
    const j = pStart + k;
    book.posMarket[j] = p.m;
    book.posAsset[j] = p.a;
    book.posChain[j] = p.c;
    book.posSize[j] = p.n;
    book.posEntry[j] = p.entry;
    book.posFundingCarried[j] = p.carried;
    book.posMr[j] = p.mr;
    book.posIr[j] = p.ir;
    book.holders[p.a].add(slot);
  });
  book.posUsed = pNeed;
  book.posStart[slot] = pStart;
  book.posCount[slot] = positions.length;
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
  const key = address.toLowerCase() as Hex;
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

/** The slot of an address, or undefined. */
export function slotOf(book: CompiledBook, address: Hex): number | undefined {
  return book.indexOf.get(address.toLowerCase() as Hex);
}

/** Index of an asset in the book's (and env's) order, or -1. */
export function assetIndexOf(book: CompiledBook, asset: AssetSymbol): number {
  return book.assetIndex.get(asset) ?? -1;
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
  const f = env.fast;
  const funding = bind(book, env);
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
  out.length = book.size;
  for (let i = 0; i < book.size; i++) {
    if (book.states[i] === null) {
      out[i] = null;
      continue;
    }
    out[i] = screenAccount(book, i, env, out[i] ?? undefined);
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
  const touched: number[] = [];
  const holders = book.holders[assetIdx];
  if (!holders) return touched;
  if (out.length < book.size) out.length = book.size;
  for (const slot of holders) {
    out[slot] = screenAccount(book, slot, env, out[slot] ?? undefined);
    touched.push(slot);
  }
  return touched;
}
