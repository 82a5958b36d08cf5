/** Query.account: one account's full report now, or at a past time (time travel). */
import type { Hex } from "../../risk/types.js";
import { parseAddress, parseTime } from "../args.js";
import type { ApiContext } from "../context.js";
import { formatAccount } from "../format.js";

export function accountResolver(
  _parent: unknown,
  args: { address: string; at?: number | null },
  ctx: ApiContext,
) {
  const address = parseAddress(args.address);
  // Now: answered synchronously from the book (no promise, no timer per request).
  if (args.at === null || args.at === undefined) return accountNow(ctx, address);
  return accountThen(ctx, address, args.at);
}

async function accountThen(ctx: ApiContext, address: Hex, atArg: number) {
  const now = ctx.book.asOf().now;
  const at = parseTime(atArg, "at", now);
  const risk = await ctx.book.accountAt(address, at, { signal: ctx.signal });
  // Chain freshness at a past time is what the ledger rebuilt; the report's latencies carry it.
  return risk ? formatAccount(risk, { now: at, chains: [] }, ctx.chainNames) : null;
}

export function accountNow(ctx: ApiContext, address: Hex) {
  const risk = ctx.book.account(address);
  if (!risk) return null;
  // the frame the report was computed in (formatted only when selected)
  return formatAccount(risk, ctx.book.asOf(), ctx.chainNames);
}
