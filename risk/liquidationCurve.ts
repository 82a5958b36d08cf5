/**
 * Liquidation curve of one asset: the stress engine's deficiency and liquidated volume (with
 * cascades) for price shocks from 0 down to −maxShockPct in equal steps. Each point is the
 * scenario `{ shocks: [{ asset, pct }] }` run by stress.ts, all points sharing one prepared
 * environment and linear model. Points list no shortfalls; their deficiency is the cascade's float
 * sum rounded up to cents (`deficiencyExact: false`) unless no account is under water.
 * Pure and deterministic.
 */
import type Decimal from "decimal.js";
import { D } from "./decimal.js";
import type { CompiledBook } from "./compiled.js";
import type { EnvironmentInput, PreparedEnvironment } from "./environment.js";
import { ScenarioError, type ScenarioIssue } from "./scenarios.js";
import { runScenarios } from "./stress.js";
import type { AssetSymbol, RiskConfig, ScenarioResult, StressScenario } from "./types.js";

export interface LiquidationCurveRequest {
  asset: AssetSymbol;
  /** the deepest drop, a fraction: "0.6" = down to −60% */
  maxShockPct: string;
  /** number of equal steps from 0 to −maxShockPct (points = steps + 1) */
  steps: number;
}

export interface LiquidationCurvePoint {
  /** the shock, ≤ 0 ("-0.15" = −15%) */
  shockPct: Decimal;
  deficiencyUsd: Decimal;
  liquidatedVolumeUsd: Decimal;
  liquidatedAccounts: number;
  /** cascade rounds that liquidated someone */
  rounds: number;
  deficiencyExact: boolean;
}

export interface LiquidationCurve {
  asset: AssetSymbol;
  maxShockPct: Decimal;
  steps: number;
  points: LiquidationCurvePoint[];
}

export const MAX_CURVE_STEPS = 60;
/** a shock of −100% or more is not a price */
export const MAX_CURVE_SHOCK_PCT = "0.99";

/** Checks a curve request against the config; throws ScenarioError (BAD_SCENARIO) naming every problem. */
export function validateCurveRequest(request: LiquidationCurveRequest, config: RiskConfig): { asset: AssetSymbol; maxShock: Decimal; steps: number } {
  const issues: ScenarioIssue[] = [];
  const known = Object.keys(config.assets).sort();
  if (!(request.asset in config.assets)) {
    issues.push({ path: "asset", message: `unknown asset '${request.asset}'; expected one of [${known.map((a) => `'${a}'`).join(", ")}]` });
  }
  let maxShock: Decimal | null = null;
  try {
    maxShock = new D(request.maxShockPct);
  } catch {
    maxShock = null;
  }
  if (maxShock === null || !maxShock.isFinite()) {
    issues.push({ path: "maxShockPct", message: `'${request.maxShockPct}' is not a decimal; expected e.g. '0.6' for a curve down to −60%` });
  } else if (!maxShock.gt(0) || maxShock.gt(MAX_CURVE_SHOCK_PCT)) {
    issues.push({ path: "maxShockPct", message: `${maxShock.toString()} is outside (0, ${MAX_CURVE_SHOCK_PCT}]; it is the deepest drop as a positive fraction, 0.6 = −60%` });
  }
  if (!Number.isInteger(request.steps) || request.steps < 1 || request.steps > MAX_CURVE_STEPS) {
    issues.push({ path: "steps", message: `${request.steps} is not an integer from 1 to ${MAX_CURVE_STEPS}` });
  }
  if (issues.length > 0) throw new ScenarioError(`liquidation curve ${request.asset}`, issues);
  return { asset: request.asset, maxShock: maxShock!, steps: request.steps };
}

/** The scenarios of a curve: shock_k = −maxShock·k/steps for k = 0…steps (exact decimals). */
export function curveScenarios(asset: AssetSymbol, maxShock: Decimal, steps: number): StressScenario[] {
  const out: StressScenario[] = [];
  for (let k = 0; k <= steps; k++) {
    const pct = maxShock.times(k).div(steps).neg().toDecimalPlaces(6, D.ROUND_HALF_EVEN);
    out.push({ name: `${asset} ${pct.times(100).toString()}%`, shocks: [{ asset, pct: pct.isZero() ? "0" : pct.toString() }] });
  }
  return out;
}

/**
 * The curve of `request.asset` over `book` (all other prices fixed). Throws ScenarioError for a bad request.
 * Example: `liquidationCurve(book, config, input, { asset: "ETH", maxShockPct: "0.6", steps: 12 })`.
 */
export function liquidationCurve(
  book: CompiledBook,
  config: RiskConfig,
  baseInput: EnvironmentInput,
  request: LiquidationCurveRequest,
  options: { baseEnv?: PreparedEnvironment } = {},
): LiquidationCurve {
  const plan = curvePlan(request, config);
  return curveFromResults(plan, runScenarios(book, config, baseInput, plan.scenarios, CURVE_STRESS_OPTIONS(options.baseEnv)));
}

/** The stress options a curve runs with (no shortfall list, float deficiency sums). */
export const CURVE_STRESS_OPTIONS = (baseEnv?: PreparedEnvironment) => ({ baseEnv, shortfallLimit: 0, exactDeficiencyLimit: 0 });

/** A validated request and its scenarios, one per step (run them, then `curveFromResults`). Throws ScenarioError. */
export function curvePlan(request: LiquidationCurveRequest, config: RiskConfig): { asset: AssetSymbol; maxShock: Decimal; steps: number; scenarios: StressScenario[] } {
  const { asset, maxShock, steps } = validateCurveRequest(request, config);
  return { asset, maxShock, steps, scenarios: curveScenarios(asset, maxShock, steps) };
}

/** The curve from its plan and the results of its scenarios, in order. */
export function curveFromResults(plan: { asset: AssetSymbol; maxShock: Decimal; steps: number; scenarios: StressScenario[] }, results: readonly ScenarioResult[]): LiquidationCurve {
  const { asset, maxShock, steps, scenarios } = plan;
  return {
    asset,
    maxShockPct: maxShock,
    steps,
    points: results.map((r, k) => ({
      shockPct: new D(scenarios[k].shocks[0].pct),
      deficiencyUsd: r.deficiencyUsd,
      liquidatedVolumeUsd: r.liquidatedVolumeUsd,
      liquidatedAccounts: r.rounds.reduce((n, round) => n + round.liquidatedAccounts, 0),
      rounds: r.rounds.length,
      deficiencyExact: r.deficiencyExact ?? true,
    })),
  };
}
