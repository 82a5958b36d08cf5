/**
 * The whole margin pool (risk model §6): realised deficiency, totals, coverage of the worst stress
 * scenario by the insurance fund, Cover-1/Cover-2, and the system action with hysteresis.
 * Pure: plain data in, `SystemRisk` out; exact decimals for everything shown to people.
 */
import type Decimal from "decimal.js";
import { D, fromRaw, toDecimal, ZERO, type Numeric } from "./decimal.js";
import type { AccountRisk, AccountState, AssetSymbol, BalanceItem, ChainId, Hex, RiskParams, ScenarioResult, SystemAction, SystemRisk, Tier } from "./types.js";
import { TIERS } from "./types.js";

/** What the pool totals need from one account (an `AccountRisk` has all of it; see {@link summarizeAccount}). */
export interface AccountSummary {
  address: Hex;
  tier: Tier;
  /** at mark, no haircuts */
  equityUsd: Numeric;
  collateralUsd: Numeric;
  debtUsd: Numeric;
  /** Σ |n|·P over the account's perp positions */
  notionalUsd: Numeric;
}

/** Pool totals now, before stress. */
export interface SystemTotals {
  collateralUsd: Decimal;
  debtUsd: Decimal;
  openInterestUsd: Decimal;
  /** D0 = Σ max(0, −equity) */
  deficiencyUsd: Decimal;
  /** collateral at mark + perp notional of every account with healthM < 0 (LIQUIDATABLE, INSOLVENT) */
  liquidatableNotionalUsd: Decimal;
  accountsPerTier: Record<Tier, number>;
  /** the two largest shortfalls now, largest first (Cover-1/Cover-2 when no scenario is worse) */
  largestShortfalls: { address: Hex; shortfallUsd: Decimal }[];
}

/** The summary of an exact account report. Notional = Σ |n|·P of its positions. */
export function summarizeAccount(risk: AccountRisk): AccountSummary {
  let notional = ZERO;
  for (const p of risk.positions) notional = notional.plus(p.notionalUsd.abs());
  return {
    address: risk.address,
    tier: risk.tier,
    equityUsd: risk.equityUsd,
    collateralUsd: risk.collateralValueUsd,
    debtUsd: risk.debtValueUsd,
    notionalUsd: notional,
  };
}

function emptyTiers(): Record<Tier, number> {
  return Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
}

/**
 * A sum that stays exact for exact inputs (Decimal, string, bigint) and is compensated (Neumaier) for
 * float inputs, which the screens give: 100k Decimal parses of floats cost ~0.3 s, and a float's own
 * error (1e-16 relative) is far below a cent; the float part joins the exact part once at the end.
 */
export class MixedSum {
  private exact = ZERO;
  private sum = 0;
  private comp = 0;
  add(x: Numeric): void {
    if (typeof x !== "number") {
      this.exact = this.exact.plus(toDecimal(x));
      return;
    }
    if (!Number.isFinite(x)) throw new RangeError(`Expected a finite USD amount, got ${x}`);
    const t = this.sum + x;
    this.comp += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }
  value(): Decimal {
    const f = this.sum + this.comp;
    return f === 0 ? this.exact : this.exact.plus(new D(f));
  }
}

const isNegative = (x: Numeric): boolean => (typeof x === "number" ? x < 0 : toDecimal(x).isNeg() && !toDecimal(x).isZero());

/**
 * Pool totals:
 *   collateral = Σ collateralUsd, debt = Σ debtUsd, open interest = Σ notionalUsd,
 *   D0 = Σ max(0, −equity_a)  (Risk DAO's bad-debt measure),
 *   liquidatable notional = Σ (collateralUsd + notionalUsd) over LIQUIDATABLE and INSOLVENT accounts
 *   (what liquidators must sell or close).
 * Exact for decimal inputs (e.g. from AccountRisk); for float inputs (screens) each sum is
 * compensated and converted once. The two largest shortfalls are exact Decimals of their inputs.
 * Example: equities [100, −30, −5] → D0 = 35.
 */
export function systemTotals(accounts: Iterable<AccountSummary>): SystemTotals {
  const collateral = new MixedSum();
  const debt = new MixedSum();
  const oi = new MixedSum();
  const deficiency = new MixedSum();
  const liquidatable = new MixedSum();
  const perTier = emptyTiers();
  const top: { address: Hex; shortfallUsd: Decimal }[] = [];
  for (const a of accounts) {
    collateral.add(a.collateralUsd);
    debt.add(a.debtUsd);
    oi.add(a.notionalUsd);
    perTier[a.tier]++;
    if (isNegative(a.equityUsd)) {
      deficiency.add(typeof a.equityUsd === "number" ? -a.equityUsd : toDecimal(a.equityUsd).neg());
      const shortfall = toDecimal(a.equityUsd).neg();
      if (top.length < 2 || shortfall.gte(top[top.length - 1].shortfallUsd)) insertTop(top, { address: a.address, shortfallUsd: shortfall }, 2);
    }
    if (a.tier === "LIQUIDATABLE" || a.tier === "INSOLVENT") {
      liquidatable.add(a.collateralUsd);
      liquidatable.add(a.notionalUsd);
    }
  }
  return {
    collateralUsd: collateral.value(),
    debtUsd: debt.value(),
    openInterestUsd: oi.value(),
    deficiencyUsd: deficiency.value(),
    liquidatableNotionalUsd: liquidatable.value(),
    accountsPerTier: perTier,
    largestShortfalls: top,
  };
}

/** Keeps `top` sorted largest first (ties: smaller address first), at most `k` long. */
function insertTop(top: { address: Hex; shortfallUsd: Decimal }[], item: { address: Hex; shortfallUsd: Decimal }, k: number) {
  let i = top.length;
  while (i > 0) {
    const prev = top[i - 1];
    const cmp = item.shortfallUsd.comparedTo(prev.shortfallUsd);
    if (cmp > 0 || (cmp === 0 && item.address < prev.address)) i--;
    else break;
  }
  if (i >= k) return;
  top.splice(i, 0, item);
  if (top.length > k) top.pop();
}

/** The inputs of the system action. */
export interface ActionMetrics {
  /** D0, USD */
  deficiencyUsd: Numeric;
  /** B, USD */
  insuranceFundUsd: Numeric;
  /** CR = B / max_s D(s); null when no scenario has a deficiency (infinitely covered) */
  coverageRatio: Numeric | null;
  liquidatableNotionalUsd: Numeric;
  collateralUsd: Numeric;
}

const LEVEL: Record<SystemAction, number> = { NORMAL: 0, RAISE_MARGINS: 1, REDUCE_MAX_LEVERAGE: 2, HALT: 3 };
const ACTIONS: SystemAction[] = ["NORMAL", "RAISE_MARGINS", "REDUCE_MAX_LEVERAGE", "HALT"];

/**
 * Does the trigger of `action` hold? `slack` 0 is the entry test; `slack` h is the stay test, which
 * relaxes every threshold by the fraction h (relative), so a state is left only when its trigger has
 * cleared by h:
 *   HALT                 D0 > B·(1 − h)
 *   REDUCE_MAX_LEVERAGE  CR < T_reduce·(1 + h)  or  liquidatable > share·(1 − h)·collateral
 *   RAISE_MARGINS        CR < T_raise·(1 + h)
 */
function triggered(action: SystemAction, m: ActionMetrics, t: RiskParams["thresholds"], slack: Decimal): boolean {
  const up = slack.plus(1);
  const down = new D(1).minus(slack);
  const cr = m.coverageRatio === null ? null : toDecimal(m.coverageRatio);
  switch (action) {
    case "HALT":
      return toDecimal(m.deficiencyUsd).gt(toDecimal(m.insuranceFundUsd).times(down));
    case "REDUCE_MAX_LEVERAGE": {
      const share = toDecimal(t.liquidatableNotionalShare).times(down);
      const notional = toDecimal(m.liquidatableNotionalUsd);
      const crLow = cr !== null && cr.lt(toDecimal(t.reduceLeverageCoverage).times(up));
      return crLow || notional.gt(toDecimal(m.collateralUsd).times(share));
    }
    case "RAISE_MARGINS":
      return cr !== null && cr.lt(toDecimal(t.raiseMarginsCoverage).times(up));
    case "NORMAL":
      return true;
  }
}

/**
 * The system action with hysteresis (risk model §6). Entry: the most severe action whose trigger
 * holds — HALT when D0 > B; REDUCE_MAX_LEVERAGE when CR < 1.25 or liquidatable notional > 10% of
 * pool collateral; RAISE_MARGINS when CR < 2; else NORMAL (CR null = no stressed deficiency = ∞).
 * Escalation is immediate; de-escalation from `previous` goes only down to the most severe level
 * whose trigger still holds with every threshold relaxed by `hysteresis` (20%: leave HALT only when
 * D0 ≤ 0.8·B, REDUCE only when CR ≥ 1.5 and the share ≤ 8%, RAISE only when CR ≥ 2.4).
 * Example: previous RAISE_MARGINS, CR 2.2 → RAISE_MARGINS (not NORMAL until CR ≥ 2.4).
 */
export function systemAction(
  previous: SystemAction | null,
  metrics: ActionMetrics,
  thresholds: RiskParams["thresholds"],
): SystemAction {
  const zero = new D(0);
  let entry: SystemAction = "NORMAL";
  for (const action of ["HALT", "REDUCE_MAX_LEVERAGE", "RAISE_MARGINS"] as const) {
    if (triggered(action, metrics, thresholds, zero)) {
      entry = action;
      break;
    }
  }
  if (previous === null || LEVEL[entry] >= LEVEL[previous]) return entry;
  const h = toDecimal(thresholds.hysteresis);
  for (let level = LEVEL[previous]; level > LEVEL[entry]; level--) {
    if (triggered(ACTIONS[level], metrics, thresholds, h)) return ACTIONS[level];
  }
  return entry;
}

/**
 * `SystemRisk` from the totals now, the insurance fund B and the stress results:
 *   worst = the scenario with the largest D(s) (first in library order on a tie), compared with D0
 *   (a scenario is "worst" only when D(s) > D0; `worstScenario` null means nothing is worse than now);
 *   CR = B / max(D0, max_s D(s)), null when that is 0;
 *   Cover-1 = largest shortfall, Cover-2 = sum of the two largest, under the worst case.
 * Example: B = 50, D0 = 0, D(risky-50pct) = 40 → CR = 1.25, worstScenario "risky-50pct".
 */
export function buildSystemRisk(input: {
  totals: SystemTotals;
  insuranceFundUsd: Numeric;
  stress: readonly ScenarioResult[];
  previousAction: SystemAction | null;
  thresholds: RiskParams["thresholds"];
}): SystemRisk {
  const { totals } = input;
  const B = toDecimal(input.insuranceFundUsd);
  let worst: ScenarioResult | null = null;
  for (const result of input.stress) {
    if (result.deficiencyUsd.gt(worst ? worst.deficiencyUsd : totals.deficiencyUsd)) worst = result;
  }
  const worstDeficiency = worst ? worst.deficiencyUsd : totals.deficiencyUsd;
  const shortfalls = worst ? worst.shortfallsUsd : totals.largestShortfalls;
  const cover1 = shortfalls[0]?.shortfallUsd ?? ZERO;
  const cover2 = cover1.plus(shortfalls[1]?.shortfallUsd ?? ZERO);
  const coverageRatio = worstDeficiency.gt(0) ? B.div(worstDeficiency) : null;
  const action = systemAction(
    input.previousAction,
    {
      deficiencyUsd: totals.deficiencyUsd,
      insuranceFundUsd: B,
      coverageRatio,
      liquidatableNotionalUsd: totals.liquidatableNotionalUsd,
      collateralUsd: totals.collateralUsd,
    },
    input.thresholds,
  );
  return {
    collateralUsd: totals.collateralUsd,
    debtUsd: totals.debtUsd,
    openInterestUsd: totals.openInterestUsd,
    deficiencyUsd: totals.deficiencyUsd,
    insuranceFundUsd: B,
    worstScenario: worst ? worst.scenario.name : null,
    worstDeficiencyUsd: worstDeficiency,
    coverageRatio,
    cover1Usd: cover1,
    cover2Usd: cover2,
    liquidatableNotionalUsd: totals.liquidatableNotionalUsd,
    action,
    accountsPerTier: { ...totals.accountsPerTier },
  };
}

/** One chain's net balance exposure: see {@link chainExposures}. */
export interface ChainExposure {
  chainId: ChainId;
  /** Σ collateral − Σ debt at mark, USD, no haircut; null when an asset held there has no mark */
  exposureUsd: Decimal | null;
  /** assets held on the chain without a mark (why exposureUsd is null) */
  unpricedAssets: AssetSymbol[];
}

/**
 * Per chain, `Σ_x (Σ collateral q_x − Σ debt q_x)·P_x` over every account: what the pool holds net
 * on that chain at mark prices, before haircuts (perp PnL not included: it settles in the quote
 * token). Raw amounts are summed exactly as integers per (chain, asset, decimals) first, so the
 * cost is one bigint add per item and one Decimal product per (chain, asset). Chains listed in
 * `chainIds` order; a chain with no items has exposure 0.
 *
 * Example: 2 ETH of collateral and 1,000 USDC of debt on a chain, ETH at 2,000 → 3,000.
 */
export function chainExposures(
  accounts: Iterable<AccountState>,
  marks: Record<AssetSymbol, Decimal | null>,
  chainIds: readonly ChainId[],
): ChainExposure[] {
  const sums = new Map<string, { chainId: ChainId; asset: AssetSymbol; decimals: number; raw: bigint }>();
  const add = (item: BalanceItem, sign: 1n | -1n) => {
    const key = `${item.chainId}|${item.asset}|${item.decimals}`;
    let s = sums.get(key);
    if (s === undefined) sums.set(key, (s = { chainId: item.chainId, asset: item.asset, decimals: item.decimals, raw: 0n }));
    s.raw += sign * item.amountRaw;
  };
  for (const a of accounts) {
    for (const c of a.collateral) add(c, 1n);
    for (const d of a.debt) add(d, -1n);
  }
  const out = new Map<ChainId, ChainExposure>(chainIds.map((chainId) => [chainId, { chainId, exposureUsd: ZERO, unpricedAssets: [] }]));
  for (const s of sums.values()) {
    const e = out.get(s.chainId);
    if (e === undefined || s.raw === 0n) continue;
    const mark = marks[s.asset] ?? null;
    if (mark === null) {
      if (!e.unpricedAssets.includes(s.asset)) e.unpricedAssets.push(s.asset);
      e.exposureUsd = null;
      continue;
    }
    if (e.exposureUsd !== null) e.exposureUsd = e.exposureUsd.plus(fromRaw(s.raw, s.decimals).times(mark));
  }
  return [...out.values()].map((e) => ({ ...e, unpricedAssets: e.unpricedAssets.sort() }));
}
