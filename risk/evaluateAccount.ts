/**
 * One account's unified cross-chain margin (risk model §3–§4), exact: decimal.js at 50 digits, every
 * contribution to health rounded toward −∞ at 18 decimals (collateral down, liabilities up).
 */
import type Decimal from "decimal.js";
import { D, fromRaw, ONE, roundDownUsd, roundUpUsd, ZERO } from "./decimal.js";
import { withAssetPrice, type PreparedEnvironment } from "./environment.js";
import { UnknownAssetError, UnknownChainError, UnknownMarketError } from "./errors.js";
import { liquidationPrices, type PriceSensitivity } from "./liquidationPrice.js";
import { marginEfficiency, portfolioModeRequirement, portfolioRequirement } from "./portfolio.js";
import type {
  AccountRisk,
  AccountState,
  AssetSymbol,
  BalanceItem,
  ChainId,
  DegradedReason,
  ItemRisk,
  PositionItem,
  PositionRisk,
  Tier,
} from "./types.js";

const EIGHT_TENTHS = new D("0.8");

/**
 * The tier from the three health numbers, checked in order of severity:
 * equity < 0 → INSOLVENT; healthM < 0 → LIQUIDATABLE; healthI < 0 → MARGIN_CALL; else SAFE.
 * Every edge exactly at 0 belongs to the safer tier. Example: (healthI −1, healthM 0, equity 5) → MARGIN_CALL.
 */
export function tierOf(initialHealth: Decimal | number, maintenanceHealth: Decimal | number, equity: Decimal | number): Tier {
  const neg = (x: Decimal | number) => (typeof x === "number" ? x < 0 : x.isNeg() && !x.isZero());
  if (neg(equity)) return "INSOLVENT";
  if (neg(maintenanceHealth)) return "LIQUIDATABLE";
  if (neg(initialHealth)) return "MARGIN_CALL";
  return "SAFE";
}

/**
 * Drift v2's size premium: `mr(n) = max(mr, 0.8·mr + imf·√|n|)` with |n| in whole base units.
 * Example: mr 0.05, imf 0.001, |n| 10,000 → max(0.05, 0.04 + 0.1) = 0.14.
 */
export function sizeAdjustedMarginRatio(ratio: Decimal, imf: Decimal, absSize: Decimal): Decimal {
  if (imf.isZero()) return ratio;
  return D.max(ratio, ratio.times(EIGHT_TENTHS).plus(imf.times(absSize.sqrt())));
}

/** Exact totals: what a tier depends on. */
export interface AccountHealth {
  maintenanceHealthUsd: Decimal;
  initialHealthUsd: Decimal;
  equityUsd: Decimal;
  /** HF numerator / denominator: the positive and (magnitudes of) negative maintenance terms */
  healthFactorNumeratorUsd: Decimal;
  healthFactorDenominatorUsd: Decimal;
  tier: Tier;
  /** Σ of |every term|: the scale a float screen's error is measured against */
  grossScaleUsd: Decimal;
}

interface Computed extends AccountHealth {
  collateralValueUsd: Decimal;
  debtValueUsd: Decimal;
  grossRequirementUsd: Decimal;
  /** the portfolio requirement (§6): computed when first asked in standard mode, at once in portfolio mode */
  portfolioRequirementUsd: () => Decimal;
  items: ItemRisk[];
  positions: PositionRisk[];
  sensitivities: Map<AssetSymbol, { slope: Decimal; linear: boolean }>;
  reasons: Map<string, DegradedReason>;
  chainIds: Set<ChainId>;
}

function checkItem(env: PreparedEnvironment, chainId: ChainId, asset: AssetSymbol, where: string) {
  const chain = env.chains[chainId];
  if (!chain) throw new UnknownChainError(chainId, env.chainOrder, where);
  const a = env.assets[asset];
  if (!a) throw new UnknownAssetError(asset, env.assetOrder, where);
  return { chain, asset: a, haircut: env.haircuts[asset][chainId] };
}

function addSlope(c: Computed, asset: AssetSymbol, slope: Decimal, linear: boolean) {
  const prev = c.sensitivities.get(asset);
  c.sensitivities.set(asset, { slope: (prev?.slope ?? ZERO).plus(slope), linear: (prev?.linear ?? true) && linear });
}

function addReason(c: Computed, reason: DegradedReason | null) {
  if (!reason) return;
  const key = "chainId" in reason ? `${reason.code}:${reason.chainId}` : `${reason.code}:${reason.asset}`;
  if (!c.reasons.has(key)) c.reasons.set(key, reason);
}

function compute(account: AccountState, env: PreparedEnvironment, detail: boolean): Computed {
  const c: Computed = {
    maintenanceHealthUsd: ZERO,
    initialHealthUsd: ZERO,
    equityUsd: ZERO,
    healthFactorNumeratorUsd: ZERO,
    healthFactorDenominatorUsd: ZERO,
    tier: "SAFE",
    grossScaleUsd: ZERO,
    collateralValueUsd: ZERO,
    debtValueUsd: ZERO,
    grossRequirementUsd: ZERO,
    portfolioRequirementUsd: () => ZERO,
    items: [],
    positions: [],
    sensitivities: new Map(),
    reasons: new Map(),
    chainIds: new Set(),
  };
  let collM = ZERO; // Σ maintenance collateral contributions (≥ 0)
  let collI = ZERO;
  let debtM = ZERO; // Σ maintenance debt magnitudes (≥ 0)
  let debtI = ZERO;
  let pnlPos = ZERO; // Σ max(counted uPnL, 0) at the maintenance price
  let pnlNeg = ZERO; // Σ max(−counted uPnL, 0)
  let pnlI = ZERO; // Σ counted uPnL at the initial price
  let reqM = ZERO; // Σ |n|·P·mr(n)
  let reqI = ZERO;
  let scale = ZERO;
  const exposure: Record<AssetSymbol, Decimal> = {};
  let horizon = ZERO;

  const balance = (item: BalanceItem, kind: "collateral" | "debt") => {
    const where = `${kind} of ${account.address}`;
    const { chain, asset, haircut } = checkItem(env, item.chainId, item.asset, where);
    c.chainIds.add(item.chainId);
    if (chain.totalLatencySeconds.gt(horizon)) horizon = chain.totalLatencySeconds;
    const amount = fromRaw(item.amountRaw, item.decimals);
    const band = asset.band;
    addReason(c, chain.reason);
    addReason(c, asset.reason);
    let valueUsd = ZERO;
    let maintenance = ZERO;
    let initial = ZERO;
    let zeroed = false;
    if (kind === "collateral") {
      valueUsd = band.last ? roundDownUsd(amount.times(band.last)) : ZERO;
      zeroed = chain.reason !== null || band.priceStale || band.low === null;
      if (!zeroed) {
        const atLow = amount.times(band.low!);
        maintenance = roundDownUsd(atLow.times(haircut.collateralWeightM));
        initial = roundDownUsd(atLow.times(haircut.collateralWeightI));
        collM = collM.plus(maintenance);
        collI = collI.plus(initial);
        addSlope(c, item.asset, amount.times(haircut.collateralWeightM), true);
      }
      const atMarket = chain.unreachable ? ZERO : valueUsd;
      c.collateralValueUsd = c.collateralValueUsd.plus(atMarket);
      exposure[item.asset] = (exposure[item.asset] ?? ZERO).plus(atMarket);
      scale = scale.plus(valueUsd);
    } else {
      valueUsd = band.last ? roundUpUsd(amount.times(band.last)) : ZERO;
      if (band.high) {
        const atHigh = amount.times(band.high);
        const m = roundUpUsd(atHigh.times(ONE.plus(haircut.debtMaintenance)));
        const i = roundUpUsd(atHigh.times(ONE.plus(haircut.debtInitial)));
        debtM = debtM.plus(m);
        debtI = debtI.plus(i);
        maintenance = m.neg();
        initial = i.neg();
        addSlope(c, item.asset, amount.times(ONE.plus(haircut.debtMaintenance)).neg(), true);
        scale = scale.plus(m);
      }
      c.debtValueUsd = c.debtValueUsd.plus(valueUsd);
      exposure[item.asset] = (exposure[item.asset] ?? ZERO).minus(valueUsd);
      scale = scale.plus(valueUsd);
    }
    if (detail) {
      c.items.push({
        kind,
        chainId: item.chainId,
        asset: item.asset,
        amountRaw: item.amountRaw,
        decimals: item.decimals,
        amount,
        valueUsd,
        haircutMaintenance: kind === "collateral" ? haircut.maintenance : haircut.debtMaintenance,
        haircutInitial: kind === "collateral" ? haircut.initial : haircut.debtInitial,
        maintenanceValueUsd: maintenance,
        initialValueUsd: initial,
        latencySeconds: { ...haircut.latencySeconds },
        zeroedByStaleness: zeroed,
      });
    }
  };

  const position = (p: PositionItem) => {
    const key = `${p.chainId}:${p.marketId}`;
    const where = `position of ${account.address}`;
    const market = env.markets[key];
    if (!market) throw new UnknownMarketError(key, Object.keys(env.markets), where);
    const { chain, asset } = checkItem(env, p.chainId, market.asset, where);
    c.chainIds.add(p.chainId);
    if (chain.totalLatencySeconds.gt(horizon)) horizon = chain.totalLatencySeconds;
    addReason(c, chain.reason);
    addReason(c, asset.reason);
    const band = asset.band;
    const n = fromRaw(p.sizeRaw, 18);
    const absN = n.abs();
    const entry = fromRaw(p.entryPriceRaw, p.priceDecimals);
    const indexNow = market.fundingIndexX18 ?? p.fundingIndexX18;
    // F = n · (I_now − I_pos): longs pay when the index rises; exact (18 + 18 decimals)
    const funding = fromRaw(p.sizeRaw * (indexNow - p.fundingIndexX18), 36);
    const mr = sizeAdjustedMarginRatio(market.mmr, market.imf, absN);
    const ir = sizeAdjustedMarginRatio(market.imr, market.imf, absN);
    const zeroPositive = chain.reason !== null || band.priceStale;
    const pnlAt = (price: Decimal) => n.times(price.minus(entry)).minus(funding);
    const counted = (u: Decimal) => (zeroPositive && u.isPos() ? ZERO : u);

    // the price in the band that gives the lower health (the band is one point when there is a mark)
    const candidates = band.low ? (band.high!.eq(band.low) ? [band.low] : [band.low, band.high!]) : [];
    let bestM: { price: Decimal; u: Decimal; req: Decimal; value: Decimal } | null = null;
    let bestI: { u: Decimal; req: Decimal; value: Decimal } | null = null;
    for (const price of candidates) {
      const u = roundDownUsd(counted(pnlAt(price)));
      const notional = absN.times(price);
      const rM = roundUpUsd(notional.times(mr));
      const rI = roundUpUsd(notional.times(ir));
      const vM = u.minus(rM);
      const vI = u.minus(rI);
      if (!bestM || vM.lt(bestM.value)) bestM = { price, u, req: rM, value: vM };
      if (!bestI || vI.lt(bestI.value)) bestI = { u, req: rI, value: vI };
    }
    let unrealizedPnlUsd = ZERO;
    let notionalUsd = ZERO;
    if (band.last) {
      const uMarket = pnlAt(band.last);
      // at market (equity): unreachable chains' gains count 0, losses stay
      const uEquity = chain.unreachable && uMarket.isPos() ? ZERO : uMarket;
      unrealizedPnlUsd = roundDownUsd(uMarket);
      c.equityUsd = c.equityUsd.plus(roundDownUsd(uEquity));
      notionalUsd = roundUpUsd(absN.times(band.last));
      exposure[market.asset] = (exposure[market.asset] ?? ZERO).plus(n.times(band.last));
      scale = scale.plus(n.times(band.last.plus(entry)).abs()).plus(funding.abs());
    }
    if (bestM && bestI) {
      pnlPos = pnlPos.plus(bestM.u.isPos() ? bestM.u : ZERO);
      pnlNeg = pnlNeg.plus(bestM.u.isNeg() ? bestM.u.neg() : ZERO);
      pnlI = pnlI.plus(bestI.u);
      reqM = reqM.plus(bestM.req);
      reqI = reqI.plus(bestI.req);
      scale = scale.plus(bestM.req).plus(bestI.req).plus(n.times(bestM.price.plus(entry)).abs());
      const clamped = zeroPositive && pnlAt(bestM.price).isPos();
      // slope of this position's maintenance term in P: n − |n|·mr (its PnL part drops out when zeroed)
      addSlope(c, market.asset, (clamped ? ZERO : n).minus(absN.times(mr)), !zeroPositive && candidates.length === 1);
    }
    if (detail) {
      c.positions.push({
        chainId: p.chainId,
        marketId: p.marketId,
        asset: market.asset,
        size: n,
        entryPriceUsd: entry,
        markPriceUsd: band.mark,
        fundingOwedUsd: funding,
        unrealizedPnlUsd,
        notionalUsd,
        maintenanceRequirementUsd: bestM?.req ?? ZERO,
        initialRequirementUsd: bestI?.req ?? ZERO,
      });
    }
  };

  for (const item of account.collateral) balance(item, "collateral");
  for (const item of account.debt) balance(item, "debt");
  for (const p of account.positions) position(p);

  c.grossRequirementUsd = reqM;
  let chargedM = reqM;
  let chargedI = reqI;
  if (env.marginMode === "portfolio") {
    const pmr = portfolioRequirement(exposure, horizon, env.zMaintenance, env);
    c.portfolioRequirementUsd = () => pmr;
    // initial side: zI over the initial horizon 2·T_a, as for haircuts
    const pmrI = portfolioRequirement(exposure, horizon.times(2), env.zInitial, env);
    chargedM = portfolioModeRequirement(pmr, reqM, env.portfolioFloor);
    chargedI = portfolioModeRequirement(pmrI, reqI, env.portfolioFloor);
    scale = scale.plus(chargedM).plus(chargedI);
    for (const [asset, s] of c.sensitivities) c.sensitivities.set(asset, { ...s, linear: false });
  } else if (detail) {
    // informational in standard mode (margin efficiency): only a report that shows it pays for it
    let pmr: Decimal | null = null;
    c.portfolioRequirementUsd = () => (pmr ??= portfolioRequirement(exposure, horizon, env.zMaintenance, env));
  }

  c.equityUsd = c.equityUsd.plus(c.collateralValueUsd).minus(c.debtValueUsd);
  c.maintenanceHealthUsd = collM.plus(pnlPos).minus(pnlNeg).minus(debtM).minus(chargedM);
  c.initialHealthUsd = collI.plus(pnlI).minus(debtI).minus(chargedI);
  c.healthFactorNumeratorUsd = collM.plus(pnlPos);
  c.healthFactorDenominatorUsd = debtM.plus(pnlNeg).plus(chargedM);
  c.grossScaleUsd = scale.plus(collM).plus(collI).plus(debtI);
  c.tier = tierOf(c.initialHealthUsd, c.maintenanceHealthUsd, c.equityUsd);
  return c;
}

/**
 * The exact totals alone (no per-item report, no liquidation prices): what a tier depends on, with
 * the same arithmetic as {@link evaluateAccount}. The fast path's exact re-check calls this.
 * Example: `accountHealth(account, env).tier`.
 */
export function accountHealth(account: AccountState, env: PreparedEnvironment): AccountHealth {
  const c = compute(account, env, false);
  return {
    maintenanceHealthUsd: c.maintenanceHealthUsd,
    initialHealthUsd: c.initialHealthUsd,
    equityUsd: c.equityUsd,
    healthFactorNumeratorUsd: c.healthFactorNumeratorUsd,
    healthFactorDenominatorUsd: c.healthFactorDenominatorUsd,
    tier: c.tier,
    grossScaleUsd: c.grossScaleUsd,
  };
}

/**
 * `HF = (CM + Σ max(uPnL,0)) / (DM + Σ max(−uPnL,0) + MR)`, rounded down to 18 decimals; null when the
 * denominator is 0 (no debt, no losing position, no requirement). HF < 1 exactly when healthM < 0.
 * Example: numerator 150, denominator 100 → 1.5.
 */
export function healthFactor(numeratorUsd: Decimal, denominatorUsd: Decimal): Decimal | null {
  if (denominatorUsd.isZero()) return null;
  return roundDownUsd(numeratorUsd.div(denominatorUsd));
}

/**
 * The full report of one account across every chain (risk model §3–§4), in USD:
 * `healthM = CM + ΣuPnL − DM − MR`, `healthI = CI + ΣuPnL − DI − IR`, `equity = Σcoll q·P − Σdebt q·P + ΣuPnL`,
 * HF, tier, per item its haircut and the latency it came from, per position mark/uPnL/requirement
 * (with Drift's size premium), liquidation prices `P*_x = P_x − healthM/k_x`, the portfolio
 * requirement and margin efficiency. Stale data only takes credit away: on a stale, unindexed or
 * unreachable chain, or in an asset without a fresh price, positive contributions count 0 and
 * negative ones stay (DEGRADED with the reasons). Deterministic; rounding per decimal.ts.
 *
 * Example: 1 ETH collateral at 2000 (cfM 0.85, h 0) and 1000 USDC debt → healthM 700, HF 1.7.
 */
export function evaluateAccount(account: AccountState, env: PreparedEnvironment): AccountRisk {
  const c = compute(account, env, true);
  const reasons = [...c.reasons.values()].sort((a, b) => {
    const ka = `${a.code}:${"chainId" in a ? String(a.chainId).padStart(12, "0") : a.asset}`;
    const kb = `${b.code}:${"chainId" in b ? String(b.chainId).padStart(12, "0") : b.asset}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  // Liquidation prices and the portfolio view are computed when first read (then kept): a caller
  // that only wants health does not pay for them. Reading them gives the same values either way.
  let liq: { asset: AssetSymbol; priceUsd: Decimal }[] | null = null;
  let efficiency: { value: Decimal | null } | null = null;
  return {
    address: account.address,
    tier: c.tier,
    healthFactor: healthFactor(c.healthFactorNumeratorUsd, c.healthFactorDenominatorUsd),
    maintenanceHealthUsd: c.maintenanceHealthUsd,
    initialHealthUsd: c.initialHealthUsd,
    equityUsd: c.equityUsd,
    collateralValueUsd: c.collateralValueUsd,
    debtValueUsd: c.debtValueUsd,
    degraded: reasons.length > 0,
    degradedReasons: reasons,
    items: c.items,
    positions: c.positions,
    get liquidationPrices() {
      return (liq ??= accountLiquidationPrices(account, env, c));
    },
    grossRequirementUsd: c.grossRequirementUsd,
    get portfolioRequirementUsd() {
      return c.portfolioRequirementUsd();
    },
    get marginEfficiency() {
      return (efficiency ??= { value: marginEfficiency(c.portfolioRequirementUsd(), c.grossRequirementUsd) }).value;
    },
    chainIds: [...c.chainIds].sort((a, b) => a - b),
  };
}

function accountLiquidationPrices(account: AccountState, env: PreparedEnvironment, c: Computed): { asset: AssetSymbol; priceUsd: Decimal }[] {
  const sensitivities: PriceSensitivity[] = [];
  for (const [asset, s] of c.sensitivities) {
    const mark = env.assets[asset].band.mark;
    if (mark && !s.slope.isZero()) sensitivities.push({ asset, priceUsd: mark, slope: s.slope, linear: s.linear });
  }
  const healthAt = (asset: AssetSymbol, priceUsd: Decimal) => {
    const at = compute(account, withAssetPrice(env, asset, priceUsd), false);
    return { healthUsd: at.maintenanceHealthUsd, scaleUsd: at.grossScaleUsd };
  };
  return liquidationPrices(c.maintenanceHealthUsd, sensitivities, healthAt, c.grossScaleUsd);
}
