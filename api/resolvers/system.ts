/** Query.system and Query.asOf: pool-level risk, per-chain freshness and oracle marks. */
import type { ApiContext } from "../context.js";
import { formatAsOf, formatMark, formatSystem, formatSystemChain } from "../format.js";

export function systemSnapshot(ctx: ApiContext) {
  const { book } = ctx;
  const exposure = new Map<number, unknown>();
  if (typeof book.chainExposure === "function") for (const e of book.chainExposure()) exposure.set(e.chainId, e.exposureUsd);
  let vol = null;
  try {
    vol = book.volatility();
  } catch {
    vol = null; // volatility needs a price history; marks are still served without it
  }
  const marks = book.marks().map((m) => formatMark(m, vol));
  return {
    ...formatSystem(book.system()),
    chains: book.chains().map((c) => formatSystemChain(c, exposure.get(c.chainId))),
    marks,
    oracleDivergence: marks.filter((m) => m.divergentChains.length > 0),
    volatilityAsOf: vol ? vol.asOf : null,
    thresholds: typeof book.actionThresholds === "function" ? book.actionThresholds() : null,
    asOf: formatAsOf(book.asOf()),
  };
}

export function systemResolver(_parent: unknown, _args: unknown, ctx: ApiContext) {
  return systemSnapshot(ctx);
}

export function asOfResolver(_parent: unknown, _args: unknown, ctx: ApiContext) {
  return formatAsOf(ctx.book.asOf());
}

export function bookStatsResolver(_parent: unknown, _args: unknown, ctx: ApiContext) {
  const s = ctx.book.stats();
  return {
    accounts: s.accounts,
    updates: s.updates,
    lastUpdateMs: s.lastUpdateMs.toFixed(3),
    // the book's clock is in ms; the schema's times are unix seconds
    lastUpdateAt: s.lastUpdateAt === null ? null : Math.floor(s.lastUpdateAt > 1e11 ? s.lastUpdateAt / 1000 : s.lastUpdateAt),
  };
}
