/**
 * The fast path of an Aave market: every account's positions as scaled balances in typed arrays
 * (compiled once per folded market state), screened in floats at a block's indexes and prices.
 * Each float number comes with an error bound; wherever a verdict could differ from the exact
 * path (aaveAccountSnapshot → aaveAccountRule / aaveAccountView) within that bound, the account is
 * marked for the exact path, so a tier, a bad debt or a "below HF x" decided from the screen is
 * never wrong. The float numbers themselves are only used for ordering candidates and for the
 * domain's collateral and debt sums (as the vault book's screen is, risk/compiled.ts).
 *
 * What makes the bounds (per account, base-currency units of the market, or USD for the view):
 * - a balance is rayMul(scaled, index) rounded to 1 wei, then valued with one floor: ≤ 2 base
 *   units + one token wei's price per item, plus the float's relative error (~1e-15 per term);
 * - the average liquidation threshold is floored to whole basis points: when the float average is
 *   within 1e-6 bps of an integer, the floor itself is uncertain and the bound takes a whole bps;
 * - percentMul and wadDiv round half up: ≤ 1 unit of the result.
 * The bounds used are those ×4, and every verdict within them goes exact.
 */
import type { Address } from "viem";
import { assetPrice, reserveNormalizedDebt, reserveNormalizedIncome, type AaveMarketState, type AaveReserveState } from "../../protocols/aaveV3/ledger.js";
import type { AssetSymbol } from "../types.js";
import { haircutOfContext, type AaveViewContext } from "./aaveView.js";
import { steppedLagSeconds } from "../environment.js";

/** One market's accounts, compiled from its folded state (the state must not change afterwards: compile again). */
export interface AaveScreenBook {
  state: AaveMarketState;
  reserves: AaveReserveState[];
  /** accounts with a non-zero aToken or variable debt balance (in the state's order: not sorted) */
  addresses: Address[];
  slotOf: Map<Address, number>;
  /** per account: the user's eMode category (0 = none) */
  eModeCategory: Int32Array;
  /** per account: its items are [itemStart[i], itemStart[i + 1]) */
  itemStart: Int32Array;
  itemReserve: Uint16Array;
  itemScaledA: Float64Array;
  itemScaledD: Float64Array;
  itemCollateral: Uint8Array;
}

const RAY_F = 1e27;

/**
 * The market's accounts as typed arrays (one pass over the scaled balances and collateral bits).
 * Example: `compileAaveScreen(state).addresses.length` = accounts with a position.
 */
export function compileAaveScreen(state: AaveMarketState): AaveScreenBook {
  const reserves = [...state.reserves.values()];
  const reserveIndex = new Map<Address, number>(reserves.map((r, i) => [r.asset, i]));
  const tokenRole = new Map<Address, { reserve: number; debt: boolean }>();
  reserves.forEach((r, i) => {
    tokenRole.set(r.aToken, { reserve: i, debt: false });
    tokenRole.set(r.variableDebtToken, { reserve: i, debt: true });
  });
  const n = reserves.length;
  // per account of the state (in first-seen order): scaledA, scaledD and the collateral bit per reserve
  const capacity = state.accounts.size;
  const tmpSlot = new Map<Address, number>();
  const a = new Float64Array(capacity * n);
  const d = new Float64Array(capacity * n);
  const bits = new Uint8Array(capacity * n);
  const live = new Uint8Array(capacity);
  const users: Address[] = [];
  const slotFor = (user: Address): number => {
    let i = tmpSlot.get(user);
    if (i === undefined) {
      i = users.length;
      if (i >= capacity) throw new RangeError(`account ${user} holds a balance but is not in the state's accounts`);
      users.push(user);
      tmpSlot.set(user, i);
    }
    return i;
  };
  for (const [token, byAccount] of state.scaledBalances) {
    const role = tokenRole.get(token);
    if (role === undefined) continue; // a stable debt token: not followed (ledger.ts accountData)
    const at = role.debt ? d : a;
    for (const [user, scaled] of byAccount) {
      if (scaled === 0n) continue;
      const i = slotFor(user);
      live[i] = 1;
      at[i * n + role.reserve] = Number(scaled);
    }
  }
  for (const [asset, accounts] of state.collateral) {
    const r = reserveIndex.get(asset);
    if (r === undefined) continue;
    for (const user of accounts) {
      const i = tmpSlot.get(user);
      if (i !== undefined) bits[i * n + r] = 1;
    }
  }
  const order: number[] = [];
  for (let i = 0; i < users.length; i++) if (live[i] === 1) order.push(i);
  const addresses = order.map((i) => users[i]);
  const itemStart = new Int32Array(addresses.length + 1);
  let items = 0;
  for (let j = 0; j < order.length; j++) {
    itemStart[j] = items;
    const base = order[j] * n;
    for (let r = 0; r < n; r++) if (a[base + r] !== 0 || d[base + r] !== 0 || bits[base + r] !== 0) items++;
  }
  itemStart[addresses.length] = items;
  const book: AaveScreenBook = {
    state,
    reserves,
    addresses,
    slotOf: new Map(addresses.map((x, j) => [x, j])),
    eModeCategory: new Int32Array(addresses.length),
    itemStart,
    itemReserve: new Uint16Array(items),
    itemScaledA: new Float64Array(items),
    itemScaledD: new Float64Array(items),
    itemCollateral: new Uint8Array(items),
  };
  let k = 0;
  for (let j = 0; j < order.length; j++) {
    const base = order[j] * n;
    book.eModeCategory[j] = state.userEMode.get(addresses[j]) ?? 0;
    for (let r = 0; r < n; r++) {
      if (a[base + r] === 0 && d[base + r] === 0 && bits[base + r] === 0) continue;
      book.itemReserve[k] = r;
      book.itemScaledA[k] = a[base + r];
      book.itemScaledD[k] = d[base + r];
      book.itemCollateral[k] = bits[base + r];
      k++;
    }
  }
  return book;
}

/** Why an account must take the exact path (bit flags of `AaveScreen.exact`). */
export const SCREEN_EXACT = {
  /** a tier boundary of xmargin's view is within the error bound */
  TIER: 1,
  /** debt may exceed collateral (bad debt is then computed exactly) */
  BAD_DEBT: 2,
  /** a price, a category or a risk symbol is missing: the exact path reports the problem */
  PROBLEM: 4,
} as const;

/** The screen of one market at one block: per account slot of the book. */
export interface AaveScreen {
  book: AaveScreenBook;
  /** Aave's health factor (1 = 1.0); +Infinity with no debt */
  hf: Float64Array;
  /** a lower bound of the exact health factor (0 when unknown) */
  hfLow: Float64Array;
  /** Aave's total collateral and debt, base-currency units */
  collateralBase: Float64Array;
  debtBase: Float64Array;
  /** xmargin's tier (an index into risk/types TIERS) from the floats; exact unless `exact & TIER` */
  tier: Uint8Array;
  /** SCREEN_EXACT flags; 0: the screen decides everything about this account */
  exact: Uint8Array;
}

const SAFETY = 4;

/**
 * Screens every account of `book` at the block with `timestamp` (seconds) under `ctx` (the view's
 * context: horizon, σ, staleness, symbols). Pure; the state's indexes and prices are read once per
 * reserve. Example: `screenAaveMarket(compileAaveScreen(state), t, ctx).tier[slot]`.
 */
export function screenAaveMarket(book: AaveScreenBook, timestamp: bigint, ctx: AaveViewContext): AaveScreen {
  const { state, reserves } = book;
  const n = reserves.length;
  const inc = new Float64Array(n);
  const deb = new Float64Array(n);
  const price = new Float64Array(n);
  const priceOk = new Uint8Array(n);
  const unit = new Float64Array(n);
  const lt = new Float64Array(n);
  const ltv = new Float64Array(n);
  const category = new Int32Array(n);
  const symbolAt: (AssetSymbol | null)[] = [];
  let indexesOk = true;
  reserves.forEach((r, i) => {
    try {
      inc[i] = Number(reserveNormalizedIncome(state, r.asset, timestamp)) / RAY_F;
      deb[i] = Number(reserveNormalizedDebt(state, r.asset, timestamp)) / RAY_F;
    } catch {
      indexesOk = false;
    }
    try {
      price[i] = Number(assetPrice(state, r.asset));
      priceOk[i] = 1;
    } catch {
      priceOk[i] = 0;
    }
    unit[i] = 10 ** r.decimals;
    lt[i] = Number(r.liquidationThresholdBps);
    ltv[i] = Number(r.ltvBps);
    category[i] = r.eModeCategoryId;
    const s = ctx.symbols.get(r.asset);
    symbolAt.push(s !== undefined && ctx.assets[s] !== undefined ? s : null);
  });
  // the view's per-symbol haircuts at this market's horizon (the same memo the exact view uses)
  const indexed = ctx.blockTimestamp !== null;
  const measuredLag = indexed ? steppedLagSeconds(ctx.now - ctx.blockTimestamp!, ctx.lagStepSeconds) : 0;
  const chainStale = !indexed || measuredLag > ctx.maxDataLagSeconds;
  const horizon = ctx.finalitySeconds + measuredLag;
  const hM = new Float64Array(n);
  const hI = new Float64Array(n);
  const uM = new Float64Array(n);
  const uI = new Float64Array(n);
  const stale = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = symbolAt[i];
    if (s === null || !(horizon >= 0) || !Number.isFinite(horizon)) continue;
    const a = ctx.assets[s];
    const m = haircutOfContext(ctx, s, a.sigmaAnnual, ctx.zMaintenance, horizon);
    const ini = haircutOfContext(ctx, s, a.sigmaAnnual, ctx.zInitial, 2 * horizon);
    hM[i] = m.haircut.toNumber();
    uM[i] = m.markup.toNumber();
    hI[i] = ini.haircut.toNumber();
    uI[i] = ini.markup.toNumber();
    stale[i] = chainStale || a.priceStale ? 1 : 0;
  }
  const horizonOk = horizon >= 0 && Number.isFinite(horizon);
  const baseUnit = Number(ctx.baseCurrencyUnit);
  // eMode categories the accounts use: LT, LTV and the source's price (0 = none, NaN = unpriced)
  const categories = new Map<number, { lt: number; ltv: number; price: number } | null>();
  for (const id of new Set(book.eModeCategory)) {
    if (id === 0) continue;
    const c = state.eModeCategories.get(id);
    if (c === undefined) {
      categories.set(id, null);
      continue;
    }
    let p = 0;
    if (c.priceSource !== "0x0000000000000000000000000000000000000000") {
      try {
        p = Number(assetPrice(state, c.priceSource));
      } catch {
        p = NaN;
      }
    }
    categories.set(id, { lt: Number(c.liquidationThresholdBps), ltv: Number(c.ltvBps), price: p });
  }

  const count = book.addresses.length;
  const out: AaveScreen = {
    book,
    hf: new Float64Array(count),
    hfLow: new Float64Array(count),
    collateralBase: new Float64Array(count),
    debtBase: new Float64Array(count),
    tier: new Uint8Array(count),
    exact: new Uint8Array(count),
  };
  for (let i = 0; i < count; i++) {
    const catId = book.eModeCategory[i];
    const cat = catId === 0 ? undefined : categories.get(catId);
    let problem = !indexesOk || !horizonOk || cat === null || (cat !== undefined && Number.isNaN(cat.price));
    let C = 0, D = 0, ltSum = 0, errC = 0, errD = 0;
    let cm = 0, ci = 0, dm = 0, di = 0, coll = 0, debtUsd = 0, absUsd = 0, errUsd = 0;
    for (let k = book.itemStart[i]; k < book.itemStart[i + 1]; k++) {
      const r = book.itemReserve[k];
      const bit = book.itemCollateral[k] === 1;
      const sD = book.itemScaledD[k];
      if (!bit && sD === 0) continue; // neither the rule nor the view values it
      if (priceOk[r] === 0) {
        problem = true;
        continue;
      }
      const inCat = cat !== undefined && cat !== null && category[r] === catId;
      const p = inCat && cat!.price !== 0 ? cat!.price : price[r];
      const weiBase = p / unit[r] + 2;
      const bal = book.itemScaledA[k] * inc[r];
      const counted = bit && lt[r] !== 0;
      if (counted) {
        const v = (bal * p) / unit[r];
        C += v;
        ltSum += v * (inCat ? cat!.lt : lt[r]);
        errC += weiBase;
      }
      let debt = 0;
      if (sD !== 0) {
        debt = sD * deb[r];
        D += (debt * p) / unit[r];
        errD += weiBase;
      }
      // the view: counted collateral with a balance, and debt
      const viewColl = counted && book.itemScaledA[k] !== 0;
      if (!viewColl && sD === 0) continue;
      if (symbolAt[r] === null) {
        problem = true;
        continue;
      }
      const pUsd = p / baseUnit;
      errUsd += (2 * pUsd) / unit[r];
      if (viewColl) {
        const v = (bal / unit[r]) * pUsd;
        const cfM = (inCat ? cat!.lt : lt[r]) / 1e4;
        const cfI = ltv[r] === 0 ? 0 : (inCat ? cat!.ltv : ltv[r]) / 1e4;
        coll += v;
        if (stale[r] === 0) {
          cm += v * cfM * (1 - hM[r]);
          ci += v * cfI * (1 - hI[r]);
        }
        absUsd += v;
      }
      if (sD !== 0) {
        const v = (debt / unit[r]) * pUsd;
        debtUsd += v;
        dm += v * (1 + uM[r]);
        di += v * (1 + uI[r]);
        absUsd += v * (1 + uM[r] + uI[r]);
      }
    }
    out.collateralBase[i] = C;
    out.debtBase[i] = D;
    let flags = problem ? SCREEN_EXACT.PROBLEM : 0;
    // the rule: HF = wadDiv(percentMul(C, ⌊ltSum / C⌋), D)
    const eC = SAFETY * (errC + 1e-12 * C);
    const eD = SAFETY * (errD + 1e-12 * D);
    if (D - C > -(eC + eD)) flags |= SCREEN_EXACT.BAD_DEBT;
    if (D === 0 && errD === 0) {
      out.hf[i] = Infinity;
      out.hfLow[i] = Infinity;
    } else if (D <= eD || C <= eC) {
      // dust: the floors dominate; the exact path decides
      out.hf[i] = C === 0 ? 0 : D === 0 ? Infinity : (C * Math.floor(ltSum / C)) / 1e4 / D;
      out.hfLow[i] = 0;
    } else {
      const avg = ltSum / C;
      const ltBps = Math.floor(avg);
      const frac = avg - ltBps;
      const floorUnsure = frac < 1e-6 || frac > 1 - 1e-6;
      const hf = (C * ltBps) / 1e4 / D;
      const rel = eC / C + eD / D + SAFETY * (1e4 / (C * Math.max(ltBps, 1)) + 1e-12) + (floorUnsure ? (SAFETY * 1.5) / Math.max(ltBps, 1) : 0);
      out.hf[i] = hf;
      out.hfLow[i] = Math.max(0, hf * (1 - rel) - 1e-15);
    }
    // the view's tier (tierOf: equity < 0, healthM < 0, healthI < 0; exactly 0 is the safer tier)
    const healthM = cm - dm;
    const healthI = ci - di;
    const equity = coll - debtUsd;
    const band = SAFETY * (1e-9 * absUsd + errUsd) + 1e-9;
    if (Math.abs(healthM) <= band || Math.abs(healthI) <= band || Math.abs(equity) <= band) flags |= SCREEN_EXACT.TIER;
    out.tier[i] = equity < 0 ? 3 : healthM < 0 ? 2 : healthI < 0 ? 1 : 0;
    out.exact[i] = flags;
  }
  return out;
}
