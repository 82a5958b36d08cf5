/** Query.accounts: filtered, ordered, cursor-paginated screened accounts. */
import type { ChainId, Tier } from "../../risk/types.js";
import { parseFirst, parseHealthFactorThreshold } from "../args.js";
import type { AccountFilter, AccountOrder } from "../book/types.js";
import type { ApiContext } from "../context.js";
import { apiError } from "../errors.js";
import { formatAsOf, formatScreen } from "../format.js";
import { accountNow } from "./account.js";

interface AccountsArgs {
  where?: { tier?: Tier | null; chainId?: ChainId | null; healthFactorLt?: string | null; degraded?: boolean | null } | null;
  orderBy?: AccountOrder | null;
  first?: number | null;
  after?: string | null;
}

export function accountsResolver(_parent: unknown, args: AccountsArgs, ctx: ApiContext) {
  const first = parseFirst(args.first, ctx.limits.defaultPageSize, ctx.limits.maxPageSize);
  const filter: AccountFilter = {};
  const w = args.where ?? {};
  if (w.tier) filter.tier = w.tier;
  if (w.chainId !== null && w.chainId !== undefined) filter.chainId = w.chainId;
  if (w.degraded !== null && w.degraded !== undefined) filter.degraded = w.degraded;
  if (w.healthFactorLt !== null && w.healthFactorLt !== undefined) {
    filter.healthFactorLt = parseHealthFactorThreshold(w.healthFactorLt, 0, "where.healthFactorLt");
  }
  if (args.after !== null && args.after !== undefined && (args.after.length === 0 || args.after.length > 200)) {
    throw apiError("BAD_CURSOR", `Cursor "${args.after.slice(0, 60)}" is invalid; pass the endCursor of the previous page.`);
  }
  const page = ctx.book.listAccounts(filter, args.orderBy ?? "HEALTH_FACTOR_ASC", first, args.after ?? undefined);
  return {
    nodes: page.entries.map((e) => formatScreen(e.address, e.screen)),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount: page.totalCount,
    asOf: formatAsOf(ctx.book.asOf()),
  };
}

/** AccountSummary.report / EndangeredAccount.report: the full report, only when asked. */
export function reportResolver(parent: { address: string }, _args: unknown, ctx: ApiContext) {
  return accountNow(ctx, parent.address as `0x${string}`);
}
