import { describe, expect, it } from "vitest";
import { compareStore } from "./compare.js";
import type { GroundTruth } from "./groundTruth.js";

function truth(): GroundTruth {
  return {
    heads: { l1: 10 },
    events: {},
    tables: {
      collateral: {
        key: ["chainId", "account", "token"],
        mode: "exact",
        rows: [
          { chainId: "1", account: "0xa", token: "0xt", amountRaw: "5" },
          { chainId: "1", account: "0xb", token: "0xt", amountRaw: "0" },
        ],
      },
      cash: {
        key: ["chainId", "account"],
        mode: "superset",
        required: new Set(["1|0xa"]),
        rows: [
          { chainId: "1", account: "0xa", amountRaw: "-3" },
          { chainId: "1", account: "0xb", amountRaw: "0" },
        ],
      },
    },
  };
}

describe("compareStore", () => {
  it("default: equal store → no mismatch; extra store columns are ignored", () => {
    const store = {
      collateral: [
        { chainId: "1", account: "0xa", token: "0xt", amountRaw: "5", updatedBlock: "9" },
        { chainId: "1", account: "0xb", token: "0xt", amountRaw: "0", updatedBlock: "9" },
      ],
      cash: [{ chainId: "1", account: "0xa", amountRaw: "-3" }],
    };
    expect(compareStore(truth(), store)).toEqual([]);
  });

  it("behavior: missing, unexpected, different and duplicate rows are each reported", () => {
    const store = {
      collateral: [
        { chainId: "1", account: "0xa", token: "0xt", amountRaw: "6" },
        { chainId: "1", account: "0xa", token: "0xt", amountRaw: "6" },
        { chainId: "1", account: "0xc", token: "0xt", amountRaw: "1" },
      ],
      cash: [{ chainId: "1", account: "0xb", amountRaw: "0" }],
    };
    const out = compareStore(truth(), store);
    expect(out).toContain("collateral: 1 duplicate keys over (chainId, account, token)");
    expect(out).toContain("collateral: missing row 1|0xb|0xt");
    expect(out).toContain("collateral: unexpected row 1|0xc|0xt");
    expect(out).toContain("collateral: 1|0xa|0xt amountRaw: store 6 ≠ chain 5");
    expect(out).toContain("cash: missing row 1|0xa"); // required in superset mode
    expect(out.some((l) => l.includes("cash: 1|0xb"))).toBe(false); // optional row, right value
  });

  it("behavior: a predicted column the store lacks is reported; skipTables/skipColumns leave things out", () => {
    const store = {
      collateral: [
        { chainId: "1", account: "0xa", token: "0xt" },
        { chainId: "1", account: "0xb", token: "0xt" },
      ],
      cash: [],
    };
    expect(compareStore(truth(), store)).toContain("collateral: column amountRaw absent from the store");
    expect(compareStore(truth(), store, { skipTables: ["cash"], skipColumns: { collateral: ["amountRaw"] } })).toEqual([]);
  });

  it("boundary: max uint256 and negative values compare as exact decimal strings", () => {
    const max = (2n ** 256n - 1n).toString();
    const t = truth();
    t.tables.collateral!.rows[0]!.amountRaw = max;
    const store = {
      collateral: [
        { chainId: "1", account: "0xa", token: "0xt", amountRaw: (2n ** 256n - 2n).toString() },
        { chainId: "1", account: "0xb", token: "0xt", amountRaw: "0" },
      ],
      cash: [{ chainId: "1", account: "0xa", amountRaw: "-3" }],
    };
    expect(compareStore(t, store)).toEqual([`collateral: 1|0xa|0xt amountRaw: store ${2n ** 256n - 2n} ≠ chain ${max}`]);
  });
});
