import { describe, expect, test } from "vitest";
import { ByteLru } from "./byteLru.js";

const lru = (maxBytes: number, maxEntries = 100) => new ByteLru<string, string>({ maxBytes, maxEntries, sizeOf: (v) => v.length });

describe("ByteLru", () => {
  test("default: keeps entries within the byte budget, dropping the least recently used", () => {
    const c = lru(10);
    c.set("a", "xxxx");
    c.set("b", "xxxx");
    expect(c.get("a")).toBe("xxxx"); // a is now the most recent
    c.set("c", "xxxx"); // 12 bytes > 10: b goes
    expect(c.has("b")).toBe(false);
    expect(c.get("a")).toBe("xxxx");
    expect(c.get("c")).toBe("xxxx");
    expect(c.bytes).toBe(8);
  });

  test("boundary: an entry larger than the whole budget is not stored and evicts nothing", () => {
    const c = lru(10);
    c.set("a", "xxxx");
    c.set("big", "x".repeat(11));
    expect(c.has("big")).toBe(false);
    expect(c.get("a")).toBe("xxxx");
    expect(c.bytes).toBe(4);
  });

  test("behavior: the entry cap holds too, and replacing a key re-counts its bytes", () => {
    const c = lru(1000, 2);
    c.set("a", "1");
    c.set("b", "1");
    c.set("c", "1");
    expect(c.size).toBe(2);
    expect(c.has("a")).toBe(false);
    c.set("c", "12345");
    expect(c.bytes).toBe(6);
    c.delete("c");
    expect(c.bytes).toBe(1);
  });
});
