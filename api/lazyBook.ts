/**
 * A RiskBookView that exists before its book does: the API mounts at once, answers NOT_READY
 * (HTTP 503) until a book has loaded the store, and a book whose first load failed (tables not
 * created yet, database restarting) is replaced by a fresh one after a pause. Subscriptions made
 * early are carried over to each new book.
 */
import { BookError } from "./book/errors.js";
import type { BookEvent, RiskBookView, SubscribeOptions } from "./book/types.js";
import type { ApiBook } from "./context.js";

export interface StartableBook extends RiskBookView {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LazyBook extends ApiBook {
  /** Resolves when a book has loaded; never rejects (failures are retried). */
  readonly loaded: Promise<void>;
  /** The book in use, once loaded. */
  current(): StartableBook | null;
  close(): Promise<void>;
}

export interface LazyBookOptions {
  create: () => StartableBook;
  /**
   * Checked before each load attempt; while it answers false the book is not created (the API
   * answers NOT_READY) and it is asked again after `retryMs`. The app waits for Ponder's backfill:
   * a book loaded mid-backfill would describe history as if it were now, and would take the
   * indexer's thread while it catches up.
   */
  whenReady?: () => Promise<boolean>;
  retryMs?: number;
  onError?: (error: unknown, attempt: number) => void;
}

export function createLazyBook(options: LazyBookOptions): LazyBook {
  const retryMs = options.retryMs ?? 1000;
  let book: StartableBook | null = null;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  const subscriptions = new Set<{ fn: (e: BookEvent) => void; options?: SubscribeOptions; off: (() => void) | null }>();
  let resolveLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => {
    resolveLoaded = resolve;
  });

  const notReady = () =>
    new BookError("BOOK_NOT_READY", "The risk book loads once Ponder's historical backfill is done and then reads the store; retry in a moment (GET /ready tells when the backfill is done).");

  const use = (): StartableBook => {
    if (book === null) throw notReady();
    return book;
  };

  async function attempt(n: number): Promise<void> {
    if (closed) return;
    if (options.whenReady) {
      let ready = false;
      let failed = false;
      try {
        ready = await options.whenReady();
      } catch (error) {
        failed = true; // e.g. Ponder has not created its tables yet
        options.onError?.(error, n);
      }
      if (!ready) {
        if (!closed) {
          retryTimer = setTimeout(() => void attempt(failed ? n + 1 : n), retryMs);
          retryTimer.unref?.();
        }
        return;
      }
    }
    const candidate = options.create();
    try {
      await candidate.start();
    } catch (error) {
      options.onError?.(error, n);
      await candidate.stop().catch(() => undefined);
      if (!closed) {
        retryTimer = setTimeout(() => void attempt(n + 1), retryMs);
        retryTimer.unref?.();
      }
      return;
    }
    if (closed) {
      await candidate.stop();
      return;
    }
    book = candidate;
    for (const s of subscriptions) s.off = candidate.subscribe(s.fn, s.options);
    resolveLoaded();
  }
  void attempt(1);

  return {
    loaded,
    current: () => book,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      for (const s of subscriptions) s.off?.();
      subscriptions.clear();
      await book?.stop();
    },
    asOf: () => use().asOf(),
    account: (address) => use().account(address),
    accountAt: async (address, time, options) => use().accountAt(address, time, options),
    listAccounts: (filter, order, first, after) => use().listAccounts(filter, order, first, after),
    endangered: (maxHealthFactor, first) => use().endangered(maxHealthFactor, first),
    system: () => use().system(),
    chains: () => use().chains(),
    marks: () => use().marks(),
    volatility: () => use().volatility(),
    runScenario: (scenario) => use().runScenario(scenario),
    stressLibrary: () => use().stressLibrary(),
    tierChanges: (q) => use().tierChanges(q),
    accountHistory: async (address, from, to, bucketSeconds, options) => use().accountHistory(address, from, to, bucketSeconds, options),
    systemHistory: async (from, to, bucketSeconds, options) => use().systemHistory(from, to, bucketSeconds, options),
    subscribe(fn, subscribeOptions) {
      const s = { fn, options: subscribeOptions, off: book ? book.subscribe(fn, subscribeOptions) : null };
      subscriptions.add(s);
      return () => {
        s.off?.();
        subscriptions.delete(s);
      };
    },
    stats: () => (book ? book.stats() : { accounts: 0, lastUpdateMs: 0, updates: 0, lastUpdateAt: null }),
    environment() {
      const b = book as ApiBook | null;
      return b !== null && typeof b.environment === "function" ? b.environment() : null;
    },
    chainExposure() {
      const b = use() as ApiBook;
      return typeof b.chainExposure === "function" ? b.chainExposure() : [];
    },
    liquidationCurve(request) {
      const b = use() as ApiBook;
      if (typeof b.liquidationCurve !== "function") throw new TypeError("The loaded risk book computes no liquidation curves.");
      return b.liquidationCurve(request);
    },
    liquidationCurveSliced(request) {
      const b = use() as ApiBook;
      if (typeof b.liquidationCurveSliced === "function") return b.liquidationCurveSliced(request);
      if (typeof b.liquidationCurve !== "function") throw new TypeError("The loaded risk book computes no liquidation curves.");
      return Promise.resolve(b.liquidationCurve(request));
    },
    actionThresholds() {
      const b = use() as ApiBook;
      return typeof b.actionThresholds === "function" ? b.actionThresholds() : { raiseMarginsCoverage: "0", reduceLeverageCoverage: "0", liquidatableNotionalShare: "0", hysteresis: "0" };
    },
  };
}
