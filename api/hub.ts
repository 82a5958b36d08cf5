/**
 * One listener on the risk book (plus one per endangered threshold asked), fanned out to every
 * subscription of this process. Work per book update is done once, not once per client: account
 * snapshots are memoized per update, each distinct endangered threshold is diffed once by the
 * book, the system snapshot is built once.
 *
 * Subscribers get async iterables (yoga's Repeater) with a sliding buffer: a slow client skips
 * stale snapshots instead of growing memory.
 *
 * Caps (api/limits.ts): subscriptions per process, per client (its remote address), and distinct
 * endangered thresholds (each one is a diff of the book's endangered set on every update). A
 * subscription is counted from the moment it is admitted until its stream ends.
 */
import { Repeater, SlidingBuffer } from "graphql-yoga";
import type { Hex, Tier } from "../risk/types.js";
import type { AccountListEntry, BookEvent, RiskBookView, TierChange } from "./book/types.js";
import { apiError } from "./errors.js";

export interface EndangeredDiff {
  maxHealthFactor: number;
  entered: AccountListEntry[];
  left: Hex[];
}

interface Threshold {
  listeners: Set<(diff: EndangeredDiff) => void>;
  /** this threshold's own book subscription: the book diffs its full endangered set once per update */
  unsubscribe: () => void;
}

/** Every stream takes the client it is for (its remote address); caps are counted per client. */
export interface BookHub {
  /** Signals (the update counter) for one account: once now, then after each update touching it. */
  account(address: Hex, client: string): AsyncIterable<number>;
  endangered(maxHealthFactor: number, client: string): AsyncIterable<EndangeredDiff>;
  tierChanges(tier: Tier | null, client: string): AsyncIterable<TierChange>;
  /** Signals once now, then the newest version at most once per systemPushIntervalMs while the book updates. */
  system(client: string): AsyncIterable<number>;
  /** Signals once now, then after every new read of the protocols' margin domains (never, without any). */
  domainReads(client: string): AsyncIterable<number>;
  /** How many subscriptions are open (all clients, or one). */
  size(client?: string): number;
  /** How many distinct endangered thresholds are diffed per update. */
  thresholds(): number;
  /** The update counter: memoize per-update work on it. */
  version(): number;
  close(): void;
}

export interface BookHubOptions {
  maxSubscriptions: number;
  maxSubscriptionsPerClient: number;
  maxEndangeredThresholds: number;
  /** How many endangered accounts a new endangered subscriber gets in its first event. */
  endangeredCap: number;
  /**
   * A `system` subscriber gets at most one snapshot per this many ms (the newest; default 1000,
   * 0 = every update). The book updates several times a second; a dashboard needs no more, and
   * each snapshot sent is serialized and written once per subscriber.
   */
  systemPushIntervalMs?: number;
}

/** What the hub needs of the margin domains' view (api/domains/domainView.ts). */
export interface DomainReads {
  version(): number;
  onRead(listener: (version: number) => void): () => void;
}

export function createBookHub(book: RiskBookView, options: BookHubOptions, domains: DomainReads | null = null): BookHub {
  const accountListeners = new Map<Hex, Set<(v: number) => void>>();
  const systemListeners = new Set<(v: number) => void>();
  const tierListeners = new Set<(c: TierChange) => void>();
  const thresholds = new Map<number, Threshold>();
  let open = 0;
  const openPerClient = new Map<string, number>();
  let version = 0;
  let unsubscribeBook: (() => void) | null = null;
  let closed = false;

  const ensureListening = () => {
    if (unsubscribeBook || closed) return;
    unsubscribeBook = book.subscribe(onEvent);
  };

  function onEvent(event: BookEvent): void {
    if (event.type === "endangered") return; // delivered to the threshold's own subscription
    version++;
    if (event.type === "updated") {
      if (event.full) {
        // Everything was re-evaluated: loop over the subscribed accounts, not the whole book.
        for (const set of accountListeners.values()) for (const l of set) l(version);
      } else if (accountListeners.size > 0) {
        for (const address of event.touched) {
          const set = accountListeners.get(address);
          if (set) for (const l of set) l(version);
        }
      }
      if (tierListeners.size > 0) for (const change of event.tierChanges) for (const l of tierListeners) l(change);
    } else {
      // A reorg can change any account: every account subscriber gets a fresh snapshot.
      for (const set of accountListeners.values()) for (const l of set) l(version);
    }
    for (const l of systemListeners) l(version);
  }

  function admit(client: string): () => void {
    if (closed) throw apiError("NOT_READY", "The API is shutting down; reconnect to another replica.");
    if (open >= options.maxSubscriptions) {
      throw apiError("LIMIT_EXCEEDED", `This server already serves ${open} subscriptions (the maximum); try again later or another replica.`, {
        max: options.maxSubscriptions,
      });
    }
    const mine = openPerClient.get(client) ?? 0;
    if (mine >= options.maxSubscriptionsPerClient) {
      throw apiError(
        "LIMIT_EXCEEDED",
        `This client already has ${mine} open subscriptions, the maximum per client; close one (or multiplex several fields over fewer streams) first.`,
        { max: options.maxSubscriptionsPerClient },
      );
    }
    ensureListening();
    open++;
    openPerClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      open--;
      const left = (openPerClient.get(client) ?? 1) - 1;
      if (left <= 0) openPerClient.delete(client);
      else openPerClient.set(client, left);
    };
  }

  /** Snapshot streams keep the newest 32 (the system stream 1: a slow client skips old snapshots); event streams keep 1024. */
  function stream<T>(client: string, register: (push: (v: T) => void) => () => void, initial?: T, buffer = 32): AsyncIterable<T> {
    const release = admit(client);
    return new Repeater<T>(async (push, stop) => {
      try {
        if (initial !== undefined) void push(initial);
        const off = register((v) => void push(v));
        await stop;
        off();
      } finally {
        release();
      }
    }, new SlidingBuffer(buffer));
  }

  return {
    account(address, client) {
      return stream<number>(client, (push) => {
        let set = accountListeners.get(address);
        if (!set) accountListeners.set(address, (set = new Set()));
        set.add(push);
        return () => {
          set!.delete(push);
          if (set!.size === 0) accountListeners.delete(address);
        };
      }, version);
    },
    endangered(maxHealthFactor, client) {
      if (!thresholds.has(maxHealthFactor) && thresholds.size >= options.maxEndangeredThresholds) {
        throw apiError(
          "LIMIT_EXCEEDED",
          `${thresholds.size} distinct maxHealthFactor thresholds are already followed (the maximum); subscribe with one of them (${[...thresholds.keys()].slice(0, 8).join(", ")}) or try again later.`,
          { max: options.maxEndangeredThresholds },
        );
      }
      return stream<EndangeredDiff>(client, (push) => {
        let t = thresholds.get(maxHealthFactor);
        if (!t) {
          const listeners = new Set<(diff: EndangeredDiff) => void>();
          const unsubscribe = book.subscribe(
            (event) => {
              if (event.type !== "endangered" || event.maxHealthFactor !== maxHealthFactor) return;
              const diff = { maxHealthFactor, entered: event.entered, left: event.left };
              for (const l of listeners) l(diff);
            },
            { endangeredMaxHealthFactor: maxHealthFactor },
          );
          t = { listeners, unsubscribe };
          thresholds.set(maxHealthFactor, t);
        }
        // The first event of a new subscriber lists the current set as entered.
        push({ maxHealthFactor, entered: book.endangered(maxHealthFactor, options.endangeredCap), left: [] });
        t.listeners.add(push);
        return () => {
          t!.listeners.delete(push);
          if (t!.listeners.size === 0) {
            t!.unsubscribe();
            thresholds.delete(maxHealthFactor);
          }
        };
      }, undefined, 1024);
    },
    tierChanges(tier, client) {
      return stream<TierChange>(client, (push) => {
        const l = (c: TierChange) => {
          if (tier === null || c.to === tier) push(c);
        };
        tierListeners.add(l);
        return () => tierListeners.delete(l);
      }, undefined, 1024);
    },
    system(client) {
      const interval = options.systemPushIntervalMs ?? 1000;
      return stream<number>(client, (push) => {
        // at most one push per interval: the first at once, later ones at the interval's end with the newest version
        let last = performance.now();
        let timer: ReturnType<typeof setTimeout> | null = null;
        const throttled = (v: number) => {
          if (interval <= 0) return push(v);
          if (timer !== null) return; // a push is scheduled; it sends the newest version then
          const wait = last + interval - performance.now();
          if (wait <= 0) {
            last = performance.now();
            push(v);
            return;
          }
          timer = setTimeout(() => {
            timer = null;
            last = performance.now();
            push(version);
          }, wait);
        };
        systemListeners.add(throttled);
        return () => {
          systemListeners.delete(throttled);
          if (timer !== null) clearTimeout(timer);
        };
      }, version, 1);
    },
    domainReads(client) {
      return stream<number>(client, (push) => (domains === null ? () => {} : domains.onRead(push)), domains?.version() ?? 0, 1);
    },
    size: (client) => (client === undefined ? open : openPerClient.get(client) ?? 0),
    thresholds: () => thresholds.size,
    version: () => version,
    close() {
      closed = true;
      unsubscribeBook?.();
      unsubscribeBook = null;
      for (const t of thresholds.values()) t.unsubscribe();
      thresholds.clear();
    },
  };
}
