/** Query.stress and Query.stressLibrary: deficiency and liquidations per cascade round. */
import type { StressScenario } from "../../risk/types.js";
import { parseDecimalString } from "../args.js";
import type { ApiContext } from "../context.js";
import { apiError } from "../errors.js";
import { formatAsOf, formatScenarioResult } from "../format.js";

interface ScenarioArgs {
  scenario: {
    name?: string | null;
    shocks: { asset: string; pct: string }[];
    unreachableChains?: number[] | null;
    latencyMultiplier?: string | null;
  };
}

/** Upper bounds on a scenario's numbers: beyond them a what-if means nothing and only costs work. */
export const SCENARIO_BOUNDS = {
  /** liquidation latency × this; 100 turns 15 minutes into a day */
  maxLatencyMultiplier: 100,
  /** a price shock as a fraction: −1 (to zero) … +10 (×11) */
  minShockPct: -1,
  maxShockPct: 10,
  maxUnreachableChains: 64,
} as const;

/** A decimal string within [min, max], else BAD_SCENARIO saying what is accepted. */
function boundedDecimal(value: string, argName: string, min: number, max: number, example: string): string {
  const text = parseDecimalString(value, argName);
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw apiError("BAD_SCENARIO", `'${argName}' is ${text.length > 40 ? `${text.slice(0, 40)}…` : text}; expected a number from ${min} to ${max} (e.g. "${example}").`, {
      argument: argName,
      min,
      max,
    });
  }
  return text;
}

export function stressResolver(_parent: unknown, args: ScenarioArgs, ctx: ApiContext) {
  const s = args.scenario;
  if (s.shocks.length > ctx.limits.maxShocks) {
    throw apiError("LIMIT_EXCEEDED", `The scenario has ${s.shocks.length} shocks; at most ${ctx.limits.maxShocks} are allowed.`);
  }
  if ((s.unreachableChains?.length ?? 0) > SCENARIO_BOUNDS.maxUnreachableChains) {
    throw apiError("BAD_SCENARIO", `The scenario lists ${s.unreachableChains!.length} unreachable chains; at most ${SCENARIO_BOUNDS.maxUnreachableChains} are accepted.`);
  }
  const name = (s.name ?? "custom").slice(0, 100);
  const scenario: StressScenario = {
    name,
    shocks: s.shocks.map((shock, i) => ({
      asset: shock.asset,
      pct: boundedDecimal(shock.pct, `scenario.shocks[${i}].pct`, SCENARIO_BOUNDS.minShockPct, SCENARIO_BOUNDS.maxShockPct, "-0.30"),
    })),
    ...(s.unreachableChains ? { unreachableChains: s.unreachableChains } : {}),
    ...(s.latencyMultiplier
      ? { latencyMultiplier: boundedDecimal(s.latencyMultiplier, "scenario.latencyMultiplier", 0, SCENARIO_BOUNDS.maxLatencyMultiplier, "4") }
      : {}),
  };
  // The engine validates assets, chains and ranges and throws ScenarioError (BAD_SCENARIO).
  return formatScenarioResult(ctx.book.runScenario(scenario), formatAsOf(ctx.book.asOf()));
}

export function stressLibraryResolver(_parent: unknown, _args: unknown, ctx: ApiContext) {
  const asOf = formatAsOf(ctx.book.asOf());
  return ctx.book.stressLibrary().map((r) => formatScenarioResult(r, asOf));
}

export function shortfallsResolver(parent: { allShortfalls: { address: string; shortfallUsd: unknown }[] }, args: { first?: number | null }) {
  const first = args.first ?? 10;
  if (!Number.isInteger(first) || first < 0 || first > 500) {
    throw apiError("LIMIT_EXCEEDED", `'first' is ${first}; expected an integer from 0 to 500.`);
  }
  return parent.allShortfalls.slice(0, first);
}

export async function liquidationCurveResolver(_parent: unknown, args: { asset: string; maxShockPct?: string | null; steps?: number | null }, ctx: ApiContext) {
  if (typeof ctx.book.liquidationCurve !== "function") throw apiError("NOT_READY", "This risk book does not compute liquidation curves.");
  const maxShockPct = args.maxShockPct ?? "0.6";
  parseDecimalString(maxShockPct, "maxShockPct");
  // The engine validates asset, range and steps and throws ScenarioError (BAD_SCENARIO). Computed
  // in slices (one stress run per macrotask) where the book offers it, so pushes are not held up.
  const request = { asset: args.asset, maxShockPct, steps: args.steps ?? 12 };
  const curve = typeof ctx.book.liquidationCurveSliced === "function" ? await ctx.book.liquidationCurveSliced(request) : ctx.book.liquidationCurve(request);
  // the marks and freshness the curve was computed with (a curve may be a few seconds old: see RiskBookOptions.curveMaxAgeMs)
  const stamped = curve as typeof curve & { asOf?: ReturnType<typeof ctx.book.asOf>; marks?: ReturnType<typeof ctx.book.marks> };
  const mark = (stamped.marks ?? ctx.book.marks()).find((m) => m.asset === curve.asset)?.priceUsd ?? null;
  return {
    asset: curve.asset,
    maxShockPct: curve.maxShockPct,
    steps: curve.steps,
    points: curve.points.map((p) => ({ ...p, priceUsd: mark === null ? null : mark.times(p.shockPct.plus(1)) })),
    asOf: formatAsOf(stamped.asOf ?? ctx.book.asOf()),
  };
}
