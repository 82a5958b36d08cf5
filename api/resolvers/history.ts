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

/**
 * systemHistory answers are shared for SYSTEM_HISTORY_TTL_MS between requests with the same window
 * (every dashboard asks for the same bucket-aligned window; each bucket re-screens the whole book),
 * and a request arriving while the same window is computed waits for that computation. A shared
 * computation stopped by its own request's time limit is not reused: the waiter computes its own.
 */
export const SYSTEM_HISTORY_TTL_MS = 10_000;
type HistoryPoints = Awaited<ReturnType<ApiContext["book"]["systemHistory"]>>;
const systemHistoryCache = new WeakMap<object, Map<string, { at: number; points: Promise<HistoryPoints> }>>();

export async function systemHistoryResolver(
  _parent: unknown,
  args: { from: number; to: number; bucketSeconds: number },
  ctx: ApiContext,
) {
  const w = parseWindow(args.from, args.to, args.bucketSeconds, ctx.book.asOf().now, ctx.limits.maxHistoryBuckets);
  let cache = systemHistoryCache.get(ctx.book);
  if (cache === undefined) systemHistoryCache.set(ctx.book, (cache = new Map()));
  const key = `${w.from}:${w.to}:${w.bucketSeconds}`;
  const now = performance.now();
  for (const [k, v] of cache) if (now - v.at >= SYSTEM_HISTORY_TTL_MS) cache.delete(k);
  const own = () => ctx.book.systemHistory(w.from, w.to, w.bucketSeconds, { signal: ctx.signal });
  let points: HistoryPoints;
  const shared = cache.get(key);
  if (shared) {
    points = await shared.points.catch(own);
  } else {
    const computing = own();
    if (cache.size >= 32) cache.clear();
    cache.set(key, { at: now, points: computing });
    computing.catch(() => cache.delete(key));
    points = await computing;
  }
  return points.map((p) => ({ ...p, accountsPerTier: formatTierCounts(p.accountsPerTier) }));
}
