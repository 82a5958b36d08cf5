import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { EndangeredRanking, RankingKeyError, TIER_RANK } from "./ranking.js";
import type { Hex, Tier } from "../../risk/types.js";
import { TIERS } from "../../risk/types.js";

const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Hex;

type Truth = Map<Hex, { tier: Tier; hf: number }>;

/** The order the ranking must have: a plain sort of everything (tier, hf, address). */
function expectedOrder(truth: Truth, threshold?: number): { address: Hex; tier: Tier; healthFactor: number }[] {
  return [...truth]
    .filter(([, v]) => threshold === undefined || v.hf < threshold)
    .sort(([a, x], [b, y]) => TIER_RANK[x.tier] - TIER_RANK[y.tier] || (x.hf !== y.hf ? (x.hf < y.hf ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0))
    .map(([address, v]) => ({ address, tier: v.tier, healthFactor: v.hf }));
}

/** Health factors that stress the packed keys: equal, ±0, negative, infinite, one ulp apart. */
const healthFactor = fc.oneof(
  fc.double({ min: 0, max: 3, noNaN: true }),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1, Infinity, -Infinity, 1 + 2 ** -52, 1 - 2 ** -53, 5e-324, 1.1),
  fc.integer({ min: 0, max: 8 }).map((k) => 0.95 * (1 + k * 2 ** -50)),
);

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

  test("boundary: an account whose health factor goes from +0 to −0 reports −0 (the last value set)", () => {
    const r = new EndangeredRanking();
    r.set(addr(1), "SAFE", 0);
    r.set(addr(1), "SAFE", -0);
    expect(Object.is(r.get(addr(1))!.healthFactor, -0)).toBe(true);
    expect(Object.is(r.all()[0]!.healthFactor, -0)).toBe(true);
  });

  test("boundary: −0 equals +0 (address order), one ulp apart is ordered, negative and infinite values sort numerically", () => {
    const r = new EndangeredRanking();
    r.reset([
      { address: addr(5), tier: "SAFE", healthFactor: 0 },
      { address: addr(4), tier: "SAFE", healthFactor: -0 },
      { address: addr(3), tier: "SAFE", healthFactor: 1 + 2 ** -52 },
      { address: addr(2), tier: "SAFE", healthFactor: 1 },
      { address: addr(1), tier: "SAFE", healthFactor: Infinity },
      { address: addr(6), tier: "SAFE", healthFactor: -2.5 },
      { address: addr(7), tier: "INSOLVENT", healthFactor: 7 },
    ]);
    expect(r.all().map((e) => e.address)).toEqual([addr(7), addr(6), addr(4), addr(5), addr(2), addr(3), addr(1)]);
    // the threshold applies in every tier: the insolvent account's 7 is above it
    expect(r.top(1 + 2 ** -52, 10).map((e) => e.address)).toEqual([addr(6), addr(4), addr(5), addr(2)]);
    expect(r.top(Infinity, 3).map((e) => e.address)).toEqual([addr(7), addr(6), addr(4)]);
  });

  test("property: incremental updates give the same order as sorting everything", () => {
    const op = fc.record({ i: fc.integer({ min: 0, max: 30 }), tier: fc.constantFrom<Tier>(...TIERS), hf: fc.option(healthFactor, { nil: null }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.double({ min: 0, max: 3, noNaN: true }), (ops, threshold) => {
        const r = new EndangeredRanking();
        const truth: Truth = new Map();
        for (const o of ops) {
          r.set(addr(o.i), o.tier, o.hf);
          if (o.hf === null) truth.delete(addr(o.i));
          else truth.set(addr(o.i), { tier: o.tier, hf: o.hf });
        }
        expect(r.top(threshold, 1000).map((e) => e.address)).toEqual(expectedOrder(truth, threshold).map((e) => e.address));
        const rebuilt = new EndangeredRanking();
        rebuilt.reset([...truth].map(([address, v]) => ({ address, tier: v.tier, healthFactor: v.hf })));
        expect(rebuilt.all()).toEqual(r.all());
        expect(r.size).toBe(truth.size);
      }),
    );
  });

  for (const keyedBySlot of [false, true]) {
    test(`property (${keyedBySlot ? "slots" : "addresses"}): reads between batches of every size (single splices, chunk splits, full rebuilds) see the sorted order`, () => {
      // 3000 accounts: more than two chunks, so inserts split chunks and batches cross the rebuild threshold
      const n = 3000;
      const batch = fc.record({
        // small batches take the splice path, large ones the rebuild
        changes: fc.array(fc.record({ i: fc.integer({ min: 0, max: n - 1 }), tier: fc.constantFrom<Tier>(...TIERS), hf: fc.option(healthFactor, { nil: null }) }), { maxLength: 400 }),
        read: fc.constantFrom("top", "all", "flush", "none"),
        threshold: fc.double({ min: 0, max: 3, noNaN: true }),
        first: fc.integer({ min: 1, max: 50 }),
      });
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1e9 }), fc.array(batch, { minLength: 1, maxLength: 8 }), (seed, batches) => {
          const r = new EndangeredRanking();
          const truth: Truth = new Map();
          const slot = (i: number) => (keyedBySlot ? i : undefined);
          const initial = Array.from({ length: n }, (_, i) => ({ address: addr(i), tier: TIERS[(seed + i) % 4], healthFactor: ((seed * (i + 1)) % 977) / 311, slot: slot(i) }));
          r.reset(initial);
          for (const e of initial) truth.set(e.address, { tier: e.tier, hf: e.healthFactor });
          for (const b of batches) {
            for (const c of b.changes) {
              r.set(addr(c.i), c.tier, c.hf, slot(c.i));
              if (c.hf === null) truth.delete(addr(c.i));
              else truth.set(addr(c.i), { tier: c.tier, hf: c.hf });
            }
            if (b.read === "top") expect(r.top(b.threshold, b.first)).toEqual(expectedOrder(truth, b.threshold).slice(0, b.first));
            else if (b.read === "all") expect(r.all()).toEqual(expectedOrder(truth));
            else if (b.read === "flush") r.flush();
            expect(r.size).toBe(truth.size);
          }
          expect(r.all()).toEqual(expectedOrder(truth));
          const probe = addr(batches[0].changes[0]?.i ?? 0);
          const known = truth.get(probe);
          expect(r.has(probe)).toBe(known !== undefined);
          expect(r.get(probe)).toEqual(known === undefined ? undefined : { address: probe, tier: known.tier, healthFactor: known.hf });
        }),
        { numRuns: 25 },
      );
    });
  }

  test("behavior: grown one insert at a time (chunks split) and emptied one removal at a time (chunks dropped)", () => {
    fc.assert(
      fc.property(fc.array(healthFactor, { minLength: 5000, maxLength: 5000 }), (hfs) => {
        const r = new EndangeredRanking();
        const truth: Truth = new Map();
        hfs.forEach((hf, i) => {
          const tier = TIERS[i % 4];
          r.set(addr(i), tier, hf);
          r.flush(); // one pending change: the splice path, never a rebuild
          truth.set(addr(i), { tier, hf });
          if (i % 1000 === 999) expect(r.top(1, 20)).toEqual(expectedOrder(truth, 1).slice(0, 20));
        });
        expect(r.all()).toEqual(expectedOrder(truth));
        for (let i = 0; i < hfs.length; i += 2) {
          r.remove(addr(i));
          r.flush();
          truth.delete(addr(i));
        }
        expect(r.all()).toEqual(expectedOrder(truth));
        for (let i = 1; i < hfs.length; i += 2) {
          r.set(addr(i), "SAFE", null);
          r.flush();
        }
        expect(r.all()).toEqual([]);
        expect(r.size).toBe(0);
      }),
      { numRuns: 3 },
    );
  });

  test("behavior: a slot given to another address drops the old address first", () => {
    const r = new EndangeredRanking();
    r.set(addr(1), "SAFE", 1.2, 0);
    r.set(addr(2), "MARGIN_CALL", 1.05, 1);
    expect(r.all().map((e) => e.address)).toEqual([addr(2), addr(1)]);
    r.set(addr(3), "SAFE", 1.3, 0);
    expect(r.all().map((e) => e.address)).toEqual([addr(2), addr(3)]);
    expect(r.has(addr(1))).toBe(false);
    expect(r.get(addr(3))).toEqual({ address: addr(3), tier: "SAFE", healthFactor: 1.3 });
    r.remove(addr(2));
    expect(r.all().map((e) => e.address)).toEqual([addr(3)]);
    r.set(addr(2), "LIQUIDATABLE", 0.9, 1);
    expect(r.top(1, 10).map((e) => e.address)).toEqual([addr(2)]);
    expect(r.size).toBe(2);
  });

  test("boundary: mixing calls with and without a slot is refused until the next reset", () => {
    const r = new EndangeredRanking();
    r.set(addr(1), "SAFE", 1.2, 0);
    expect(() => r.set(addr(2), "SAFE", 1.2)).toThrow(RankingKeyError);
    expect(() => r.set(addr(2), "SAFE", 1.2)).toThrow(/pass a slot on every call since the last reset, or on none/);
    r.reset([{ address: addr(2), tier: "SAFE", healthFactor: 1.2 }]);
    expect(() => r.set(addr(3), "SAFE", 1.1, 3)).toThrow(RankingKeyError);
    r.set(addr(3), "SAFE", 1.1);
    expect(r.all().map((e) => e.address)).toEqual([addr(3), addr(2)]);
  });
});
