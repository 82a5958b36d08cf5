import { describe, expect, it } from "vitest";
import { createRng } from "./random.js";

describe("createRng", () => {
  it("default: same seed gives the same stream, another seed another", () => {
    const a = createRng(1);
    const b = createRng(1);
    const c = createRng(2);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });

  it("behavior: next() stays in [0, 1) and int(n) in [0, n)", () => {
    const r = createRng(3);
    for (let i = 0; i < 10_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const k = r.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });

  it("behavior: normal() has mean ≈ 0 and variance ≈ 1", () => {
    const r = createRng(4);
    const n = 50_000;
    const xs = Array.from({ length: n }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it("behavior: weighted() follows the weights and never picks a zero weight", () => {
    const r = createRng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[r.weighted([1, 0, 3])]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.7);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.3);
    expect(() => r.weighted([0, 0])).toThrow(RangeError);
  });

  it("behavior: fork() streams are independent of each other and deterministic", () => {
    const x = createRng(9).fork("prices").next();
    expect(createRng(9).fork("prices").next()).toBe(x);
    expect(createRng(9).fork("actions").next()).not.toBe(x);
  });
});
