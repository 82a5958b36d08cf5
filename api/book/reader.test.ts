import { describe, expect, test } from "vitest";
import { createSqlReader, decodeCheckpoint } from "./reader.js";

describe("decodeCheckpoint", () => {
  test("default: Ponder's layout (timestamp 10, chain 16, block 16, tx 16, type 1, index 16)", () => {
    const cp = "1750000060" + "1337001".padStart(16, "0") + "42".padStart(16, "0") + "3".padStart(16, "0") + "5" + "7".padStart(16, "0");
    expect(decodeCheckpoint(cp)).toEqual({ blockTimestamp: 1750000060, chainId: 1337001, blockNumber: 42n });
  });
  test("behavior: anything else is a clear error", () => {
    expect(() => decodeCheckpoint("123")).toThrow(/Expected 75 digits/);
  });
});

describe("createSqlReader", () => {
  test("behavior: schema names are checked (they are spliced into the SQL text)", () => {
    const run = async () => [];
    expect(() => createSqlReader(run, { schema: 'x"; DROP TABLE ledger; --' })).toThrow(/Invalid store schema name/);
    expect(() => createSqlReader(run, { schema: "xmargin_test-1" })).not.toThrow();
  });
  test("behavior: queries are parameterized and tables schema-qualified", async () => {
    const seen: { text: string; params: readonly unknown[] }[] = [];
    const reader = createSqlReader(async (text, params) => {
      seen.push({ text, params });
      return [];
    }, { schema: "s1" });
    await reader.ledgerAfter([{ chainId: 1, blockNumber: 10n, logIndex: 2 }], 50);
    expect(seen[0].text).toContain(`FROM "s1"."ledger"`);
    expect(seen[0].params).toEqual([1, 10n, 2, [1], 50]);
    await reader.accountRows(["0xABC" as `0x${string}`]);
    expect(seen[1].params).toEqual([["0xabc"]]);
  });
});
