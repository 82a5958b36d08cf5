import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileBook } from "../compiled.js";
import { D, ZERO } from "../decimal.js";
import { defaultScenarios } from "../scenarios.js";
import { runScenarios } from "../stress.js";
import { CHAIN_L1, CHAIN_L2A, envInput, generateAccounts, testConfig } from "../testing.js";
import { aaveAccountRule } from "./aaveRule.js";
import { aaveAccountSnapshot, snapshotAccountData, withPrice } from "./aaveSnapshot.js";
import { runAaveScenario, runDomainScenarios, type AaveStressMarket } from "./aaveStress.js";
import { addr, ALICE, BOB, GOLDEN_TIMESTAMP, goldenMarket, market, plainReserves, USDC, WBTC, WETH } from "./testing.js";

const symbols = new Map([
  [USDC, "USDC"],
  [WETH, "ETH"],
  [WBTC, "BTC"],
]);
const config = testConfig(); // κ 0.5, depth 50M USD for every asset; USDC in the stable group
const goldenStressMarket = (chainId = CHAIN_L1): AaveStressMarket => {
  const s = goldenMarket();
  return { chainId, pool: addr(0x9001), symbols, baseCurrencyUnit: 100_000_000n, accounts: [aaveAccountSnapshot(s, ALICE, GOLDEN_TIMESTAMP), aaveAccountSnapshot(s, BOB, GOLDEN_TIMESTAMP)] };
};

describe("runAaveScenario", () => {
  // ETH +150% → WETH 5000: alice's HF 0.884 ≤ 0.95, close factor 100%. Her best call seizes all
  // 1 WBTC (7.0144 WETH × 5000 × 1.065 > 30,000) and repays percentDiv(30,000 USD / 5000, 1.065)
  // = 5.633802816901408451 WETH = 28,169.01 USD (aaveAccountRule golden); fee 0.00610329 WBTC =
  // 183.10 USD. The liquidator sells 0.99389671 WBTC: V = 29,816.90 USD at today's 30,000,
  // impact = 0.5·√(29,816.90 / 5e7) = 0.01221002. After it HF = 1.23: no second call, no round 2.
  test("golden: a shock liquidates by Aave's rule, the sold collateral moves its price", () => {
    const r = runAaveScenario([goldenStressMarket()], config, { name: "eth+150", shocks: [{ asset: "ETH", pct: "1.5" }] });
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0]).toMatchObject({ round: 1, liquidationCalls: 1, liquidatedAccounts: 1 });
    expect(r.rounds[0].debtRepaidUsd.toString()).toBe("28169.0140845");
    expect(r.rounds[0].collateralSeizedUsd.toString()).toBe("30000");
    expect(r.rounds[0].protocolFeeUsd.toString()).toBe("183.0987");
    expect(r.rounds[0].priceImpact.BTC.toFixed(8)).toBe("0.01221002");
    expect(Object.keys(r.rounds[0].priceImpact)).toEqual(["BTC"]);
    expect(r.deficiencyUsd.toString()).toBe("0");
    expect(r.finalMultipliers.ETH.toString()).toBe("2.5");
  });

  // ETH −90% → WETH 200: bob's 20.0122 WETH = 4,002.44 USD against 6,019.76 USDC, HF 0.55: one call
  // seizes all of it and repays 4,002.44 / 1.05 = 3,811.85 USDC; the rest, 2,207.91 USD, is covered
  // by nothing in the market: bad debt. 19.91 WETH sold at today's 2000: impact 0.5·√(39,808/5e7).
  test("golden: collateral exhausted → the rest of the debt is the domain's deficiency", () => {
    const r = runAaveScenario([goldenStressMarket()], config, { name: "eth-90", shocks: [{ asset: "ETH", pct: "-0.9" }] });
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0].debtRepaidUsd.toString()).toBe("3811.846754");
    expect(r.rounds[0].priceImpact.ETH.toFixed(8)).toBe("0.01411272");
    expect(r.domains[0].deficiencyBeforeUsd.toString()).toBe("0");
    expect(r.domains[0].deficiencyUsd.toString()).toBe("2207.9117");
    expect(r.domains[0].shortfallsUsd).toEqual([{ address: BOB, shortfallUsd: new D("2207.9117") }]);
    expect(r.deficiencyUsd.toString()).toBe("2207.9117");
  });

  test("boundary: no shock → no liquidation, deficiency as before", () => {
    const r = runAaveScenario([goldenStressMarket()], config, { name: "none", shocks: [] });
    expect(r.rounds).toEqual([]);
    expect(r.deficiencyUsd.toString()).toBe("0");
    expect(r.finalMultipliers).toEqual({});
  });

  test("behavior: an unreachable chain's market is not liquidated; stable collateral is not sold", () => {
    const unreachable = runAaveScenario([goldenStressMarket()], config, { name: "eth-90 cut", shocks: [{ asset: "ETH", pct: "-0.9" }], unreachableChains: [CHAIN_L1] });
    expect(unreachable.rounds).toEqual([]);
    expect(unreachable.domains[0].deficiencyUsd.toString()).toBe(new D(6019.758454).minus("4002.43909246").toString()); // at the shocked prices, nothing seized
    // a USDC-only borrower of WETH: the seized USDC is the proceeds, not a sale
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 2_000_000_000n }, borrowed: { [WETH]: 8n * 10n ** 17n } }] });
    const m: AaveStressMarket = { chainId: CHAIN_L2A, pool: addr(0x9002), symbols, baseCurrencyUnit: 100_000_000n, accounts: [aaveAccountSnapshot(s, ALICE, 1n)] };
    const r = runAaveScenario([m], config, { name: "eth+20", shocks: [{ asset: "ETH", pct: "0.2" }] });
    expect(r.rounds[0].liquidationCalls).toBeGreaterThan(0);
    expect(r.rounds[0].priceImpact).toEqual({});
  });

  test("behavior: the cascade's first call is the rule's best liquidation at the shocked prices", () => {
    const m = goldenStressMarket();
    const shocked = withPrice(m.accounts[0], WETH, 5000_0000_0000n);
    const plan = aaveAccountRule(shocked).bestLiquidation!;
    const r = runAaveScenario([m], config, { name: "eth+150", shocks: [{ asset: "ETH", pct: "1.5" }] });
    // values are the protocol's: amount × price / unit floored to base units (1e-8 USD)
    expect(r.rounds[0].debtRepaidUsd.toString()).toBe(new D(((plan.debtRepaidRaw * 5000_0000_0000n) / 10n ** 18n).toString()).div(1e8).toString());
  });

  test("property: deficiency ≥ 0 in every round, Σ domains = total, repaid ≤ the debt there was", () => {
    const rows = fc.array(fc.record({ usdc: fc.bigInt({ min: 0n, max: 10n ** 11n }), weth: fc.bigInt({ min: 0n, max: 10n ** 20n }) }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(rows, fc.integer({ min: -95, max: 300 }), (accounts, pct) => {
        const users = accounts.map((a, i) => ({ account: addr(0x6000 + i), supplied: a.usdc > 0n ? { [USDC]: a.usdc } : {}, borrowed: a.weth > 0n ? { [WETH]: a.weth } : {} }));
        const s = market({ timestamp: 1n, reserves: plainReserves(), users });
        const m: AaveStressMarket = { chainId: CHAIN_L1, pool: addr(0x9001), symbols, baseCurrencyUnit: 100_000_000n, accounts: users.map((u) => aaveAccountSnapshot(s, u.account, 1n)) };
        const r = runAaveScenario([m], config, { name: "p", shocks: [{ asset: "ETH", pct: (pct / 100).toString() }] });
        expect(r.deficiencyUsd.isNeg()).toBe(false);
        expect(r.deficiencyUsd.eq(r.domains.reduce((t, d) => t.plus(d.deficiencyUsd), ZERO))).toBe(true);
        for (const x of r.rounds) expect(x.deficiencyUsd.isNeg()).toBe(false);
        // what the cascade repaid never exceeds the debt there was (at the highest price the debt asset reached)
        const debtMax = m.accounts.reduce((t, a) => t + snapshotAccountData(withPrice(a, WETH, (2000_0000_0000n * BigInt(100 + Math.max(pct, 0))) / 100n)).totalDebtBase, 0n);
        expect(r.domains[0].debtRepaidUsd.lte(new D(debtMax.toString()).div(1e8).plus("1e-8"))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe("runDomainScenarios", () => {
  test("default: the vault's results are runScenarios' own; the Aave cascade starts from the vault's impact", () => {
    const accounts = generateAccounts(30, 11);
    const book = compileBook(accounts, config);
    const input = envInput();
    const scenarios = defaultScenarios(config, null).slice(0, 4);
    const alone = runScenarios(book, config, input, scenarios);
    const both = runDomainScenarios(book, config, input, scenarios, [goldenStressMarket()]);
    expect(both.map((x) => x.vault)).toEqual(alone);
    for (const x of both) {
      expect(x.deficiencyByDomain[0]).toEqual({ domainId: "vault", deficiencyUsd: x.vault.deficiencyUsd });
      expect(x.totalDeficiencyUsd.eq(x.vault.deficiencyUsd.plus(x.aave.deficiencyUsd))).toBe(true);
      const last = x.vault.rounds.at(-1)?.priceImpact ?? {};
      for (const [sym, i] of Object.entries(last)) expect(x.aave.finalMultipliers[sym].lte(new D(1).minus(i).times(new D(1).plus(x.scenario.shocks.find((s) => s.asset === sym)?.pct ?? 0)))).toBe(true);
    }
  });

  test("behavior: a prior impact from other sales lowers the prices the Aave cascade liquidates at", () => {
    const without = runAaveScenario([goldenStressMarket()], config, { name: "btc-0", shocks: [] });
    const withPrior = runAaveScenario([goldenStressMarket()], config, { name: "btc-0", shocks: [] }, { priorImpact: { BTC: "0.5" } });
    expect(without.finalMultipliers).toEqual({});
    expect(withPrior.finalMultipliers.BTC.toString()).toBe("0.5");
  });
});

describe("runAaveScenario: the float screen skips only what cannot change the result", () => {
  const user = fc.record({
    usdc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 13n })),
    weth: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 22n })),
    wbtc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 9n })),
    debtUsdc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 12n })),
    debtWeth: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 21n })),
    eMode: fc.boolean(),
  });
  test("property: screened and reference cascades give identical results (rounds, calls, deficiency, shortfalls)", () => {
    fc.assert(
      fc.property(
        fc.array(user, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: -95, max: 60 }),
        fc.integer({ min: -60, max: 20 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 9_700, max: 10_300 }), { maxLength: 12 }),
        (users, eth, btc, eModeSource, nearBps) => {
          const state = market({
            timestamp: GOLDEN_TIMESTAMP,
            reserves: plainReserves().map((r) => ({ ...r, eModeCategoryId: r.asset === WETH ? 1 : 0 })),
            eModeCategories: [{ categoryId: 1, ltvBps: 9_000n, liquidationThresholdBps: 9_300n, liquidationBonusBps: 10_100n, priceSource: eModeSource ? WETH : undefined }],
            users: users.map((u, i) => {
              const supplied: Record<string, bigint> = {};
              const borrowed: Record<string, bigint> = {};
              if (u.usdc) supplied[USDC] = u.usdc;
              if (u.weth) supplied[WETH] = u.weth;
              if (u.wbtc) supplied[WBTC] = u.wbtc;
              if (u.debtUsdc) borrowed[USDC] = u.debtUsdc;
              if (u.debtWeth) borrowed[WETH] = u.debtWeth;
              return { account: addr(0x60000 + i), supplied, borrowed, eModeCategoryId: u.eMode ? 1 : 0 };
            }).concat(
              // debt within ±3% of the collateral's value at the shocked ETH price: shortfalls on the edge
              nearBps.map((bps, i) => {
                const weth = 10n ** 18n * BigInt(1 + i);
                const usdc = (BigInt(1 + i) * 2_000n * BigInt(100 + eth) * BigInt(bps) * 10n ** 6n) / 100n / 10_000n;
                return { account: addr(0x61000 + i), supplied: { [WETH]: weth }, borrowed: { [USDC]: usdc }, eModeCategoryId: 0 };
              }),
            ),
          });
          const accounts = [...state.accounts].sort().map((u) => aaveAccountSnapshot(state, u, GOLDEN_TIMESTAMP));
          const m: AaveStressMarket = { chainId: CHAIN_L1, pool: addr(0x9001), symbols, baseCurrencyUnit: 100_000_000n, accounts };
          const scenario = { name: "p", shocks: [{ asset: "ETH", pct: (eth / 100).toString() }, { asset: "BTC", pct: (btc / 100).toString() }] };
          const fast = runAaveScenario([m], config, scenario);
          const reference = runAaveScenario([m], config, scenario, { screen: false });
          expect(JSON.stringify(fast)).toBe(JSON.stringify(reference));
        },
      ),
      { numRuns: 120 },
    );
  });
});
