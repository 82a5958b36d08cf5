/**
 * Stress with liquidation cascades (risk model §6, docs/risk-model-notes-systemic.md): shock prices,
 * liquidate every account with healthM < 0, sell its collateral with price impact
 * `κ·√(V/depth)`, repeat until no new account is liquidated or `cascadeMaxRounds`, and measure the
 * deficiency `D(s) = Σ max(0, −equity)` at the final prices.
 *
 * The cascade runs on floats over the compiled book's item and position columns (compiled.ts
 * `itemColumns`, `positionColumns`: typed arrays, read once per pass; a tight kernel that mirrors
 * compiled.ts's screen for healthM and equity). What people see is exact where it is cheap: each
 * listed shortfall is re-evaluated with the exact decimal math (accountHealth) at the final prices,
 * and so is D(s) when no more than `exactDeficiencyLimit` accounts are under water.
 * Pure and deterministic: slot order, no clock, no randomness.
 */
import type Decimal from "decimal.js";
import { D, ONE, ZERO } from "./decimal.js";
import type { CompiledBook, ItemColumns, PositionColumns } from "./compiled.js";
import { accountAt, ITEM_COLLATERAL, itemColumns, marketFundingIndex, positionColumns, screenAccount, slotCount } from "./compiled.js";
import { prepareEnvironment, type EnvironmentInput, type PreparedEnvironment } from "./environment.js";
import { accountHealth } from "./evaluateAccount.js";
import type { PriceBand } from "./markPrice.js";
import { validateScenario } from "./scenarios.js";
import type { AccountScreen, AssetSymbol, CascadeRound, Hex, MarkPrice, RiskConfig, ScenarioResult, StressScenario } from "./types.js";

export interface StressOptions {
  /** the unshocked environment of `baseInput` (saves preparing it again); must come from the same config and input */
  baseEnv?: PreparedEnvironment;
  /** shortfalls listed, largest first (each exact); default 10 */
  shortfallLimit?: number;
  /** D(s) is summed exactly when at most this many accounts are under water; default 2000 */
  exactDeficiencyLimit?: number;
}

export const DEFAULT_SHORTFALL_LIMIT = 10;
export const DEFAULT_EXACT_DEFICIENCY_LIMIT = 2000;

// ---------------------------------------------------------------- environments

function scaleBand(band: PriceBand, m: Decimal): PriceBand {
  const s = (x: Decimal | null) => (x === null ? null : x.times(m));
  return { mark: s(band.mark), low: s(band.low), high: s(band.high), last: s(band.last), priceStale: band.priceStale };
}

function scaleMark(mark: MarkPrice, m: Decimal): MarkPrice {
  return {
    ...mark,
    priceUsd: mark.priceUsd === null ? null : mark.priceUsd.times(m),
    sources: mark.sources.map((s) => ({ ...s, priceUsd: s.priceUsd.times(m) })),
  };
}

/**
 * A copy of `env` (prepared without price multipliers) with each asset's prices × `factors[asset]`:
 * the same environment `prepareEnvironment(config, input, { priceMultipliers: factors, … })` gives,
 * without recomputing haircuts. Example: `scaleEnvironment(env, { ETH: new D("0.65") })`.
 */
export function scaleEnvironment(env: PreparedEnvironment, factors: Record<AssetSymbol, Decimal>): PreparedEnvironment {
  const assets = { ...env.assets };
  const shockedMarks = { ...env.shockedMarks };
  const priceMultipliers = { ...env.scenario.priceMultipliers };
  const fast = { ...env.fast, assetLow: env.fast.assetLow.slice(), assetHigh: env.fast.assetHigh.slice(), assetLast: env.fast.assetLast.slice() };
  const num = (x: Decimal | null) => (x === null ? Number.NaN : x.toNumber());
  for (const [symbol, m] of Object.entries(factors)) {
    const a = env.assets[symbol];
    if (!a || m.eq(ONE)) continue;
    const band = scaleBand(a.band, m);
    assets[symbol] = { ...a, band, multiplier: a.multiplier.times(m) };
    shockedMarks[symbol] = scaleMark(env.shockedMarks[symbol], m);
    priceMultipliers[symbol] = (priceMultipliers[symbol] ?? ONE).times(m);
    fast.assetLow[a.index] = num(band.low);
    fast.assetHigh[a.index] = num(band.high);
    fast.assetLast[a.index] = num(band.last);
  }
  return { ...env, assets, shockedMarks, fast, scenario: { ...env.scenario, priceMultipliers } };
}

/** Environments per (unreachable chains, latency multiplier), prepared once per run. */
class EnvCache {
  private readonly envs = new Map<string, PreparedEnvironment>();
  constructor(
    private readonly config: RiskConfig,
    private readonly input: EnvironmentInput,
    base: PreparedEnvironment | undefined,
  ) {
    if (base) this.envs.set("|1", base);
  }
  get(unreachable: number[], latency: string): PreparedEnvironment {
    const key = `${unreachable.join(",")}|${new D(latency).toString()}`;
    let env = this.envs.get(key);
    if (!env) {
      env = prepareEnvironment(this.config, this.input, { unreachableChains: unreachable, latencyMultiplier: latency });
      this.envs.set(key, env);
    }
    return env;
  }
}

// ---------------------------------------------------------------- float kernel

/** healthM and equity of every slot at one round's prices. */
export interface Kernel {
  healthM: Float64Array;
  equity: Float64Array;
  /** Σ|terms| per slot at today's prices: the scale the float error is measured against */
  scale: Float64Array;
}

/**
 * Within one scenario only prices move, each asset by one factor, and for most accounts healthM and
 * equity are linear in the prices plus a few clamped terms (standard margin mode, every asset the
 * account touches has a mark):
 *
 *   healthM = kM + Σ_x cM_x·P_x + Σ_clampM min(0, n·P_x + k)
 *   equity  = kE + Σ_x cE_x·P_x + Σ_clampE min(0, n·P_x + k)
 *   cM_x = Σcoll q·cfM(1−hM) − Σdebt q·(1+uM) + Σperp (n − |n|·mr),  k = −Σperp (n·E + F)
 *   cE_x = Σcoll(reachable) q − Σdebt q + Σperp n
 *
 * A perp on a zeroed chain (stale, unreachable) has its gain clamped to 0 in healthM, and on an
 * unreachable chain also in equity: those positions become clamp terms. A round then costs a short dot
 * product per account. Accounts touching an asset without a mark ("nonlinear") are evaluated item by
 * item (a mirror of compiled.ts's screen), and in portfolio mode by screenAccount itself.
 */
interface LinearModel {
  nA: number;
  cM: Float64Array;
  cE: Float64Array;
  kM: Float64Array;
  kE: Float64Array;
  scale: Float64Array;
  /** 1: the slot holds an account */
  live: Uint8Array;
  /** 1: evaluated by the linear model (+ clamp terms) */
  linear: Uint8Array;
  /** slots evaluated item by item */
  nonlinear: Int32Array;
  /** clamp terms min(0, n·P[asset] + k), added to healthM (kind 0) or equity (kind 1) of `slot` */
  clampSlot: Int32Array;
  clampAsset: Uint16Array;
  clampKind: Uint8Array;
  clampN: Float64Array;
  clampK: Float64Array;
}

function buildLinearModel(book: CompiledBook, env: PreparedEnvironment, funding: Float64Array): LinearModel {
  const f = env.fast;
  const nA = f.nAssets;
  const nC = f.nChains;
  const size = slotCount(book);
  const items = itemColumns(book);
  const pos = positionColumns(book);
  const cM = new Float64Array(size * nA);
  const cE = new Float64Array(size * nA);
  const kMs = new Float64Array(size);
  const kEs = new Float64Array(size);
  const scales = new Float64Array(size);
  const linear = new Uint8Array(size);
  const live = new Uint8Array(size);
  const marked = new Uint8Array(nA);
  for (let a = 0; a < nA; a++) {
    const lo = f.assetLow[a];
    marked[a] = lo === lo && lo === f.assetHigh[a] && lo === f.assetLast[a] && f.assetStale[a] === 0 ? 1 : 0;
  }
  const nonlinear: number[] = [];
  const clamps = { slot: [] as number[], asset: [] as number[], kind: [] as number[], n: [] as number[], k: [] as number[] };
  const addClamp = (slot: number, asset: number, kind: number, n: number, k: number) => {
    clamps.slot.push(slot);
    clamps.asset.push(asset);
    clamps.kind.push(kind);
    clamps.n.push(n);
    clamps.k.push(k);
  };
  const { chainZeroed, chainUnreachable, collWeightM, debtFactorM } = f;
  for (let i = 0; i < size; i++) {
    if (accountAt(book, i) === null) continue;
    live[i] = 1;
    let ok = !f.portfolio;
    const iStart = items.start[i];
    const iEnd = iStart + items.count[i];
    for (let k = iStart; ok && k < iEnd; k++) if (marked[items.asset[k]] === 0) ok = false;
    const pStart = pos.start[i];
    const pEnd = pStart + pos.count[i];
    for (let k = pStart; ok && k < pEnd; k++) if (marked[pos.asset[k]] === 0) ok = false;
    if (!ok) {
      nonlinear.push(i);
      continue;
    }
    const base = i * nA;
    let kM = 0;
    let kE = 0;
    let scale = 0;
    for (let k = iStart; k < iEnd; k++) {
      const a = items.asset[k];
      const c = items.chain[k];
      const q = items.amount[k];
      const w = a * nC + c;
      if (items.kind[k] === ITEM_COLLATERAL) {
        if (chainZeroed[c] === 0) cM[base + a] += q * collWeightM[w];
        if (chainUnreachable[c] === 0) cE[base + a] += q;
      } else {
        cM[base + a] -= q * debtFactorM[w];
        cE[base + a] -= q;
      }
      scale += q * f.assetLast[a];
    }
    for (let k = pStart; k < pEnd; k++) {
      const a = pos.asset[k];
      const c = pos.chain[k];
      const n = pos.size[k];
      const fundNow = funding[pos.market[k]];
      const F = fundNow === fundNow ? n * fundNow - pos.fundingCarried[k] : 0;
      const absN = n < 0 ? -n : n;
      const constant = -(n * pos.entry[k] + F);
      cM[base + a] -= absN * pos.mr[k];
      if (chainZeroed[c] === 1) addClamp(i, a, 0, n, constant);
      else {
        cM[base + a] += n;
        kM += constant;
      }
      if (chainUnreachable[c] === 1) addClamp(i, a, 1, n, constant);
      else {
        cE[base + a] += n;
        kE += constant;
      }
      scale += Math.abs(n) * (f.assetLast[a] + pos.entry[k]) + Math.abs(F);
    }
    linear[i] = 1;
    kMs[i] = kM;
    kEs[i] = kE;
    scales[i] = scale;
  }
  return {
    nA,
    cM,
    cE,
    kM: kMs,
    kE: kEs,
    scale: scales,
    live,
    linear,
    nonlinear: Int32Array.from(nonlinear),
    clampSlot: Int32Array.from(clamps.slot),
    clampAsset: Uint16Array.from(clamps.asset),
    clampKind: Uint8Array.from(clamps.kind),
    clampN: Float64Array.from(clamps.n),
    clampK: Float64Array.from(clamps.k),
  };
}

/** Evaluates every live slot at the round's prices: linear slots by dot product, the rest item by item. */
function evaluateRound(
  book: CompiledBook,
  env: PreparedEnvironment,
  model: LinearModel,
  low: Float64Array,
  high: Float64Array,
  last: Float64Array,
  funding: Float64Array,
  out: Kernel,
  scratch: { screen: AccountScreen | undefined },
) {
  const nA = model.nA;
  const { cM, cE, kM, kE, linear } = model;
  const size = slotCount(book);
  for (let i = 0; i < size; i++) {
    if (linear[i] === 0) continue;
    let hM = kM[i];
    let eq = kE[i];
    const base = i * nA;
    for (let a = 0; a < nA; a++) {
      const p = last[a];
      hM += cM[base + a] * p;
      eq += cE[base + a] * p;
    }
    out.healthM[i] = hM;
    out.equity[i] = eq;
    out.scale[i] = model.scale[i];
  }
  const { clampSlot, clampAsset, clampKind, clampN, clampK } = model;
  for (let t = 0; t < clampSlot.length; t++) {
    const u = clampN[t] * last[clampAsset[t]] + clampK[t];
    if (u < 0) {
      if (clampKind[t] === 0) out.healthM[clampSlot[t]] += u;
      else out.equity[clampSlot[t]] += u;
    }
  }
  const f = env.fast;
  if (f.portfolio) {
    const scaled = { ...env, fast: { ...f, assetLow: low, assetHigh: high, assetLast: last } };
    for (const i of model.nonlinear) {
      const s = screenAccount(book, i, scaled, scratch.screen);
      scratch.screen = s;
      out.healthM[i] = s.healthMUsd;
      out.equity[i] = s.equityUsd;
      out.scale[i] = s.collateralUsd + s.debtUsd;
    }
    return;
  }
  const items = itemColumns(book);
  const pos = positionColumns(book);
  for (const i of model.nonlinear) itemKernel(items, pos, i, f, low, high, last, funding, out);
}

/**
 * healthM, equity and error scale of every slot at `env`'s prices, as the cascade computes them (the
 * linear model where it applies, item by item elsewhere). Exposed so tests can hold it against
 * compiled.ts's screenAccount. Example: `evaluateStressKernel(book, env).equity[0]`.
 */
export function evaluateStressKernel(book: CompiledBook, env: PreparedEnvironment): Kernel {
  const funding = marketFundingIndex(book, env);
  const model = buildLinearModel(book, env, funding);
  const size = slotCount(book);
  const out: Kernel = { healthM: new Float64Array(size), equity: new Float64Array(size), scale: new Float64Array(size) };
  const f = env.fast;
  evaluateRound(book, env, model, f.assetLow, f.assetHigh, f.assetLast, funding, out, { screen: undefined });
  return out;
}

/**
 * One slot item by item, mirroring compiled.ts `screenAccount` for healthM and equity (standard mode):
 * collateral at `low` × cfM·(1−hM) unless the chain is zeroed or the price stale, debt at `high` ×
 * (1+uM), perps at the band's worse end with gains zeroed on zeroed chains / stale prices; equity at
 * `last`, unreachable chains' collateral and gains count 0.
 */
function itemKernel(
  items: ItemColumns,
  pos: PositionColumns,
  i: number,
  f: PreparedEnvironment["fast"],
  low: Float64Array,
  high: Float64Array,
  last: Float64Array,
  funding: Float64Array,
  out: Kernel,
) {
  const nC = f.nChains;
  const { chainZeroed, chainUnreachable, assetStale, collWeightM, debtFactorM } = f;
  let collM = 0;
  let debtM = 0;
  let collV = 0;
  let debtV = 0;
  let pnl = 0;
  let req = 0;
  let pnlEquity = 0;
  let scale = 0;
  const iEnd = items.start[i] + items.count[i];
  for (let k = items.start[i]; k < iEnd; k++) {
    const a = items.asset[k];
    const c = items.chain[k];
    const amt = items.amount[k];
    const p = last[a];
    const v = p === p ? amt * p : 0;
    const w = a * nC + c;
    if (items.kind[k] === ITEM_COLLATERAL) {
      if (chainUnreachable[c] === 0) collV += v;
      const lo = low[a];
      if (chainZeroed[c] === 0 && assetStale[a] === 0 && lo === lo) collM += amt * lo * collWeightM[w];
    } else {
      debtV += v;
      const hi = high[a];
      if (hi === hi) debtM += amt * hi * debtFactorM[w];
    }
    scale += v;
  }
  const pEnd = pos.start[i] + pos.count[i];
  for (let k = pos.start[i]; k < pEnd; k++) {
    const a = pos.asset[k];
    const c = pos.chain[k];
    const n = pos.size[k];
    const absN = n < 0 ? -n : n;
    const entry = pos.entry[k];
    const fundNow = funding[pos.market[k]];
    const F = fundNow === fundNow ? n * fundNow - pos.fundingCarried[k] : 0;
    const zeroPos = chainZeroed[c] === 1 || assetStale[a] === 1;
    const p = last[a];
    if (p === p) {
      const uE = n * (p - entry) - F;
      pnlEquity += chainUnreachable[c] === 1 && uE > 0 ? 0 : uE;
      scale += Math.abs(n * (p + entry)) + Math.abs(F);
    }
    const lo = low[a];
    if (lo === lo) {
      const mr = pos.mr[k];
      let u = n * (lo - entry) - F;
      if (zeroPos && u > 0) u = 0;
      let rM = absN * lo * mr;
      const hi = high[a];
      if (hi !== lo) {
        let uh = n * (hi - entry) - F;
        if (zeroPos && uh > 0) uh = 0;
        const rMh = absN * hi * mr;
        if (uh - rMh < u - rM) {
          u = uh;
          rM = rMh;
        }
      }
      pnl += u;
      req += rM;
      scale += rM;
    }
  }
  out.healthM[i] = collM + pnl - debtM - req;
  out.equity[i] = collV - debtV + pnlEquity;
  out.scale[i] = scale + collM + debtM;
}

// ---------------------------------------------------------------- the cascade

/** Neumaier-compensated Σ max(0, −equity) over live slots. */
function deficiency(live: Uint8Array, equity: Float64Array): number {
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < live.length; i++) {
    if (live[i] === 0) continue;
    const e = equity[i];
    if (!(e < 0)) continue;
    const x = -e;
    const t = sum + x;
    comp += Math.abs(sum) >= x ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + comp;
}

/** USD, rounded to cents away from the safe side (deficiency and volumes are magnitudes: up). */
function usdFromFloat(x: number): Decimal {
  return new D(x).toDecimalPlaces(2, D.ROUND_UP);
}

/**
 * Runs one scenario with its liquidation cascade:
 *
 *   round 1 prices  P_x = P_x(now)·(1 + shock_x)
 *   round k         liquidate every not-yet-liquidated account with healthM(P) < 0: sell its non-stable
 *                   collateral on reachable chains and the base size of its long perps (into stables);
 *                   V_x += sold quantity × P_x(now)   (USD at today's mark: quantity-based)
 *                   impact_x = κ_x·√(V_x/depth_x);  P_x = P_x(now)·(1 + shock_x)·max(0, 1 − impact_x)
 *   stop            when a round liquidates nobody, or after cascadeMaxRounds rounds
 *   D(s)            = Σ max(0, −equity_a) over all accounts at the final prices (USD, exact or cents)
 *
 * Per round: new liquidations, volume sold (at that round's prices), cumulative impact per asset, and
 * the deficiency at the prices after that round's impact. Shortfalls: the largest
 * `shortfallLimit`, exact (accountHealth at the final prices), largest first, ties by address.
 * Throws ScenarioError (BAD_SCENARIO) for an invalid scenario.
 * Example: `runScenario(book, config, input, { name: "eth-40", shocks: [{ asset: "ETH", pct: "-0.4" }] })`.
 */
export function runScenario(
  book: CompiledBook,
  config: RiskConfig,
  baseInput: EnvironmentInput,
  scenario: StressScenario,
  options: StressOptions = {},
): ScenarioResult {
  return runScenarios(book, config, baseInput, [scenario], options)[0];
}

/**
 * Runs several scenarios (e.g. `defaultScenarios(config, vol)`) sharing the prepared environments.
 * Same results as {@link runScenario} one by one.
 */
export function runScenarios(
  book: CompiledBook,
  config: RiskConfig,
  baseInput: EnvironmentInput,
  scenarios: readonly StressScenario[],
  options: StressOptions = {},
): ScenarioResult[] {
  const valid = scenarios.map((s) => validateScenario(s, config));
  const run = validatedRunner(book, config, baseInput, options);
  return valid.map((s) => run(s));
}

/**
 * One scenario at a time over the same base environment, environment cache and workspace, so a
 * caller can run a list in slices (one scenario per macrotask) at the cost of one `runScenarios`
 * call. If the book grew between two calls the workspace is rebuilt. Throws ScenarioError for an
 * invalid scenario. Example: `const run = scenarioRunner(book, config, input); run(s1); run(s2)`.
 */
export function scenarioRunner(book: CompiledBook, config: RiskConfig, baseInput: EnvironmentInput, options: StressOptions = {}): (scenario: StressScenario) => ScenarioResult {
  const run = validatedRunner(book, config, baseInput, options);
  return (scenario) => run(validateScenario(scenario, config));
}

/** scenarioRunner for scenarios already validated (runScenarios validates the whole list before any work). */
function validatedRunner(book: CompiledBook, config: RiskConfig, baseInput: EnvironmentInput, options: StressOptions): (valid: StressScenario) => ScenarioResult {
  const cache = new EnvCache(config, baseInput, options.baseEnv);
  const base = cache.get([], "1");
  let size = slotCount(book);
  let work = new Workspace(size);
  return (valid) => {
    if (slotCount(book) !== size) work = new Workspace((size = slotCount(book)));
    return cascade(book, config, base, cache, valid, work, options);
  };
}

class Workspace {
  readonly kernel: Kernel;
  readonly liquidated: Uint8Array;
  readonly scratch: { screen: AccountScreen | undefined } = { screen: undefined };
  readonly models = new Map<PreparedEnvironment, { model: LinearModel; funding: Float64Array }>();
  constructor(size: number) {
    this.kernel = { healthM: new Float64Array(size), equity: new Float64Array(size), scale: new Float64Array(size) };
    this.liquidated = new Uint8Array(size);
  }
}

function cascade(
  book: CompiledBook,
  config: RiskConfig,
  base: PreparedEnvironment,
  cache: EnvCache,
  scenario: StressScenario,
  work: Workspace,
  options: StressOptions,
): ScenarioResult {
  const env = cache.get(scenario.unreachableChains ?? [], scenario.latencyMultiplier ?? "1");
  const order = env.assetOrder;
  const nA = order.length;
  const f = env.fast;
  const shock = new Float64Array(nA).fill(1);
  const shockDecimal: Record<AssetSymbol, Decimal> = {};
  for (const s of scenario.shocks) {
    const m = ONE.plus(s.pct);
    shockDecimal[s.asset] = m;
    shock[env.assets[s.asset].index] = m.toNumber();
  }
  const refPrice = base.fast.assetLast; // today's mark: the unit of V and of depth
  // liquidations sell into stablecoins: a stable's own collateral is the proceeds, not a sale (and
  // pricing it down would also shrink every stable debt, a phantom gain)
  const sold = order.map((x) => config.assets[x].group !== "stable");
  const kappa = order.map((x) => Number(config.assets[x].impactKappa));
  const depth = order.map((x) => Number(config.assets[x].depthUsd));
  const low = new Float64Array(nA);
  const high = new Float64Array(nA);
  const last = new Float64Array(nA);
  const impact = new Float64Array(nA);
  const volumeRef = new Float64Array(nA);
  const setPrices = () => {
    for (let a = 0; a < nA; a++) {
      const m = shock[a] * Math.max(0, 1 - impact[a]);
      low[a] = f.assetLow[a] * m;
      high[a] = f.assetHigh[a] * m;
      last[a] = f.assetLast[a] * m;
    }
  };
  let prepared = work.models.get(env);
  if (!prepared) {
    const funding = marketFundingIndex(book, env);
    prepared = { funding, model: buildLinearModel(book, env, funding) };
    work.models.set(env, prepared);
  }
  const { funding, model } = prepared;
  const { kernel, liquidated } = work;
  liquidated.fill(0);

  setPrices();
  evaluateRound(book, env, model, low, high, last, funding, kernel, work.scratch);
  const rounds: CascadeRound[] = [];
  let totalVolume = 0;
  const maxRounds = config.params.cascadeMaxRounds;
  const items = itemColumns(book);
  const pos = positionColumns(book);
  const size = slotCount(book);
  const unreachable = f.chainUnreachable;
  const live = model.live;
  const healthM = kernel.healthM;
  const soldMask = Uint8Array.from(sold, (x) => (x ? 1 : 0));
  for (let round = 1; round <= maxRounds; round++) {
    let count = 0;
    let volume = 0;
    for (let i = 0; i < size; i++) {
      if (!(healthM[i] < 0) || liquidated[i] === 1 || live[i] === 0) continue;
      liquidated[i] = 1;
      count++;
      const iEnd = items.start[i] + items.count[i];
      for (let k = items.start[i]; k < iEnd; k++) {
        if (items.kind[k] !== ITEM_COLLATERAL || unreachable[items.chain[k]] === 1) continue;
        const a = items.asset[k];
        if (soldMask[a] === 0) continue;
        const q = items.amount[k];
        if (refPrice[a] === refPrice[a]) volumeRef[a] += q * refPrice[a];
        if (last[a] === last[a]) volume += q * last[a];
      }
      const pEnd = pos.start[i] + pos.count[i];
      for (let k = pos.start[i]; k < pEnd; k++) {
        const n = pos.size[k];
        if (!(n > 0) || unreachable[pos.chain[k]] === 1) continue;
        const a = pos.asset[k];
        if (refPrice[a] === refPrice[a]) volumeRef[a] += n * refPrice[a];
        if (last[a] === last[a]) volume += n * last[a];
      }
    }
    if (count === 0) break;
    for (let a = 0; a < nA; a++) {
      // no depth at all: any sale exhausts the book (impact 1), unless κ says the asset has no impact
      if (!(volumeRef[a] > 0) || kappa[a] === 0) impact[a] = 0;
      else impact[a] = depth[a] > 0 ? Math.min(1, kappa[a] * Math.sqrt(volumeRef[a] / depth[a])) : 1;
    }
    totalVolume += volume;
    setPrices();
    evaluateRound(book, env, model, low, high, last, funding, kernel, work.scratch);
    const priceImpact: Record<AssetSymbol, Decimal> = {};
    for (let a = 0; a < nA; a++) if (impact[a] > 0) priceImpact[order[a]] = new D(impact[a]).toDecimalPlaces(12);
    rounds.push({
      round,
      liquidatedAccounts: count,
      liquidatedVolumeUsd: usdFromFloat(volume),
      priceImpact,
      deficiencyUsd: usdFromFloat(deficiency(model.live, kernel.equity)),
    });
  }

  // ---- the final environment, exact: multipliers (1 + shock)·(1 − impact) as decimals
  const factors: Record<AssetSymbol, Decimal> = {};
  for (let a = 0; a < nA; a++) {
    const s = shockDecimal[order[a]] ?? ONE;
    const keep = impact[a] > 0 ? new D(Math.max(0, 1 - impact[a])) : ONE;
    const m = s.times(keep);
    if (!m.eq(ONE)) factors[order[a]] = m;
  }
  const finalEnv = scaleEnvironment(env, factors);
  const { deficiencyUsd, deficiencyExact, shortfallsUsd } = finalShortfalls(book, finalEnv, kernel, model.live, options);
  return { scenario, rounds, deficiencyUsd, liquidatedVolumeUsd: usdFromFloat(totalVolume), shortfallsUsd, deficiencyExact };
}

/** The `k` slots with the lowest equity (ties: lower slot), by insertion into a short sorted list. */
function lowestEquities(slots: readonly number[], equity: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (const i of slots) {
    const e = equity[i];
    if (top.length === k && !(e < equity[top[k - 1]])) continue;
    let j = top.length === k ? k - 1 : top.length;
    while (j > 0 && equity[top[j - 1]] > e) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top;
}

function finalShortfalls(
  book: CompiledBook,
  env: PreparedEnvironment,
  kernel: Kernel,
  live: Uint8Array,
  options: StressOptions,
): { deficiencyUsd: Decimal; deficiencyExact: boolean; shortfallsUsd: { address: Hex; shortfallUsd: Decimal }[] } {
  const limit = options.shortfallLimit ?? DEFAULT_SHORTFALL_LIMIT;
  const exactLimit = options.exactDeficiencyLimit ?? DEFAULT_EXACT_DEFICIENCY_LIMIT;
  // candidates: under water, or so close to 0 that the float sign could be wrong
  const candidates: number[] = [];
  const size = slotCount(book);
  for (let i = 0; i < size; i++) {
    if (live[i] === 0) continue;
    if (kernel.equity[i] < 1e-9 * kernel.scale[i] + 1e-9) candidates.push(i);
  }
  const exact = candidates.length <= exactLimit;
  let shortlist: number[];
  if (exact) shortlist = candidates;
  else {
    // the float order is right up to ~1e-15 relative: re-check 2× the listed count exactly (none when none are listed)
    shortlist = limit === 0 ? [] : lowestEquities(candidates, kernel.equity, Math.max(2 * limit, limit + 10));
  }
  const exactShortfalls: { address: Hex; shortfallUsd: Decimal }[] = [];
  let total = ZERO;
  for (const i of shortlist) {
    const account = accountAt(book, i)!;
    const equity = accountHealth(account, env).equityUsd;
    if (!equity.isNeg()) continue;
    const shortfall = equity.neg();
    exactShortfalls.push({ address: account.address, shortfallUsd: shortfall });
    if (exact) total = total.plus(shortfall);
  }
  exactShortfalls.sort((a, b) => b.shortfallUsd.comparedTo(a.shortfallUsd) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    deficiencyUsd: exact ? total : usdFromFloat(deficiency(live, kernel.equity)),
    deficiencyExact: exact,
    shortfallsUsd: exactShortfalls.slice(0, limit),
  };
}
