/**
 * Subscriptions (served over SSE by yoga): each resolves an async iterable from the hub and maps
 * its signals to payloads. Snapshots are memoized per book update, so N clients watching the same
 * thing cost one computation per update.
 */
import { Repeater } from "graphql-yoga";
import type { Hex, Tier } from "../../risk/types.js";
import { parseAddress, parseHealthFactorThreshold } from "../args.js";
import type { ApiContext } from "../context.js";
import { formatAsOf, formatTierChange } from "../format.js";
import type { EndangeredDiff } from "../hub.js";
import { accountNow } from "./account.js";
import { aaveEndangeredResolver } from "./domains.js";
import { DEFAULT_MAX_HEALTH_FACTOR, formatEndangered } from "./endangered.js";
import { systemSnapshot } from "./system.js";

/** Maps an async iterable; ends the source when the consumer stops. */
function mapIterable<T, U>(source: AsyncIterable<T>, fn: (value: T) => U): AsyncIterable<U> {
  return new Repeater<U>(async (push, stop) => {
    const it = source[Symbol.asyncIterator]();
    let done = false;
    void stop.then(() => {
      done = true;
      void it.return?.();
    });
    try {
      while (!done) {
        const next = await Promise.race([it.next(), stop.then(() => null)]);
        if (next === null || next.done) break;
        await push(fn(next.value));
      }
    } finally {
      stop();
    }
  });
}

/** One memo per hub version: the first subscriber to need a snapshot of this update builds it. */
function memoByVersion<K, V>(): (version: number, key: K, build: () => V) => V {
  let at = -1;
  let cache = new Map<K, V>();
  return (version, key, build) => {
    if (version !== at) {
      at = version;
      cache = new Map();
    }
    if (!cache.has(key)) cache.set(key, build());
    return cache.get(key)!;
  };
}

// Memos are per hub (one hub per API instance), so two APIs in one process never share snapshots.
const accountMemos = new WeakMap<object, ReturnType<typeof memoByVersion<Hex, ReturnType<typeof accountNow>>>>();
const systemMemos = new WeakMap<object, ReturnType<typeof memoByVersion<string, ReturnType<typeof systemSnapshot>>>>();

function accountMemo(ctx: ApiContext) {
  let m = accountMemos.get(ctx.hub);
  if (!m) accountMemos.set(ctx.hub, (m = memoByVersion()));
  return m;
}

function systemMemo(ctx: ApiContext) {
  let m = systemMemos.get(ctx.hub);
  if (!m) systemMemos.set(ctx.hub, (m = memoByVersion()));
  return m;
}

export const subscriptionResolvers = {
  accountHealth: {
    subscribe: (_p: unknown, args: { address: string }, ctx: ApiContext) => {
      const address = parseAddress(args.address);
      return mapIterable(ctx.hub.account(address, ctx.client), (version) => ({
        accountHealth: accountMemo(ctx)(version, address, () => accountNow(ctx, address)),
      }));
    },
  },
  endangeredAccounts: {
    subscribe: (_p: unknown, args: { maxHealthFactor?: string | null }, ctx: ApiContext) => {
      const maxHf = parseHealthFactorThreshold(args.maxHealthFactor, DEFAULT_MAX_HEALTH_FACTOR, "maxHealthFactor");
      return mapIterable(ctx.hub.endangered(maxHf, ctx.client), (diff: EndangeredDiff) => ({
        endangeredAccounts: {
          maxHealthFactor: args.maxHealthFactor ?? String(maxHf),
          entered: diff.entered.map(formatEndangered),
          left: diff.left,
          asOf: formatAsOf(ctx.book.asOf()),
        },
      }));
    },
  },
  tierChanges: {
    subscribe: (_p: unknown, args: { tier?: Tier | null }, ctx: ApiContext) =>
      mapIterable(ctx.hub.tierChanges(args.tier ?? null, ctx.client), (change) => ({ tierChanges: formatTierChange(change) })),
  },
  aaveEndangered: {
    subscribe: (_p: unknown, args: { maxHealthFactor?: string | null; first?: number | null }, ctx: ApiContext) => {
      aaveEndangeredResolver(null, args, ctx); // bad arguments are refused before the stream opens
      return mapIterable(ctx.hub.domainReads(ctx.client), () => ({ aaveEndangered: aaveEndangeredResolver(null, args, ctx) }));
    },
  },
  system: {
    subscribe: (_p: unknown, _args: unknown, ctx: ApiContext) =>
      mapIterable(ctx.hub.system(ctx.client), (version) => ({ system: systemMemo(ctx)(version, "system", () => systemSnapshot(ctx)) })),
  },
};
