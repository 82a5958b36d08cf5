import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { EndangeredRanking, TIER_RANK } from "./ranking.js";
import type { Hex, Tier } from "../../risk/types.js";
import { TIERS } from "../../risk/types.js";

const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Hex;

describe("EndangeredRanking", () => {
  test("boundary: null health factor is not ranked; equal health factors order by address", () => {
    const r = new EndangeredRanking();
    r.set(addr(2), "SAFE", 1.5);
    r.set(addr(1), "SAFE", 1.5);
    r.set(addr(3), "SAFE", null);
    expect(r.top(10, 10).map((e) => e.address)).toEqual([addr(1), addr(2)]);
    r.set(addr(1), "SAFE", null);
    expect(r.top(10, 10).map((e) => e.address)).toEqual([addr(2)]);
  });

  test("property: incremental updates give the same order as sorting everything", () => {
    const op = fc.record({ i: fc.integer({ min: 0, max: 30 }), tier: fc.constantFrom<Tier>(...TIERS), hf: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.double({ min: 0, max: 3, noNaN: true }), (ops, threshold) => {
        const r = new EndangeredRanking();
        const truth = new Map<Hex, { tier: Tier; hf: number | null }>();
        for (const o of ops) {
          r.set(addr(o.i), o.tier, o.hf);
          truth.set(addr(o.i), { tier: o.tier, hf: o.hf });
        }
        const expected = [...truth]
          .filter(([, v]) => v.hf !== null && v.hf < threshold)
          .sort(([a, x], [b, y]) => TIER_RANK[x.tier] - TIER_RANK[y.tier] || x.hf! - y.hf! || (a < b ? -1 : 1))
          .map(([a]) => a);
        expect(r.top(threshold, 1000).map((e) => e.address)).toEqual(expected);
        const rebuilt = new EndangeredRanking();
        rebuilt.reset([...truth].map(([address, v]) => ({ address, tier: v.tier, healthFactor: v.hf })));
        expect(rebuilt.all()).toEqual(r.all());
      }),
    );
  });
});
