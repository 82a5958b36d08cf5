/**
 * Stress scenarios (risk model §6): the default library and the validation of caller scenarios.
 * A scenario is plain data (risk/types.ts `StressScenario`); stress.ts runs it.
 */
import { XmarginError } from "../errors.js";
import { D } from "./decimal.js";
import type { AssetSymbol, ChainId, RiskConfig, StressScenario, VolatilityEstimate } from "./types.js";
import { firstPrincipalComponent } from "./volatility.js";

/** One problem with a caller's scenario: where (`shocks[2].asset`) and what is wrong. */
export interface ScenarioIssue {
  path: string;
  message: string;
}

/** A scenario the engine cannot run; lists every problem at once. The API maps it to BAD_USER_INPUT. */
export class ScenarioError extends XmarginError {
  override name = "ScenarioError";
  readonly issues: ScenarioIssue[];
  constructor(scenarioName: string, issues: ScenarioIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join("\n");
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super("BAD_SCENARIO", `Scenario '${scenarioName}' is invalid (${count}):\n${lines}`, {
      details: { scenario: scenarioName, issues },
    });
    this.issues = issues;
  }
}

/** Shocks are fractions: −0.35 is −35%. A price can fall by less than 100% and rise by at most 1000%. */
export const MIN_SHOCK_PCT_EXCLUSIVE = -1;
export const MAX_SHOCK_PCT = 10;
/** The default library's uniform drops of every risky asset (group ≠ "stable"). */
export const UNIFORM_DROPS = ["-0.10", "-0.20", "-0.35", "-0.50"] as const;
/** The default library's differentiated drop: BTC −15%, ETH −25%, alts −40% (stables unshocked). */
export const GROUP_DROPS: Record<"btc" | "eth" | "alt", string> = { btc: "-0.15", eth: "-0.25", alt: "-0.40" };
/** The principal-component scenario moves 3 σ along the first eigenvector of the covariance … */
export const PC_SIGMAS = 3;
/** … over one day (see docs/risk-model-notes-systemic.md: a horizon of stress, not of liquidation). */
export const DEFAULT_PC_HORIZON_SECONDS = 86_400;
/** Bridge congestion: every chain's configured liquidation latency × 4. */
export const LATENCY_STRESS_MULTIPLIER = "4";

function pctLabel(pct: string): string {
  return String(Math.round(-Number(pct) * 100));
}

/**
 * The 3-σ down move along the covariance's first principal component (λ, v with Σv ≥ 0):
 *
 *   Δln P_x = −k·√(λ·T/Y)·v_x,   pct_x = exp(Δln P_x) − 1   (k = 3, T = horizon, λ annualised)
 *
 * rounded to 6 decimals (assets whose move rounds to 0 are left out), never below −99%.
 * Example: one asset with σ = 80%, T = 1 day: √λ = 0.8, move = −3·0.8·√(1/365) = −0.1256 → −11.8%.
 * Null when the covariance is zero (no risk to move along).
 */
export function principalComponentScenario(
  volatility: VolatilityEstimate,
  yearSeconds: number,
  horizonSeconds: number = DEFAULT_PC_HORIZON_SECONDS,
  sigmas: number = PC_SIGMAS,
): StressScenario | null {
  const pc = firstPrincipalComponent(volatility.covarianceAnnual);
  if (!(pc.eigenvalue > 0)) return null;
  const scale = sigmas * Math.sqrt((pc.eigenvalue * horizonSeconds) / yearSeconds);
  const shocks = volatility.assets
    .map((asset, i) => {
      const pct = Math.max(-0.99, Math.expm1(-scale * pc.vector[i]));
      return { asset, pct: new D(pct).toDecimalPlaces(6).toString() };
    })
    .filter((shock) => !new D(shock.pct).isZero());
  if (shocks.length === 0) return null;
  return { name: `pc1-${sigmas}sigma-down`, shocks };
}

/**
 * The default library (risk model §6), in this order: every risky asset (group ≠ "stable") −10%,
 * −20%, −35%, −50%; BTC −15% & ETH −25% & alts −40%; the 3-σ principal-component down move (when a
 * volatility estimate with non-zero covariance is given); each chain unreachable (its collateral
 * counts 0), by chain id; every latency × 4. Names are stable identifiers, e.g. `risky-35pct`,
 * `chain-1337002-unreachable`.
 */
export function defaultScenarios(
  config: RiskConfig,
  volatility: VolatilityEstimate | null,
  options: { pcHorizonSeconds?: number } = {},
): StressScenario[] {
  const assets = Object.values(config.assets).sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  const risky = assets.filter((asset) => asset.group !== "stable");
  const library: StressScenario[] = UNIFORM_DROPS.map((pct) => ({
    name: `risky-${pctLabel(pct)}pct`,
    shocks: risky.map((asset) => ({ asset: asset.symbol, pct })),
  }));
  library.push({
    name: "btc-15-eth-25-alts-40",
    shocks: risky.map((asset) => ({ asset: asset.symbol, pct: GROUP_DROPS[asset.group as "btc" | "eth" | "alt"] })),
  });
  if (volatility) {
    const known = new Set(Object.keys(config.assets));
    const restricted = restrictEstimate(volatility, (asset) => known.has(asset));
    const pc = principalComponentScenario(
      restricted,
      config.params.yearSeconds,
      options.pcHorizonSeconds ?? DEFAULT_PC_HORIZON_SECONDS,
    );
    if (pc) library.push(pc);
  }
  const chainIds = Object.values(config.chains)
    .map((chain) => chain.chainId)
    .sort((a, b) => a - b);
  for (const chainId of chainIds) {
    library.push({ name: `chain-${chainId}-unreachable`, shocks: [], unreachableChains: [chainId] });
  }
  library.push({ name: `latency-x${LATENCY_STRESS_MULTIPLIER}`, shocks: [], latencyMultiplier: LATENCY_STRESS_MULTIPLIER });
  return library;
}

/** The estimate restricted to the assets `keep` accepts (same order). */
function restrictEstimate(estimate: VolatilityEstimate, keep: (asset: AssetSymbol) => boolean): VolatilityEstimate {
  const idx = estimate.assets.map((asset, i) => (keep(asset) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === estimate.assets.length) return estimate;
  const pick = (m: number[][]) => idx.map((i) => idx.map((j) => m[i][j]));
  return {
    ...estimate,
    assets: idx.map((i) => estimate.assets[i]),
    covarianceAnnual: pick(estimate.covarianceAnnual),
    correlation: pick(estimate.correlation),
  };
}

function parseDecimal(value: unknown): InstanceType<typeof D> | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  if (typeof value === "string" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) return null;
  try {
    const d = new D(typeof value === "string" ? value.trim() : value);
    return d.isFinite() ? d : null;
  } catch {
    return null;
  }
}

/**
 * Checks a caller's scenario against the config and returns it normalised (pct and multiplier as
 * canonical decimal strings, chains sorted, duplicates removed). Throws {@link ScenarioError}
 * (code BAD_SCENARIO) listing every problem: an unknown asset (the message lists the known ones), a
 * shock outside (−1, 10], an asset shocked twice, an unknown chain (lists the known ones), a
 * latency multiplier ≤ 0. Example: `{ name: "eth crash", shocks: [{ asset: "ETH", pct: "-0.4" }] }`.
 */
export function validateScenario(scenario: StressScenario, config: RiskConfig): StressScenario {
  const issues: ScenarioIssue[] = [];
  const name = typeof scenario?.name === "string" && scenario.name.trim() !== "" ? scenario.name : "";
  if (!name) issues.push({ path: "name", message: "a scenario needs a non-empty name" });
  const knownAssets = Object.keys(config.assets).sort();
  const knownChains = Object.values(config.chains)
    .map((chain) => chain.chainId)
    .sort((a, b) => a - b);

  const shocks: { asset: string; pct: string }[] = [];
  const seen = new Set<string>();
  const rawShocks = Array.isArray(scenario?.shocks) ? scenario.shocks : [];
  if (scenario?.shocks !== undefined && !Array.isArray(scenario.shocks)) {
    issues.push({ path: "shocks", message: "must be a list of { asset, pct }" });
  }
  rawShocks.forEach((shock, i) => {
    const asset = shock?.asset;
    if (typeof asset !== "string" || !(asset in config.assets)) {
      issues.push({
        path: `shocks[${i}].asset`,
        message: `unknown asset '${String(asset)}'; expected one of [${knownAssets.map((a) => `'${a}'`).join(", ")}]`,
      });
    } else if (seen.has(asset)) {
      issues.push({ path: `shocks[${i}].asset`, message: `'${asset}' is shocked twice; give one shock per asset` });
    } else seen.add(asset);
    const pct = parseDecimal(shock?.pct);
    if (!pct) {
      issues.push({ path: `shocks[${i}].pct`, message: `'${String(shock?.pct)}' is not a decimal; expected e.g. '-0.35' for −35%` });
    } else if (!pct.gt(MIN_SHOCK_PCT_EXCLUSIVE) || pct.gt(MAX_SHOCK_PCT)) {
      issues.push({
        path: `shocks[${i}].pct`,
        message: `${pct.toString()} is outside (${MIN_SHOCK_PCT_EXCLUSIVE}, ${MAX_SHOCK_PCT}]; a shock is a fraction, −0.35 = −35%`,
      });
    } else if (typeof asset === "string") shocks.push({ asset, pct: pct.toString() });
  });

  let unreachableChains: ChainId[] | undefined;
  if (scenario?.unreachableChains !== undefined) {
    if (!Array.isArray(scenario.unreachableChains)) {
      issues.push({ path: "unreachableChains", message: "must be a list of chain ids" });
    } else {
      const ids = new Set<number>();
      scenario.unreachableChains.forEach((chainId, i) => {
        if (!knownChains.includes(chainId as number)) {
          issues.push({
            path: `unreachableChains[${i}]`,
            message: `unknown chain ${String(chainId)}; expected one of [${knownChains.join(", ")}]`,
          });
        } else ids.add(chainId);
      });
      unreachableChains = [...ids].sort((a, b) => a - b);
    }
  }

  let latencyMultiplier: string | undefined;
  if (scenario?.latencyMultiplier !== undefined) {
    const m = parseDecimal(scenario.latencyMultiplier);
    if (!m || !m.gt(0)) {
      issues.push({
        path: "latencyMultiplier",
        message: `'${String(scenario.latencyMultiplier)}' must be a decimal > 0 (1 = configured latency, 4 = bridge congestion)`,
      });
    } else latencyMultiplier = m.toString();
  }

  if (issues.length > 0) throw new ScenarioError(name || "(unnamed)", issues);
  const out: StressScenario = { name, shocks };
  if (unreachableChains) out.unreachableChains = unreachableChains;
  if (latencyMultiplier !== undefined) out.latencyMultiplier = latencyMultiplier;
  return out;
}

/** Price multipliers `1 + pct` per shocked asset, as decimal strings (exact). Example: −0.35 → "0.65". */
export function shockMultipliers(scenario: StressScenario): Record<AssetSymbol, string> {
  const out: Record<AssetSymbol, string> = {};
  for (const shock of scenario.shocks) out[shock.asset] = new D(1).plus(shock.pct).toString();
  return out;
}
