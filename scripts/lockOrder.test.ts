/**
 * package-lock.json stays in npm's own order, so `npm install` on a fresh clone (the README's first
 * command) leaves it untouched; scripts/lock-platform-entries.mjs must keep writing that order.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8")) as { packages: Record<string, Record<string, unknown>> };

test("behavior: package entries are sorted by path, root first, as npm writes them", () => {
  const keys = Object.keys(lock.packages);
  const sorted = [...keys].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b, "en")));
  expect(keys).toEqual(sorted);
});

test("behavior: the added platform entries (no integrity) list version first, then their fields alphabetically", () => {
  const added = Object.entries(lock.packages).filter(([k, v]) => k !== "" && v.optional === true && v.integrity === undefined && Array.isArray(v.os));
  expect(added.length).toBeGreaterThan(0);
  for (const [, entry] of added) {
    const [first, ...rest] = Object.keys(entry);
    expect(first).toBe("version");
    expect(rest).toEqual([...rest].sort());
  }
});
