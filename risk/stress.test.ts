import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { generateAccounts as generateBook, generateFreshness, generateObservations, generateRiskConfig, GENERATED_NOW } from "../bench/generate.js";
import { compileBook, screenAccount } from "./compiled.js";
import { D } from "./decimal.js";
import { prepareEnvironment, type EnvironmentInput } from "./environment.js";
import { accountHealth } from "./evaluateAccount.js";
import { defaultScenarios, ScenarioError } from "./scenarios.js";
import { evaluateStressKernel, runScenario, runScenarios, scaleEnvironment } from "./stress.js";
import { address, CHAIN_L1, CHAIN_L2A, envInput, generateAccounts, NOW, observationsAt, testConfig } from "./testing.js";
import type { AccountState, RiskConfig, StressScenario } from "./types.js";

const eth = (units: number) => BigInt(units) * 10n ** 18n;
const usdc = (units: number) => BigInt(units) * 10n ** 6n;

function spotAccount(i: number, ethUnits: number, debtUsdc: number): AccountState {
  return {
    address: address(i),
    collateral: [{ chainId: CHAIN_L1, asset: "ETH", amountRaw: eth(ethUnits), decimals: 18 }],
    debt: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: usdc(debtUsdc), decimals: 6 }],
    positions: [],
  };
}

/** Zero latency and lag (h = 0), ETH cfM 0.8, κ 0.5, depth $1M; ETH at 1000. */
function goldenSetup() {
  const config = testConfig({
    latency: [0, 0, 0],
    assets: { ETH: { cfMaintenance: "0.8", cfInitial: "0.75", impactKappa: "0.5", depthUsd: "1000000" } },
  });
  const input = envInput({ observations: observationsAt({ ETH: "1000", USDC: "1", BTC: "60000", SOL: "150" }, NOW) });
  return { config, input };
}

const ethDown10: StressScenario = { name: "eth-10", shocks: [{ asset: "ETH", pct: "-0.10" }] };

describe("runScenario: golden cascade (hand-computed)", () => {
  // A: 100 ETH, 75,000 USDC debt → healthM at 900 = 72,000 − 75,000 < 0: liquidated in round 1.
  //    V = 100 ETH × 1000 = 100,000 → impact 0.5·√0.1 = 0.158114 → ETH 900·0.841886 = 757.70
  // B: 100 ETH, 62,000 debt → at 757.70: 60,615.8 − 62,000 < 0: liquidated in round 2.
  //    V = 200,000 → impact 0.5·√0.2 = 0.223607 → ETH 900·0.776393 = 698.75
  // C: 100 ETH, 10,000 debt: never liquidated. Round 3 liquidates nobody: the cascade stops.
  // D(s) = A's shortfall 75,000 − 69,875.39 = 5,124.61 (B and C keep positive equity).
  const { config, input } = goldenSetup();
  const book = compileBook([spotAccount(1, 100, 75_000), spotAccount(2, 100, 62_000), spotAccount(3, 100, 10_000)], config);
  const result = runScenario(book, config, input, ethDown10);
  const impact1 = 0.5 * Math.sqrt(0.1);
  const impact2 = 0.5 * Math.sqrt(0.2);
  const finalPrice = 900 * (1 - impact2);

  test("default: two rounds, one liquidation each", () => {
    expect(result.rounds.map((r) => r.liquidatedAccounts)).toEqual([1, 1]);
    expect(result.rounds.map((r) => r.round)).toEqual([1, 2]);
  });
  test("golden: impact per round from cumulative quantity at today's mark", () => {
    expect(result.rounds[0].priceImpact.ETH.toNumber()).toBeCloseTo(impact1, 10);
    expect(result.rounds[1].priceImpact.ETH.toNumber()).toBeCloseTo(impact2, 10);
    expect(Object.keys(result.rounds[0].priceImpact)).toEqual(["ETH"]);
  });
  test("golden: volume at each round's price, deficiency after each round's impact", () => {
    expect(result.rounds[0].liquidatedVolumeUsd.toNumber()).toBeCloseTo(90_000, 2);
    expect(result.rounds[1].liquidatedVolumeUsd.toNumber()).toBeCloseTo(100 * 900 * (1 - impact1), 1);
    expect(result.rounds[0].deficiencyUsd.toNumber()).toBe(0);
    expect(result.rounds[1].deficiencyUsd.toNumber()).toBeCloseTo(75_000 - 100 * finalPrice, 1);
    expect(result.liquidatedVolumeUsd.toNumber()).toBeCloseTo(90_000 + 100 * 900 * (1 - impact1), 1);
  });
  test("golden: D(s) exact at the final prices, shortfalls largest first", () => {
    expect(result.deficiencyExact).toBe(true);
    expect(result.deficiencyUsd.toNumber()).toBeCloseTo(75_000 - 100 * finalPrice, 6);
    expect(result.deficiencyUsd.toNumber()).toBeCloseTo(5124.612, 2);
    expect(result.shortfallsUsd.map((s) => s.address)).toEqual([address(1)]);
    expect(result.shortfallsUsd[0].shortfallUsd.eq(result.deficiencyUsd)).toBe(true);
  });
  test("behavior: the exact shortfall equals accountHealth at the final environment", () => {
    const base = prepareEnvironment(config, input);
    const m = new D("0.9").times(new D(1 - impact2));
    const finalEnv = scaleEnvironment(base, { ETH: m });
    expect(accountHealth(spotAccount(1, 100, 75_000), finalEnv).equityUsd.neg().eq(result.deficiencyUsd)).toBe(true);
  });
  test("behavior: without impact (κ = 0) there is no cascade", () => {
    const flat = testConfig({ latency: [0, 0, 0], assets: { ETH: { cfMaintenance: "0.8", impactKappa: "0", depthUsd: "1000000" } } });
    const flatBook = compileBook([spotAccount(1, 100, 75_000), spotAccount(2, 100, 62_000)], flat);
    const r = runScenario(flatBook, flat, input, ethDown10);
    expect(r.rounds.map((x) => x.liquidatedAccounts)).toEqual([1]);
    expect(r.deficiencyUsd.isZero()).toBe(true); // A: 90,000 − 75,000 ≥ 0
  });
  test("behavior: cascadeMaxRounds caps the cascade", () => {
    const capped: RiskConfig = { ...config, params: { ...config.params, cascadeMaxRounds: 1 } };
    const r = runScenario(compileBook(book.states.filter((s): s is AccountState => s !== null), capped), capped, input, ethDown10);
    expect(r.rounds.length).toBe(1);
    // D at the prices after round 1's impact: A has equity 757.70·100 − 75,000 > 0
    expect(r.deficiencyUsd.isZero()).toBe(true);
  });
});

describe("runScenario: scenarios of the library", () => {
  const { config, input } = goldenSetup();

  test("behavior: an unreachable chain's collateral counts 0 in equity and is not sold", () => {
    const onL2: AccountState = {
      address: address(9),
      collateral: [
        { chainId: CHAIN_L2A, asset: "ETH", amountRaw: eth(10), decimals: 18 },
        { chainId: CHAIN_L1, asset: "USDC", amountRaw: usdc(1_000), decimals: 6 },
      ],
      debt: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: usdc(5_000), decimals: 6 }],
      positions: [],
    };
    const b = compileBook([onL2], config);
    const now = runScenario(b, config, input, { name: "none", shocks: [] });
    expect(now.deficiencyUsd.isZero()).toBe(true);
    const r = runScenario(b, config, input, { name: "l2 down", shocks: [], unreachableChains: [CHAIN_L2A] });
    expect(r.rounds[0].liquidatedAccounts).toBe(1);
    expect(r.rounds[0].priceImpact.ETH).toBeUndefined(); // the stuck ETH was not sold
    expect(r.deficiencyUsd.toString()).toBe("4000"); // 1,000 reachable − 5,000 debt
  });

  test("behavior: latency × 4 raises haircuts (more liquidations), prices unchanged", () => {
    const cfg = testConfig({ latency: [3600, 3600, 3600], assets: { ETH: { cfMaintenance: "0.8", impactKappa: "0", depthUsd: "1" } } });
    const accounts = [spotAccount(1, 100, 78_500), spotAccount(2, 100, 70_000)];
    const b = compileBook(accounts, cfg);
    const base = runScenario(b, cfg, input, { name: "none", shocks: [] });
    const slow = runScenario(b, cfg, input, { name: "slow", shocks: [], latencyMultiplier: "4" });
    expect(base.rounds.length).toBe(0);
    expect(slow.rounds[0].liquidatedAccounts).toBe(1);
    expect(slow.deficiencyUsd.isZero()).toBe(true);
  });

  test("behavior: an invalid scenario throws ScenarioError before any work", () => {
    const b = compileBook([spotAccount(1, 1, 1)], config);
    expect(() => runScenario(b, config, input, { name: "x", shocks: [{ asset: "DOGE", pct: "-0.5" }] })).toThrow(ScenarioError);
  });

  test("behavior: a book with nobody under water gives an empty cascade and D = 0", () => {
    const b = compileBook([spotAccount(1, 100, 1_000)], config);
    const r = runScenario(b, config, input, { name: "eth-50", shocks: [{ asset: "ETH", pct: "-0.5" }] });
    expect(r).toMatchObject({ rounds: [], shortfallsUsd: [], deficiencyExact: true });
    expect(r.deficiencyUsd.isZero()).toBe(true);
  });

  test("behavior: runScenarios equals runScenario one by one", () => {
    const accounts = generateAccounts(150, 3);
    const cfg = testConfig();
    const b = compileBook(accounts, cfg);
    const inp = envInput();
    const library = defaultScenarios(cfg, null);
    const together = runScenarios(b, cfg, inp, library);
    library.forEach((s, k) => expect(runScenario(b, cfg, inp, s)).toEqual(together[k]));
  });
});

describe("stress kernel mirrors the compiled screen", () => {
  const cfg = testConfig();
  const accounts = generateAccounts(400, 11); // risky debt, funding, perps on every chain
  const book = compileBook(accounts, cfg);
  const variants: [string, RiskConfig, EnvironmentInput, Parameters<typeof prepareEnvironment>[2]][] = [
    ["base", cfg, envInput(), {}],
    ["shocked", cfg, envInput(), { priceMultipliers: { ETH: "0.7", BTC: "1.2", SOL: "0.5" } }],
    ["unreachable", cfg, envInput(), { unreachableChains: [CHAIN_L2A] }],
    ["stale chain", cfg, envInput({ chains: [{ chainId: CHAIN_L1, blockNumber: 1n, blockTimestamp: NOW - 10_000 }] }), {}],
    [
      "divergent ETH (no mark)",
      cfg,
      envInput({
        observations: [
          ...observationsAt({ BTC: "60000", USDC: "1", SOL: "150" }, NOW),
          ...observationsAt({ ETH: "3000" }, NOW, [CHAIN_L1]),
          ...observationsAt({ ETH: "3300" }, NOW, [CHAIN_L2A]),
        ],
      }),
      {},
    ],
    ["portfolio mode", testConfig({ params: { marginMode: "portfolio" } }), envInput(), {}],
  ];
  for (const [name, config, input, scenario] of variants) {
    test(`behavior: ${name}`, () => {
      const b = config === cfg ? book : compileBook(accounts, config);
      const env = prepareEnvironment(config, input, scenario);
      const k = evaluateStressKernel(b, env);
      for (let i = 0; i < b.size; i++) {
        const s = screenAccount(b, i, env);
        const tol = 1e-9 * (k.scale[i] + 1);
        expect(Math.abs(k.healthM[i] - s.healthMUsd)).toBeLessThanOrEqual(tol);
        expect(Math.abs(k.equity[i] - s.equityUsd)).toBeLessThanOrEqual(tol);
      }
    });
  }
});

describe("runScenario: properties", () => {
  const longOnly = (seed: number, n: number) => generateBook(n, { seed, longShare: 1, maxLeverage: 6 });
  const genConfig = generateRiskConfig({ accounts: 2_000 }); // thin depth: small books still cascade
  const genInput: EnvironmentInput = {
    now: GENERATED_NOW,
    observations: generateObservations(),
    chains: generateFreshness(),
    volatility: null,
    fundingIndexX18: {},
  };
  const risky = ["ARB", "BTC", "ETH", "SOL"];
  const uniform = (pct: number): StressScenario => ({ name: `u${pct}`, shocks: risky.map((asset) => ({ asset, pct: String(pct) })) });

  test("property: the cascade terminates within cascadeMaxRounds, every recorded round liquidates someone", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: -95, max: 50 }), fc.integer({ min: 1, max: 12 }), (seed, pct, maxRounds) => {
        const config = { ...genConfig, params: { ...genConfig.params, cascadeMaxRounds: maxRounds } };
        const book = compileBook(generateBook(60, { seed }), config);
        const r = runScenario(book, config, genInput, uniform(pct / 100));
        expect(r.rounds.length).toBeLessThanOrEqual(maxRounds);
        for (const round of r.rounds) expect(round.liquidatedAccounts).toBeGreaterThan(0);
        expect(r.rounds.reduce((n, x) => n + x.liquidatedAccounts, 0)).toBeLessThanOrEqual(60);
      }),
      { numRuns: 40 },
    );
  });

  test("property: on long-only books the deficiency never decreases when a shock deepens", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 90 }), fc.integer({ min: 1, max: 50 }), (seed, a, extra) => {
        const book = compileBook(longOnly(seed, 80), genConfig);
        const shallow = runScenario(book, genConfig, genInput, uniform(-a / 100));
        const deep = runScenario(book, genConfig, genInput, uniform(-Math.min(99, a + extra) / 100));
        expect(deep.deficiencyUsd.gte(shallow.deficiencyUsd)).toBe(true);
        const liquidated = (r: typeof deep) => r.rounds.reduce((n, x) => n + x.liquidatedAccounts, 0);
        expect(liquidated(deep)).toBeGreaterThanOrEqual(liquidated(shallow));
      }),
      { numRuns: 40 },
    );
  });

  test("property: same inputs give the same outputs (and a fresh book of the same accounts too)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: -80, max: 0 }), (seed, pct) => {
        const accounts = generateBook(50, { seed });
        const s = uniform(pct / 100);
        const a = runScenario(compileBook(accounts, genConfig), genConfig, genInput, s);
        const b = runScenario(compileBook(structuredClone(accounts), genConfig), genConfig, genInput, s);
        expect(b).toEqual(a);
      }),
      { numRuns: 25 },
    );
  });

  test("behavior: the order of accounts in the book does not change the result beyond float summation", () => {
    const accounts = generateBook(300, { seed: 8 });
    const s = uniform(-0.3);
    const a = runScenario(compileBook(accounts, genConfig), genConfig, genInput, s);
    const b = runScenario(compileBook([...accounts].reverse(), genConfig), genConfig, genInput, s);
    expect(b.rounds.map((r) => r.liquidatedAccounts)).toEqual(a.rounds.map((r) => r.liquidatedAccounts));
    expect(b.deficiencyUsd.minus(a.deficiencyUsd).abs().lte(a.deficiencyUsd.times(1e-12).plus(1e-9))).toBe(true);
    expect(b.shortfallsUsd.map((x) => x.address)).toEqual(a.shortfallsUsd.map((x) => x.address));
    expect(a.deficiencyUsd.gt(0)).toBe(true);
  });

  test("behavior: past exactDeficiencyLimit D(s) is a float sum rounded up to cents, close to the exact one", () => {
    const book = compileBook(generateBook(300, { seed: 4 }), genConfig);
    const s = uniform(-0.5);
    const exact = runScenario(book, genConfig, genInput, s);
    const rough = runScenario(book, genConfig, genInput, s, { exactDeficiencyLimit: 0 });
    expect(exact.deficiencyExact).toBe(true);
    expect(rough.deficiencyExact).toBe(false);
    expect(rough.deficiencyUsd.decimalPlaces()).toBeLessThanOrEqual(2);
    expect(rough.deficiencyUsd.minus(exact.deficiencyUsd).abs().lte(0.011)).toBe(true);
    expect(rough.shortfallsUsd).toEqual(exact.shortfallsUsd);
  });
});
