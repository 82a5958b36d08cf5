import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { haircut, haircutPair, liabilityMarkup } from "./haircut.js";

const Y = 31_536_000;

describe("haircut", () => {
  test("default: the model's examples (σ 70%, z 2.326): 20 min → 1.0%, 1 h → 1.7%, 24 h → 8.2%", () => {
    // independent float evaluation of 1 − exp(−zσ√(T/Y))
    for (const [T, pct] of [[1200, 1.0], [3600, 1.7], [86_400, 8.2]] as const) {
      const h = haircut("0.7", "2.326", T, Y);
      expect(h.toNumber()).toBeCloseTo(1 - Math.exp(-2.326 * 0.7 * Math.sqrt(T / Y)), 14);
      expect(h.times(100).toDecimalPlaces(1).toNumber()).toBe(pct);
    }
  });
  test("boundary: zero horizon, zero σ, zero z → exactly 0", () => {
    expect(haircut("0.7", "2.326", 0, Y).isZero()).toBe(true);
    expect(haircut(0, "2.326", 3600, Y).isZero()).toBe(true);
    expect(haircut("0.7", 0, 3600, Y).isZero()).toBe(true);
    expect(liabilityMarkup("0.7", "2.326", 0, Y).isZero()).toBe(true);
  });
  test("boundary: negative inputs are rejected with what is expected", () => {
    expect(() => haircut("-0.1", "2.326", 10, Y)).toThrow(/σ ≥ 0/);
    expect(() => haircut("0.1", "2.326", -10, Y)).toThrow(/horizon ≥ 0/);
    expect(() => haircut("0.1", "2.326", 10, 0)).toThrow(/year > 0/);
  });
  test("behavior: extreme horizon stays in [0, 1)", () => {
    const h = haircut("5", "2.576", 10 * Y, Y);
    expect(h.lt(1)).toBe(true);
    expect(h.gt(0.99)).toBe(true);
  });
  test("property: never falls as latency or volatility rises", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 10 * 86_400 }),
        fc.integer({ min: 0, max: 10 * 86_400 }),
        (s1, s2, t1, t2) => {
          const [sLo, sHi] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const [tLo, tHi] = t1 <= t2 ? [t1, t2] : [t2, t1];
          const base = haircut(sLo, "2.326", tLo, Y);
          expect(haircut(sHi, "2.326", tLo, Y).gte(base)).toBe(true);
          expect(haircut(sLo, "2.326", tHi, Y).gte(base)).toBe(true);
          expect(liabilityMarkup(sHi, "2.326", tHi, Y).gte(liabilityMarkup(sLo, "2.326", tLo, Y))).toBe(true);
        },
      ),
    );
  });
  test("property: debt mark-up u = h/(1−h) ≥ h (upper quantile)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 2, noNaN: true }), fc.integer({ min: 1, max: 30 * 86_400 }), (s, t) => {
        const h = haircut(s, "2.326", t, Y);
        const u = liabilityMarkup(s, "2.326", t, Y);
        expect(u.gte(h)).toBe(true);
        expect(u.minus(h.div(h.neg().plus(1))).abs().lt("1e-40")).toBe(true);
      }),
    );
  });
});

describe("haircutPair", () => {
  test("equals haircut() exactly and liabilityMarkup() to 1e-45; cached calls return the same values", () => {
    for (const [s, t] of [["0.7", 1200], ["0.02", 900], ["1.5", 86_400], ["0.45", 0]] as const) {
      const p = haircutPair(s, "2.326", t, Y);
      expect(p.haircut.eq(haircut(s, "2.326", t, Y))).toBe(true);
      expect(p.markup.minus(liabilityMarkup(s, "2.326", t, Y)).abs().lt("1e-45")).toBe(true);
      expect(haircutPair(s, "2.326", t, Y)).toEqual(p);
    }
  });
});
