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

export function stressResolver(_parent: unknown, args: ScenarioArgs, ctx: ApiContext) {
  const s = args.scenario;
  if (s.shocks.length > ctx.limits.maxShocks) {
    throw apiError("LIMIT_EXCEEDED", `The scenario has ${s.shocks.length} shocks; at most ${ctx.limits.maxShocks} are allowed.`);
  }
  const name = (s.name ?? "custom").slice(0, 100);
  const scenario: StressScenario = {
    name,
    shocks: s.shocks.map((shock, i) => ({ asset: shock.asset, pct: parseDecimalString(shock.pct, `scenario.shocks[${i}].pct`) })),
    ...(s.unreachableChains ? { unreachableChains: s.unreachableChains } : {}),
    ...(s.latencyMultiplier ? { latencyMultiplier: parseDecimalString(s.latencyMultiplier, "scenario.latencyMultiplier") } : {}),
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

export function liquidationCurveResolver(_parent: unknown, args: { asset: string; maxShockPct?: string | null; steps?: number | null }, ctx: ApiContext) {
  if (typeof ctx.book.liquidationCurve !== "function") throw apiError("NOT_READY", "This risk book does not compute liquidation curves.");
  const maxShockPct = args.maxShockPct ?? "0.6";
  parseDecimalString(maxShockPct, "maxShockPct");
  // The engine validates asset, range and steps and throws ScenarioError (BAD_SCENARIO).
  const curve = ctx.book.liquidationCurve({ asset: args.asset, maxShockPct, steps: args.steps ?? 12 });
  const mark = ctx.book.marks().find((m) => m.asset === curve.asset)?.priceUsd ?? null;
  return {
    asset: curve.asset,
    maxShockPct: curve.maxShockPct,
    steps: curve.steps,
    points: curve.points.map((p) => ({ ...p, priceUsd: mark === null ? null : mark.times(p.shockPct.plus(1)) })),
    asOf: formatAsOf(ctx.book.asOf()),
  };
}
