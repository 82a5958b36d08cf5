import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { D } from "./decimal.js";
import { DEFAULT_RISK_PARAMS } from "./defaults.js";
import { buildSystemRisk, chainExposures, systemAction, systemTotals, type AccountSummary, type ActionMetrics } from "./systemic.js";
import type { Hex, ScenarioResult, SystemAction } from "./types.js";

const thresholds = DEFAULT_RISK_PARAMS.thresholds; // CR 2 / 1.25, share 10%, hysteresis 20%

function metrics(over: Partial<ActionMetrics> = {}): ActionMetrics {
  return {
    deficiencyUsd: "0",
    insuranceFundUsd: "1000",
    coverageRatio: null,
    liquidatableNotionalUsd: "0",
    collateralUsd: "100000",
    ...over,
  };
}

const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Hex;

function summary(i: number, tier: AccountSummary["tier"], equity: string, collateral = "100", notional = "0"): AccountSummary {
  return { address: addr(i), tier, equityUsd: equity, collateralUsd: collateral, debtUsd: "10", notionalUsd: notional };
}

function result(name: string, deficiency: string, shortfalls: string[] = []): ScenarioResult {
  return {
    scenario: { name, shocks: [] },
    rounds: [],
    deficiencyUsd: new D(deficiency),
    liquidatedVolumeUsd: new D(0),
    shortfallsUsd: shortfalls.map((s, i) => ({ address: addr(100 + i), shortfallUsd: new D(s) })),
  };
}

describe("systemAction: entry edges (no previous action)", () => {
  test("default: nothing at risk → NORMAL", () => {
    expect(systemAction(null, metrics(), thresholds)).toBe("NORMAL");
  });
  test("boundary: CR exactly 2 is NORMAL, just below is RAISE_MARGINS", () => {
    expect(systemAction(null, metrics({ coverageRatio: "2" }), thresholds)).toBe("NORMAL");
    expect(systemAction(null, metrics({ coverageRatio: "1.999999" }), thresholds)).toBe("RAISE_MARGINS");
  });
  test("boundary: CR exactly 1.25 is RAISE_MARGINS, just below is REDUCE_MAX_LEVERAGE", () => {
    expect(systemAction(null, metrics({ coverageRatio: "1.25" }), thresholds)).toBe("RAISE_MARGINS");
    expect(systemAction(null, metrics({ coverageRatio: "1.249999" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
  });
  test("boundary: liquidatable notional exactly 10% of collateral is NORMAL, above is REDUCE_MAX_LEVERAGE", () => {
    expect(systemAction(null, metrics({ liquidatableNotionalUsd: "10000" }), thresholds)).toBe("NORMAL");
    expect(systemAction(null, metrics({ liquidatableNotionalUsd: "10000.01" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
  });
  test("boundary: D0 = B is not HALT, D0 > B is HALT (whatever CR says)", () => {
    expect(systemAction(null, metrics({ deficiencyUsd: "1000", coverageRatio: "1" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
    expect(systemAction(null, metrics({ deficiencyUsd: "1000.000001", coverageRatio: "0.9" }), thresholds)).toBe("HALT");
  });
  test("behavior: an empty fund with any bad debt halts; with none it does not", () => {
    expect(systemAction(null, metrics({ insuranceFundUsd: "0", deficiencyUsd: "0.01", coverageRatio: "0" }), thresholds)).toBe("HALT");
    expect(systemAction(null, metrics({ insuranceFundUsd: "0" }), thresholds)).toBe("NORMAL");
  });
  test("behavior: CR null (no stressed deficiency) never triggers a coverage action", () => {
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: null }), thresholds)).toBe("NORMAL");
  });
});

describe("systemAction: hysteresis (leave only when the trigger clears by 20%)", () => {
  test("behavior: RAISE_MARGINS stays until CR ≥ 2.4", () => {
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: "2.2" }), thresholds)).toBe("RAISE_MARGINS");
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: "2.399999" }), thresholds)).toBe("RAISE_MARGINS");
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: "2.4" }), thresholds)).toBe("NORMAL");
  });
  test("behavior: REDUCE_MAX_LEVERAGE stays until CR ≥ 1.5, then steps to RAISE_MARGINS", () => {
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ coverageRatio: "1.4" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ coverageRatio: "1.5" }), thresholds)).toBe("RAISE_MARGINS");
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ coverageRatio: "3" }), thresholds)).toBe("NORMAL");
  });
  test("behavior: REDUCE_MAX_LEVERAGE on notional stays until the share is ≤ 8%", () => {
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ liquidatableNotionalUsd: "9000" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ liquidatableNotionalUsd: "8000.01" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
    expect(systemAction("REDUCE_MAX_LEVERAGE", metrics({ liquidatableNotionalUsd: "8000" }), thresholds)).toBe("NORMAL");
  });
  test("behavior: HALT stays until D0 ≤ 0.8·B, then steps to what still holds", () => {
    expect(systemAction("HALT", metrics({ deficiencyUsd: "900", coverageRatio: "1.1" }), thresholds)).toBe("HALT");
    expect(systemAction("HALT", metrics({ deficiencyUsd: "800", coverageRatio: "1.1" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
    expect(systemAction("HALT", metrics({ deficiencyUsd: "0", coverageRatio: null }), thresholds)).toBe("NORMAL");
  });
  test("behavior: escalation is immediate", () => {
    expect(systemAction("NORMAL", metrics({ deficiencyUsd: "2000", coverageRatio: "0.5" }), thresholds)).toBe("HALT");
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: "1.2" }), thresholds)).toBe("REDUCE_MAX_LEVERAGE");
  });
  test("behavior: a hysteresis of 0 leaves as soon as the trigger clears", () => {
    const t0 = { ...thresholds, hysteresis: "0" };
    expect(systemAction("RAISE_MARGINS", metrics({ coverageRatio: "2" }), t0)).toBe("NORMAL");
  });

  test("property: CR oscillating across 2 (inside [1.25, 2.4)) after a RAISE_MARGINS never flaps", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1.25, max: 2.3999, noNaN: true }), { minLength: 1, maxLength: 50 }), (crs) => {
        let action: SystemAction = systemAction(null, metrics({ coverageRatio: "1.9" }), thresholds);
        for (const cr of crs) {
          action = systemAction(action, metrics({ coverageRatio: String(cr) }), thresholds);
          if (action !== "RAISE_MARGINS") return false;
        }
        return true;
      }),
    );
  });

  test("property: every change of action is justified by an entry or a cleared trigger", () => {
    const arb = fc.record({
      d0: fc.integer({ min: 0, max: 2000 }),
      cr: fc.option(fc.double({ min: 0.5, max: 3, noNaN: true }), { nil: null }),
      liq: fc.integer({ min: 0, max: 20000 }),
    });
    fc.assert(
      fc.property(fc.array(arb, { minLength: 2, maxLength: 40 }), (steps) => {
        let prev: SystemAction | null = null;
        for (const s of steps) {
          const m = metrics({ deficiencyUsd: String(s.d0), coverageRatio: s.cr === null ? null : String(s.cr), liquidatableNotionalUsd: String(s.liq) });
          const next = systemAction(prev, m, thresholds);
          const entry = systemAction(null, m, thresholds);
          // never below what entry alone demands, never above the previous state unless entry demands it
          const level = { NORMAL: 0, RAISE_MARGINS: 1, REDUCE_MAX_LEVERAGE: 2, HALT: 3 };
          if (level[next] < level[entry]) return false;
          if (prev !== null && level[next] > Math.max(level[prev], level[entry])) return false;
          // the same metrics twice in a row never change the action (a fixed point: no flapping)
          if (systemAction(next, m, thresholds) !== next) return false;
          prev = next;
        }
        return true;
      }),
    );
  });
});

describe("systemTotals", () => {
  test("default: sums, D0, tiers, liquidatable notional, largest shortfalls", () => {
    const totals = systemTotals([
      summary(1, "SAFE", "100", "150", "500"),
      summary(2, "INSOLVENT", "-30", "20", "300"),
      summary(3, "LIQUIDATABLE", "5", "40", "100"),
      summary(4, "INSOLVENT", "-5.5", "10", "0"),
      summary(5, "INSOLVENT", "-30", "1", "0"),
    ]);
    expect(totals.collateralUsd.toString()).toBe("221");
    expect(totals.debtUsd.toString()).toBe("50");
    expect(totals.openInterestUsd.toString()).toBe("900");
    expect(totals.deficiencyUsd.toString()).toBe("65.5");
    expect(totals.liquidatableNotionalUsd.toString()).toBe(String(20 + 300 + 40 + 100 + 10 + 1));
    expect(totals.accountsPerTier).toEqual({ SAFE: 1, MARGIN_CALL: 0, LIQUIDATABLE: 1, INSOLVENT: 3 });
    // equal shortfalls: the smaller address first
    expect(totals.largestShortfalls.map((s) => [s.address, s.shortfallUsd.toString()])).toEqual([
      [addr(2), "30"],
      [addr(5), "30"],
    ]);
  });
  test("behavior: no accounts", () => {
    const totals = systemTotals([]);
    expect(totals.deficiencyUsd.isZero()).toBe(true);
    expect(totals.largestShortfalls).toEqual([]);
  });
});

describe("buildSystemRisk", () => {
  const base = systemTotals([summary(1, "SAFE", "100", "1000"), summary(2, "INSOLVENT", "-10", "5")]);

  test("default: the worst scenario sets CR and Cover-1/Cover-2", () => {
    const risk = buildSystemRisk({
      totals: base,
      insuranceFundUsd: "50",
      stress: [result("a", "20", ["15", "5"]), result("b", "40", ["25", "10", "5"]), result("c", "40", ["40"])],
      previousAction: null,
      thresholds,
    });
    expect(risk.worstScenario).toBe("b"); // first of the tied worst
    expect(risk.worstDeficiencyUsd.toString()).toBe("40");
    expect(risk.coverageRatio?.toString()).toBe("1.25");
    expect(risk.cover1Usd.toString()).toBe("25");
    expect(risk.cover2Usd.toString()).toBe("35");
    expect(risk.deficiencyUsd.toString()).toBe("10");
    expect(risk.action).toBe("RAISE_MARGINS");
    expect(risk.accountsPerTier.INSOLVENT).toBe(1);
  });
  test("behavior: no scenario worse than now: worstScenario null, CR from D0, covers from now", () => {
    const risk = buildSystemRisk({ totals: base, insuranceFundUsd: "5", stress: [result("a", "3")], previousAction: null, thresholds });
    expect(risk.worstScenario).toBeNull();
    expect(risk.coverageRatio?.toString()).toBe("0.5");
    expect(risk.cover1Usd.toString()).toBe("10");
    expect(risk.cover2Usd.toString()).toBe("10");
    expect(risk.action).toBe("HALT");
  });
  test("behavior: no deficiency anywhere: CR null and NORMAL", () => {
    const totals = systemTotals([summary(1, "SAFE", "100")]);
    const risk = buildSystemRisk({ totals, insuranceFundUsd: "0", stress: [result("a", "0")], previousAction: "RAISE_MARGINS", thresholds });
    expect(risk.coverageRatio).toBeNull();
    expect(risk.worstScenario).toBeNull();
    expect(risk.action).toBe("NORMAL");
  });
});

describe("systemTotals: float inputs (screens)", () => {
  test("behavior: compensated float sums equal the exact sums of the same values", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({ c: 0.1 * (i + 1), e: i % 7 === 0 ? -0.3 * i : 1e6 + 0.01 * i }));
    const asNumbers = systemTotals(
      values.map((v, i) => ({ address: addr(i), tier: v.e < 0 ? ("INSOLVENT" as const) : ("SAFE" as const), equityUsd: v.e, collateralUsd: v.c, debtUsd: 0.2, notionalUsd: 1e9 + 0.1 })),
    );
    const asStrings = systemTotals(
      values.map((v, i) => ({ address: addr(i), tier: v.e < 0 ? ("INSOLVENT" as const) : ("SAFE" as const), equityUsd: String(v.e), collateralUsd: String(v.c), debtUsd: "0.2", notionalUsd: String(1e9 + 0.1) })),
    );
    for (const key of ["collateralUsd", "debtUsd", "openInterestUsd", "deficiencyUsd", "liquidatableNotionalUsd"] as const) {
      const diff = asNumbers[key].minus(asStrings[key]).abs();
      expect(diff.lte(asStrings[key].abs().times(1e-15).plus(1e-9))).toBe(true);
    }
    expect(asNumbers.largestShortfalls.map((s) => s.shortfallUsd.toString())).toEqual(asStrings.largestShortfalls.map((s) => s.shortfallUsd.toString()));
    expect(asNumbers.deficiencyUsd.gt(0)).toBe(true);
  });
  test("behavior: a non-finite float is refused", () => {
    expect(() => systemTotals([summary(1, "SAFE", "1", "1")].map((s) => ({ ...s, collateralUsd: Number.NaN })))).toThrow(/finite/);
  });
});

describe("chainExposures", () => {
  const eth = (n: bigint) => n * 10n ** 18n;
  const usdc = (n: bigint) => n * 10n ** 6n;
  test("default: 2 ETH collateral and 1,000 USDC debt on a chain, ETH at 2,000 → 3,000; an empty chain → 0", () => {
    const out = chainExposures(
      [{ address: "0x01", collateral: [{ chainId: 1, asset: "ETH", amountRaw: eth(2n), decimals: 18 }], debt: [{ chainId: 1, asset: "USDC", amountRaw: usdc(1000n), decimals: 6 }], positions: [] }],
      { ETH: D(2000), USDC: D(1) },
      [1, 2],
    );
    expect(out.map((e) => [e.chainId, e.exposureUsd?.toString()])).toEqual([[1, "3000"], [2, "0"]]);
  });
  test("behavior: an asset held without a mark makes its chain's exposure null and is named", () => {
    const out = chainExposures(
      [{ address: "0x01", collateral: [{ chainId: 1, asset: "SOL", amountRaw: 5n, decimals: 9 }], debt: [], positions: [] }],
      { SOL: null },
      [1],
    );
    expect(out[0]).toEqual({ chainId: 1, exposureUsd: null, unpricedAssets: ["SOL"] });
  });
  // amounts below 2^100: every product stays inside the 50 digits, so both sides are exact
  test("property: equals the sum over accounts and items of ±amount·price, exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ chain: fc.constantFrom(1, 2, 3), asset: fc.constantFrom("ETH", "USDC"), amount: fc.bigInt({ min: 0n, max: 2n ** 100n }), debt: fc.boolean() }), { maxLength: 40 }),
        (items) => {
          const decimals = { ETH: 18, USDC: 6 } as const;
          const price = { ETH: D("1234.5678"), USDC: D("0.9999") };
          const accounts = items.map((it, i) => ({
            address: `0x${i}` as Hex,
            collateral: it.debt ? [] : [{ chainId: it.chain, asset: it.asset, amountRaw: it.amount, decimals: decimals[it.asset] }],
            debt: it.debt ? [{ chainId: it.chain, asset: it.asset, amountRaw: it.amount, decimals: decimals[it.asset] }] : [],
            positions: [],
          }));
          const out = chainExposures(accounts, price, [1, 2, 3]);
          for (const e of out) {
            let expected = D(0);
            for (const it of items) {
              if (it.chain !== e.chainId) continue;
              const v = D(it.amount.toString()).div(D(10).pow(decimals[it.asset])).times(price[it.asset]);
              expected = it.debt ? expected.minus(v) : expected.plus(v);
            }
            expect(e.exposureUsd!.eq(expected)).toBe(true);
          }
        },
      ),
    );
  });
});
