import { describe, expect, test } from "vitest";
import { createRiskBook } from "./book/book.js";
import { createMemoryReader } from "./book/memoryReader.js";
import type { StoreReader } from "./book/reader.js";
import type { BookEvent } from "./book/types.js";
import { createLazyBook } from "./lazyBook.js";
import { address, createWorld, standardScene } from "./testing/fixture.js";

/** A reader whose first `failures` checkpoint reads fail, like a store whose tables are not created yet. */
function flakyReader(inner: StoreReader, failures: number): StoreReader {
  let left = failures;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "checkpoints" && left > 0) {
        return async () => {
          left--;
          throw new Error('relation "_ponder_checkpoint" does not exist');
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe("createLazyBook", () => {
  test("default: NOT_READY until a book loads; a failed first load is retried with a fresh book", async () => {
    const world = createWorld();
    standardScene(world);
    const reader = flakyReader(createMemoryReader(world.store), 1);
    const errors: number[] = [];
    let created = 0;
    const lazy = createLazyBook({
      create: () => {
        created++;
        return createRiskBook({ reader, config: world.config, clock: () => world.nowMs, pollIntervalMs: 60_000 });
      },
      retryMs: 10,
      onError: (_e, attempt) => void errors.push(attempt),
    });
    try {
      expect(() => lazy.system()).toThrow(expect.objectContaining({ code: "BOOK_NOT_READY" }));
      const events: BookEvent[] = [];
      lazy.subscribe((e) => void events.push(e)); // subscribed before any book exists
      await lazy.loaded;
      expect(errors).toEqual([1]);
      expect(created).toBe(2);
      expect(lazy.account(address(1))?.tier).toBe("SAFE");
      expect(lazy.stats().accounts).toBe(4);

      // The early subscription was carried over to the book that loaded.
      world.advance(30);
      world.price("ETH", 1700);
      await (lazy.current() as unknown as { sync(): Promise<void> }).sync();
      expect(events.some((e) => e.type === "updated")).toBe(true);
    } finally {
      await lazy.close();
    }
  });

  test("behavior: no book is created while whenReady answers false (NOT_READY); it loads once ready", async () => {
    const world = createWorld();
    standardScene(world);
    let ready = false;
    let asked = 0;
    let created = 0;
    const lazy = createLazyBook({
      whenReady: async () => {
        asked++;
        return ready;
      },
      create: () => {
        created++;
        return createRiskBook({ reader: createMemoryReader(world.store), config: world.config, clock: () => world.nowMs, pollIntervalMs: 60_000 });
      },
      retryMs: 5,
    });
    try {
      const deadline = Date.now() + 5000;
      while (asked < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(asked).toBeGreaterThanOrEqual(3);
      expect(created).toBe(0);
      expect(() => lazy.account(address(1))).toThrow(expect.objectContaining({ code: "BOOK_NOT_READY", message: expect.stringMatching(/backfill/) }));
      ready = true;
      await lazy.loaded;
      expect(created).toBe(1);
      expect(lazy.account(address(1))?.tier).toBe("SAFE");
    } finally {
      await lazy.close();
    }
  });
});
