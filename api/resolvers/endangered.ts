/** Query.endangeredAccounts: most endangered first, with what can be seized where and how fast. */
import { parseFirst, parseHealthFactorThreshold } from "../args.js";
import type { AccountListEntry } from "../book/types.js";
import type { ApiContext } from "../context.js";
import { formatAsOf, formatScreen, seizableOf } from "../format.js";

/** The default threshold: accounts with a health factor below 1.1 (10% above liquidation). */
export const DEFAULT_MAX_HEALTH_FACTOR = 1.1;

export function formatEndangered(e: AccountListEntry) {
  return formatScreen(e.address, e.screen);
}

export function endangeredResolver(
  _parent: unknown,
  args: { maxHealthFactor?: string | null; first?: number | null },
  ctx: ApiContext,
) {
  const maxHf = parseHealthFactorThreshold(args.maxHealthFactor, DEFAULT_MAX_HEALTH_FACTOR, "maxHealthFactor");
  const first = parseFirst(args.first, ctx.limits.defaultPageSize, ctx.limits.maxPageSize);
  return {
    maxHealthFactor: args.maxHealthFactor ?? String(maxHf),
    nodes: ctx.book.endangered(maxHf, first).map(formatEndangered),
    asOf: formatAsOf(ctx.book.asOf()),
  };
}

export function seizableResolver(parent: { address: string }, _args: unknown, ctx: ApiContext) {
  const risk = ctx.book.account(parent.address as `0x${string}`);
  return risk ? seizableOf(risk) : [];
}
