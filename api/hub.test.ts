/** The hub's fan-out of book updates: the system stream's per-subscriber rate. */
import { describe, expect, test } from "vitest";
import type { BookEvent, RiskBookView } from "./book/types.js";
import { createBookHub } from "./hub.js";

/** A book whose updates the test fires by hand. */
function manualBook() {
  const listeners = new Set<(e: BookEvent) => void>();
  const book = { subscribe: (l: (e: BookEvent) => void) => (listeners.add(l), () => listeners.delete(l)) } as unknown as RiskBookView;
  const update = () => {
    for (const l of listeners) l({ type: "updated", full: false, touched: [], tierChanges: [] } as unknown as BookEvent);
  };
  return { book, update };
}

const options = { maxSubscriptions: 10, maxSubscriptionsPerClient: 10, maxEndangeredThresholds: 4, endangeredCap: 10 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("system stream", () => {
  test("behavior: at most one snapshot per interval, and it is the newest version", async () => {
    const { book, update } = manualBook();
    const hub = createBookHub(book, { ...options, systemPushIntervalMs: 200 });
    const it = hub.system("a")[Symbol.asyncIterator]();
    const got: { v: number; at: number }[] = [];
    const t0 = performance.now();
    const reader = (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        got.push({ v: r.value, at: performance.now() - t0 });
      }
    })();
    await sleep(20);
    // 30 updates over ~600 ms
    for (let i = 0; i < 30; i++) {
      update();
      await sleep(20);
    }
    await sleep(250);
    await it.return?.();
    await reader;
    expect(got[0].v).toBe(0); // the current version at once
    // about one push per 200 ms over 600+ ms, not 30
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < got.length; i++) expect(got[i].at - got[i - 1].at).toBeGreaterThanOrEqual(190);
    // the last push carries the last update
    expect(got.at(-1)!.v).toBe(30);
    expect(hub.size()).toBe(0);
    hub.close();
  });

  test("edge: interval 0 pushes every update", async () => {
    const { book, update } = manualBook();
    const hub = createBookHub(book, { ...options, systemPushIntervalMs: 0 });
    const it = hub.system("a")[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    update();
    expect((await it.next()).value).toBe(1);
    update();
    expect((await it.next()).value).toBe(2);
    await it.return?.();
    hub.close();
  });
});
