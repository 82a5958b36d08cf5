/** Query.tierChanges, accountHistory, systemHistory: the past, from the book's record and the ledger. */
import type { Tier } from "../../risk/types.js";
import { parseAddress, parseFirst, parseTime, parseWindow } from "../args.js";
import type { ApiContext } from "../context.js";
import { apiError } from "../errors.js";
import { formatTierChange, formatTierCounts } from "../format.js";

interface TierChangesArgs {
  from?: number | null;
  to?: number | null;
  tier?: Tier | null;
  first?: number | null;
  after?: string | null;
}

export function tierChangesResolver(_parent: unknown, args: TierChangesArgs, ctx: ApiContext) {
  const now = ctx.book.asOf().now;
  const first = parseFirst(args.first, ctx.limits.defaultPageSize, ctx.limits.maxPageSize);
  const from = args.from === null || args.from === undefined ? undefined : parseTime(args.from, "from", now);
  const to = args.to === null || args.to === undefined ? undefined : parseTime(args.to, "to", now);
  if (from !== undefined && to !== undefined && from > to) {
    throw apiError("BAD_TIME", `'from' (${from}) is after 'to' (${to}); expected from ≤ to.`);
  }
  let after: number | undefined;
  if (args.after !== null && args.after !== undefined) {
    if (!/^\d{1,15}$/.test(args.after)) {
      throw apiError("BAD_CURSOR", `Cursor "${args.after.slice(0, 60)}" is invalid; pass the endCursor of the previous page.`);
    }
    after = Number(args.after);
  }
  const rows = ctx.book.tierChanges({
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(args.tier ? { tier: args.tier } : {}),
    first: first + 1,
    ...(after !== undefined ? { after } : {}),
  });
  const page = rows.slice(0, first);
  return {
    nodes: page.map(formatTierChange),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.length > 0 ? String(page[page.length - 1]!.seq) : args.after ?? null },
  };
}

export async function accountHistoryResolver(
  _parent: unknown,
  args: { address: string; from: number; to: number; bucketSeconds: number },
  ctx: ApiContext,
) {
  const address = parseAddress(args.address);
  const w = parseWindow(args.from, args.to, args.bucketSeconds, ctx.book.asOf().now, ctx.limits.maxHistoryBuckets);
  return ctx.book.accountHistory(address, w.from, w.to, w.bucketSeconds, { signal: ctx.signal });
}

export async function systemHistoryResolver(
  _parent: unknown,
  args: { from: number; to: number; bucketSeconds: number },
  ctx: ApiContext,
) {
  const w = parseWindow(args.from, args.to, args.bucketSeconds, ctx.book.asOf().now, ctx.limits.maxHistoryBuckets);
  const points = await ctx.book.systemHistory(w.from, w.to, w.bucketSeconds, { signal: ctx.signal });
  return points.map((p) => ({ ...p, accountsPerTier: formatTierCounts(p.accountsPerTier) }));
}
