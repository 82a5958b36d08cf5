import { describe, expect, test } from "vitest";
import type { LiquidationCurve } from "../../risk/liquidationCurve.js";
import { CurveCache } from "./curveCache.js";

const request = { asset: "ETH", maxShockPct: "0.6", steps: 12 };
const curve = (n: number) => ({ asset: "ETH", points: [], steps: n }) as unknown as LiquidationCurve;

describe("CurveCache", () => {
  test("default: one computation per version and environment; a new version recomputes", () => {
    const cache = new CurveCache<number>();
    let computed = 0;
    const compute = () => ({ curve: curve(++computed), stamp: computed });
    const env = {};
    expect(cache.get(1, env, request, compute).stamp).toBe(1);
    expect(cache.get(1, env, request, compute).stamp).toBe(1);
    expect(cache.get(2, env, request, compute).stamp).toBe(2);
    expect(cache.get(2, {}, request, compute).stamp).toBe(3);
  });

  test("behavior: with maxAgeMs a younger curve answers a newer version, with the stamp it was computed at; an older one is recomputed", () => {
    let now = 0;
    const cache = new CurveCache<string>(64, 5000, () => now);
    let computed = 0;
    const compute = () => ({ curve: curve(++computed), stamp: `v${computed}` });
    expect(cache.get(1, {}, request, compute).stamp).toBe("v1");
    now = 4999;
    expect(cache.get(7, {}, request, compute).stamp).toBe("v1");
    now = 5000;
    expect(cache.get(8, {}, request, compute).stamp).toBe("v2");
    // another request shape is its own entry
    expect(cache.get(8, {}, { ...request, steps: 6 }, compute).stamp).toBe("v3");
  });
});
