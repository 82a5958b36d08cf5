/**
 * Everything per tick, computed once (risk model §2–§3): marks and shocked marks, price bands, per
 * (asset, chain) haircuts from configured latency + measured data lag, chain and price staleness,
 * DEGRADED reasons, the covariance for the portfolio view, and float copies for the fast path.
 */
import type Decimal from "decimal.js";
import { D, ONE, toDecimal } from "./decimal.js";
import { RiskInputError } from "./errors.js";
import { haircutPair } from "./haircut.js";
import { markPrices, priceBand, type PriceBand } from "./markPrice.js";
import type {
  AssetSymbol,
  ChainFreshness,
  ChainId,
  DegradedReason,
  MarketKey,
  MarkPrice,
  PriceObservation,
  RiskConfig,
  VolatilityEstimate,
} from "./types.js";

export interface EnvironmentInput {
  /** unix seconds the numbers are computed for */
  now: number;
  observations: PriceObservation[];
  chains: ChainFreshness[];
  /** null: no estimate yet, the σ floors are used (and worst-case correlations in the portfolio view) */
  volatility: VolatilityEstimate | null;
  /** each market's current cumulative funding index (USD per whole base unit, 18 decimals) */
  fundingIndexX18: Record<MarketKey, bigint>;
}

export interface EnvironmentScenario {
  /** multiply the asset's prices (mark and every bound) by this factor, e.g. 0.65 for −35% */
  priceMultipliers?: Record<AssetSymbol, number | string>;
  /** these chains' positive contributions count 0, in health and in equity */
  unreachableChains?: ChainId[];
  /** multiplies each chain's configured liquidation latency (bridge congestion); measured lag is not scaled */
  latencyMultiplier?: number | string;
}

export interface AssetEnv {
  symbol: AssetSymbol;
  /** position in `PreparedEnvironment.assetOrder` (and in a compiled book built from the same config) */
  index: number;
  cfMaintenance: Decimal;
  cfInitial: Decimal;
  /** σ used for haircuts: max(σEWMA, σfloor), annualised */
  sigmaAnnual: Decimal;
  /** prices after the scenario's multiplier */
  band: PriceBand;
  multiplier: Decimal;
  /** PRICE_STALE or ORACLE_DIVERGENCE (no mark left) when the asset has no mark; null otherwise */
  reason: DegradedReason | null;
}

export interface ChainEnv {
  chainId: ChainId;
  index: number;
  name: string;
  /** configured liquidation latency × scenario multiplier, seconds */
  configuredLatencySeconds: Decimal;
  /** τobs: now − last indexed block time stepped by `lagStepSeconds` (see steppedLagSeconds), seconds (0 when nothing is indexed) */
  measuredLagSeconds: number;
  /** T_c = configured + measured, seconds */
  totalLatencySeconds: Decimal;
  maxDataLagSeconds: number;
  indexed: boolean;
  stale: boolean;
  unreachable: boolean;
  /** CHAIN_UNREACHABLE, CHAIN_NOT_INDEXED or CHAIN_STALE when the chain's contributions are zeroed */
  reason: DegradedReason | null;
}

export interface HaircutEnv {
  /** hM = h(zM, T_c) */
  maintenance: Decimal;
  /** hI = h(zI, 2·T_c) */
  initial: Decimal;
  /** debt mark-ups exp(+zσ√(T/Y)) − 1 for the same horizons */
  debtMaintenance: Decimal;
  debtInitial: Decimal;
  /** cfM·(1 − hM) and cfI·(1 − hI): a collateral unit's weight */
  collateralWeightM: Decimal;
  collateralWeightI: Decimal;
  latencySeconds: { configured: number; measuredLag: number; total: number };
}

export interface MarketEnv {
  key: MarketKey;
  asset: AssetSymbol;
  chainId: ChainId;
  mmr: Decimal;
  imr: Decimal;
  imf: Decimal;
  /** null: unknown, positions are charged no funding beyond what they carry */
  fundingIndexX18: bigint | null;
}

/** Float copies (same orders as the Decimal data) for the compiled fast path. NaN marks a missing price. */
export interface FastEnv {
  nAssets: number;
  nChains: number;
  assetLow: Float64Array;
  assetHigh: Float64Array;
  assetLast: Float64Array;
  /** 1 when positive contributions in the asset count 0 (no fresh price) */
  assetStale: Uint8Array;
  /** 1 when the asset has no mark (stale or no agreement): accounts holding it are DEGRADED */
  assetDegraded: Uint8Array;
  /** [asset·nChains + chain] */
  collWeightM: Float64Array;
  collWeightI: Float64Array;
  debtFactorM: Float64Array;
  debtFactorI: Float64Array;
  /** 1 when the chain's positive contributions count 0 in health */
  chainZeroed: Uint8Array;
  /** 1 when also in equity (unreachable) */
  chainUnreachable: Uint8Array;
  chainLatency: Float64Array;
  sigma: Float64Array;
  /** covariance among assets with a usable estimate, annualised; `covKnown[a]` 0 → worst-case correlation */
  cov: Float64Array;
  covKnown: Uint8Array;
  zM: number;
  zI: number;
  yearSeconds: number;
  portfolio: boolean;
  portfolioFloor: number;
}

export interface PreparedEnvironment {
  config: RiskConfig;
  now: number;
  zMaintenance: Decimal;
  zInitial: Decimal;
  yearSeconds: number;
  marginMode: "standard" | "portfolio";
  portfolioFloor: Decimal;
  /** sorted asset symbols and chain ids: the index order of every array here and in a compiled book */
  assetOrder: AssetSymbol[];
  chainOrder: ChainId[];
  /** marks as observed, and after the scenario's multipliers (the same object without a scenario) */
  marks: Record<AssetSymbol, MarkPrice>;
  shockedMarks: Record<AssetSymbol, MarkPrice>;
  assets: Record<AssetSymbol, AssetEnv>;
  chains: Record<ChainId, ChainEnv>;
  /** haircuts[asset][chainId] */
  haircuts: Record<AssetSymbol, Record<ChainId, HaircutEnv>>;
  markets: Record<MarketKey, MarketEnv>;
  volatility: VolatilityEstimate | null;
  /** annualised covariance over assetOrder; null entries where no estimate exists (worst-case correlation) */
  covariance: (Decimal | null)[][];
  covarianceKnown: boolean[];
  scenario: { unreachableChains: ChainId[]; latencyMultiplier: Decimal; priceMultipliers: Record<AssetSymbol, Decimal> };
  fast: FastEnv;
}

/** The asset and chain orders every index in the core uses: symbols sorted, chain ids ascending. */
export function configOrder(config: RiskConfig): { assetOrder: AssetSymbol[]; chainOrder: ChainId[] } {
  return {
    assetOrder: Object.keys(config.assets).sort(),
    chainOrder: Object.keys(config.chains)
      .map(Number)
      .sort((a, b) => a - b),
  };
}

function scaleBand(band: PriceBand, m: Decimal): PriceBand {
  if (m.eq(ONE)) return band;
  const s = (x: Decimal | null) => (x === null ? null : x.times(m));
  return { mark: s(band.mark), low: s(band.low), high: s(band.high), last: s(band.last), priceStale: band.priceStale };
}

function scaleMark(mark: MarkPrice, m: Decimal): MarkPrice {
  if (m.eq(ONE)) return mark;
  return {
    ...mark,
    priceUsd: mark.priceUsd === null ? null : mark.priceUsd.times(m),
    sources: mark.sources.map((s) => ({ ...s, priceUsd: s.priceUsd.times(m) })),
  };
}

function nonNegative(value: Decimal, what: string): Decimal {
  if (!value.isFinite() || value.isNeg()) {
    throw new RiskInputError(`${what} must be a finite number ≥ 0, got ${value.toString()}.`, { value: value.toString() });
  }
  return value;
}

const num = (x: Decimal | null): number => (x === null ? Number.NaN : x.toNumber());

/**
 * The data lag a haircut uses: `τ = step·max(1, ⌈max(0, raw)/step⌉)` seconds, i.e. the raw lag
 * `now − blockTimestamp` rounded up to whole steps, and at least one step even when the indexer is
 * at the head (the next block may already hold events it has not seen). With `step = 0` the raw
 * lag itself (clamped at 0). Rounding up never understates the latency; the step keeps every
 * haircut, and every cached account report, unchanged while a healthy chain's lag jitters between
 * block times, so time passing alone re-prices nothing until a lag crosses a step.
 *
 * Example: step 5 → raw 0 s, 1 s or 5 s give 5; 5.5 s gives 10; step 0 → raw 3.2 s gives 3.2.
 */
export function steppedLagSeconds(rawLagSeconds: number, stepSeconds: number): number {
  const raw = Math.max(0, rawLagSeconds);
  if (!(stepSeconds > 0)) return raw;
  return stepSeconds * Math.max(1, Math.ceil(raw / stepSeconds));
}

/**
 * Prepares one tick's market environment. Per chain c: `T_c = latency_c·multiplier + τobs_c` with
 * `τobs_c` = `now − blockTimestamp_c` stepped by {@link steppedLagSeconds} (`params.lagStepSeconds`);
 * stale when `τobs_c > maxDataLagSeconds_c` or nothing is
 * indexed. Per (asset x, chain c): `hM = 1 − exp(−zM·σ_x·√(T_c/Y))`, `hI` with zI and `2·T_c`,
 * σ_x = max(σEWMA_x, σfloor_x) (the floor alone when `volatility` is null). Marks by {@link markPrices}.
 * Pure: no clock (`now` is the argument), deterministic.
 *
 * Example: ETH σ 70%, chain latency 1200 s, lag 0 → hM ≈ 1.00%, hI ≈ 1.57%.
 */
export function prepareEnvironment(
  config: RiskConfig,
  input: EnvironmentInput,
  scenario: EnvironmentScenario = {},
): PreparedEnvironment {
  const { assetOrder, chainOrder } = configOrder(config);
  const params = config.params;
  const zM = toDecimal(params.zMaintenance);
  const zI = toDecimal(params.zInitial);
  const Y = params.yearSeconds;
  const latencyMultiplier = nonNegative(toDecimal(scenario.latencyMultiplier ?? 1), "latencyMultiplier");
  const unreachable = new Set(scenario.unreachableChains ?? []);
  const priceMultipliers: Record<AssetSymbol, Decimal> = {};
  for (const [asset, m] of Object.entries(scenario.priceMultipliers ?? {})) {
    priceMultipliers[asset] = nonNegative(toDecimal(m), `priceMultipliers.${asset}`);
  }

  // ---- chains
  const freshness = new Map<ChainId, ChainFreshness>();
  for (const f of input.chains) {
    const prev = freshness.get(f.chainId);
    if (!prev || f.blockTimestamp > prev.blockTimestamp) freshness.set(f.chainId, f);
  }
  const chains: Record<ChainId, ChainEnv> = {};
  chainOrder.forEach((chainId, index) => {
    const cfg = config.chains[chainId];
    const f = freshness.get(chainId);
    const indexed = f !== undefined;
    const measuredLagSeconds = indexed ? steppedLagSeconds(input.now - f.blockTimestamp, params.lagStepSeconds) : 0;
    const configuredLatencySeconds = new D(cfg.liquidationLatencySeconds).times(latencyMultiplier);
    const stale = !indexed || measuredLagSeconds > cfg.maxDataLagSeconds;
    const isUnreachable = unreachable.has(chainId);
    const reason: DegradedReason | null = isUnreachable
      ? { code: "CHAIN_UNREACHABLE", chainId }
      : !indexed
        ? { code: "CHAIN_NOT_INDEXED", chainId }
        : stale
          ? { code: "CHAIN_STALE", chainId, lagSeconds: measuredLagSeconds, maxSeconds: cfg.maxDataLagSeconds }
          : null;
    chains[chainId] = {
      chainId,
      index,
      name: cfg.name,
      configuredLatencySeconds,
      measuredLagSeconds,
      totalLatencySeconds: configuredLatencySeconds.plus(measuredLagSeconds),
      maxDataLagSeconds: cfg.maxDataLagSeconds,
      indexed,
      stale,
      unreachable: isUnreachable,
      reason,
    };
  });

  // ---- marks and assets
  const marks = markPrices(input.observations, config.assets, params, input.now);
  const shockedMarks: Record<AssetSymbol, MarkPrice> = {};
  const assets: Record<AssetSymbol, AssetEnv> = {};
  const haircuts: Record<AssetSymbol, Record<ChainId, HaircutEnv>> = {};
  const vol = input.volatility;
  assetOrder.forEach((symbol, index) => {
    const cfg = config.assets[symbol];
    const multiplier = priceMultipliers[symbol] ?? ONE;
    const floor = toDecimal(cfg.volFloorAnnual);
    const estimate = vol?.sigmaAnnual[symbol];
    const sigmaAnnual =
      estimate !== undefined && Number.isFinite(estimate) && estimate > 0 ? D.max(floor, new D(estimate)) : floor;
    const mark = marks[symbol];
    shockedMarks[symbol] = scaleMark(mark, multiplier);
    const band = scaleBand(priceBand(mark), multiplier);
    let reason: DegradedReason | null = null;
    if (band.mark === null) {
      const fresh = mark.sources.filter((s) => !s.stale);
      reason =
        fresh.length > 0 && mark.divergentChains.length > 0
          ? { code: "ORACLE_DIVERGENCE", asset: symbol, chainIds: [...mark.divergentChains] }
          : { code: "PRICE_STALE", asset: symbol };
    }
    const cfMaintenance = toDecimal(cfg.cfMaintenance);
    const cfInitial = toDecimal(cfg.cfInitial);
    assets[symbol] = { symbol, index, cfMaintenance, cfInitial, sigmaAnnual, band, multiplier, reason };

    const perChain: Record<ChainId, HaircutEnv> = {};
    for (const chainId of chainOrder) {
      const c = chains[chainId];
      const T = c.totalLatencySeconds;
      const T2 = T.times(2);
      const m = haircutPair(sigmaAnnual, zM, T, Y);
      const i = haircutPair(sigmaAnnual, zI, T2, Y);
      const hM = m.haircut;
      const hI = i.haircut;
      perChain[chainId] = {
        maintenance: hM,
        initial: hI,
        debtMaintenance: m.markup,
        debtInitial: i.markup,
        collateralWeightM: cfMaintenance.times(ONE.minus(hM)),
        collateralWeightI: cfInitial.times(ONE.minus(hI)),
        latencySeconds: {
          configured: c.configuredLatencySeconds.toNumber(),
          measuredLag: c.measuredLagSeconds,
          total: T.toNumber(),
        },
      };
    }
    haircuts[symbol] = perChain;
  });

  // ---- markets
  const markets: Record<MarketKey, MarketEnv> = {};
  for (const key of Object.keys(config.markets).sort()) {
    const m = config.markets[key];
    markets[key] = {
      key,
      asset: m.asset,
      chainId: m.chainId,
      mmr: toDecimal(m.mmr),
      imr: toDecimal(m.imr),
      imf: toDecimal(m.imf),
      fundingIndexX18: input.fundingIndexX18[key] ?? null,
    };
  }

  // ---- covariance: ρ_xy·σ_x·σ_y with the σ used for haircuts (floors), where an estimate exists
  const n = assetOrder.length;
  const covarianceKnown = assetOrder.map((x) => {
    if (!vol) return false;
    const i = vol.assets.indexOf(x);
    return i >= 0 && Number.isFinite(vol.correlation[i]?.[i]);
  });
  const covariance: (Decimal | null)[][] = assetOrder.map((x, a) =>
    assetOrder.map((y, b) => {
      if (!vol || !covarianceKnown[a] || !covarianceKnown[b]) return null;
      const rho = vol.correlation[vol.assets.indexOf(x)][vol.assets.indexOf(y)];
      if (!Number.isFinite(rho)) return null;
      const r = a === b ? ONE : new D(Math.max(-1, Math.min(1, rho)));
      return r.times(assets[x].sigmaAnnual).times(assets[y].sigmaAnnual);
    }),
  );
  // a pair without a correlation makes both assets "unknown" (worst case), keeping the matrix consistent
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (covariance[a][b] === null && covarianceKnown[a] && covarianceKnown[b]) {
    covarianceKnown[a] = false;
    covarianceKnown[b] = false;
  }

  // ---- float copies
  const nA = assetOrder.length;
  const nC = chainOrder.length;
  const fast: FastEnv = {
    nAssets: nA,
    nChains: nC,
    assetLow: new Float64Array(nA),
    assetHigh: new Float64Array(nA),
    assetLast: new Float64Array(nA),
    assetStale: new Uint8Array(nA),
    assetDegraded: new Uint8Array(nA),
    collWeightM: new Float64Array(nA * nC),
    collWeightI: new Float64Array(nA * nC),
    debtFactorM: new Float64Array(nA * nC),
    debtFactorI: new Float64Array(nA * nC),
    chainZeroed: new Uint8Array(nC),
    chainUnreachable: new Uint8Array(nC),
    chainLatency: new Float64Array(nC),
    sigma: new Float64Array(nA),
    cov: new Float64Array(nA * nA),
    covKnown: new Uint8Array(nA),
    zM: zM.toNumber(),
    zI: zI.toNumber(),
    yearSeconds: Y,
    portfolio: params.marginMode === "portfolio",
    portfolioFloor: Number(params.portfolioFloor),
  };
  chainOrder.forEach((chainId, c) => {
    const ch = chains[chainId];
    fast.chainZeroed[c] = ch.reason ? 1 : 0;
    fast.chainUnreachable[c] = ch.unreachable ? 1 : 0;
    fast.chainLatency[c] = ch.totalLatencySeconds.toNumber();
  });
  assetOrder.forEach((symbol, a) => {
    const asset = assets[symbol];
    fast.assetLow[a] = num(asset.band.low);
    fast.assetHigh[a] = num(asset.band.high);
    fast.assetLast[a] = num(asset.band.last);
    fast.assetStale[a] = asset.band.priceStale ? 1 : 0;
    fast.assetDegraded[a] = asset.reason ? 1 : 0;
    fast.sigma[a] = asset.sigmaAnnual.toNumber();
    fast.covKnown[a] = covarianceKnown[a] ? 1 : 0;
    chainOrder.forEach((chainId, c) => {
      const h = haircuts[symbol][chainId];
      fast.collWeightM[a * nC + c] = h.collateralWeightM.toNumber();
      fast.collWeightI[a * nC + c] = h.collateralWeightI.toNumber();
      fast.debtFactorM[a * nC + c] = ONE.plus(h.debtMaintenance).toNumber();
      fast.debtFactorI[a * nC + c] = ONE.plus(h.debtInitial).toNumber();
    });
    assetOrder.forEach((_, b) => {
      fast.cov[a * nA + b] = covariance[a][b]?.toNumber() ?? 0;
    });
  });

  return {
    config,
    now: input.now,
    zMaintenance: zM,
    zInitial: zI,
    yearSeconds: Y,
    marginMode: params.marginMode,
    portfolioFloor: toDecimal(params.portfolioFloor),
    assetOrder,
    chainOrder,
    marks,
    shockedMarks: Object.keys(priceMultipliers).length === 0 ? marks : shockedMarks,
    assets,
    chains,
    haircuts,
    markets,
    volatility: vol,
    covariance,
    covarianceKnown,
    scenario: { unreachableChains: [...unreachable].sort((a, b) => a - b), latencyMultiplier, priceMultipliers },
    fast,
  };
}

/**
 * A copy of `env` with one asset's prices replaced (mark, bounds and last all = `priceUsd`): the
 * "others fixed" environment the liquidation-price solver and its tests evaluate health in.
 * Example: `withAssetPrice(env, "ETH", new D(2500))`.
 */
export function withAssetPrice(env: PreparedEnvironment, asset: AssetSymbol, priceUsd: Decimal): PreparedEnvironment {
  const a = env.assets[asset];
  const band: PriceBand = { mark: priceUsd, low: priceUsd, high: priceUsd, last: priceUsd, priceStale: a.band.priceStale };
  const p = priceUsd.toNumber();
  const fast: FastEnv = {
    ...env.fast,
    assetLow: Float64Array.from(env.fast.assetLow),
    assetHigh: Float64Array.from(env.fast.assetHigh),
    assetLast: Float64Array.from(env.fast.assetLast),
  };
  fast.assetLow[a.index] = p;
  fast.assetHigh[a.index] = p;
  fast.assetLast[a.index] = p;
  return { ...env, assets: { ...env.assets, [asset]: { ...a, band } }, fast };
}
