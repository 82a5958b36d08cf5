import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { AaveMathError } from "./errors.js";
import {
  CLOSE_FACTOR_HF_THRESHOLD_WAD,
  HALF_RAY,
  MAX_UINT256,
  RAY,
  SECONDS_PER_YEAR,
  WAD,
  actualToScaled,
  closeFactorBps,
  compoundedInterest,
  linearInterest,
  liquidationAmounts,
  maxLiquidatableDebt,
  normalizedDebt,
  normalizedIncome,
  percentDiv,
  percentMul,
  rayDiv,
  rayMul,
  scaledToActual,
  userAccountData,
  wadDiv,
  wadMul,
  type AccountReserveInput,
} from "./math.js";

const e = (n: string | number, decimals: number): bigint => {
  const [int, frac = ""] = String(n).split(".");
  return BigInt(int! + frac.padEnd(decimals, "0").slice(0, decimals));
};

describe("WadRayMath / PercentageMath", () => {
  test("boundary: 0 and 1 wei", () => {
    expect(rayMul(0n, RAY)).toBe(0n);
    expect(rayMul(RAY, 0n)).toBe(0n);
    expect(rayMul(1n, RAY)).toBe(1n);
    expect(rayMul(1n, HALF_RAY)).toBe(1n); // 0.5 wei rounds up
    expect(rayMul(1n, HALF_RAY - 1n)).toBe(0n);
    expect(rayDiv(0n, RAY)).toBe(0n);
    expect(rayDiv(1n, 2n * RAY)).toBe(1n); // 0.5 rounds up
    expect(rayDiv(1n, 3n * RAY)).toBe(0n);
    expect(wadDiv(1n, 2n)).toBe(WAD / 2n);
    expect(percentMul(1n, 5_000n)).toBe(1n); // 0.5 rounds up
    expect(percentMul(1n, 4_999n)).toBe(0n);
    expect(percentDiv(1n, 20_000n)).toBe(1n);
  });

  test("boundary: max uint256 reverts as the contract does", () => {
    expect(rayMul(MAX_UINT256, 0n)).toBe(0n);
    expect(() => rayMul(MAX_UINT256, 1n)).toThrow(AaveMathError);
    expect(() => rayMul((MAX_UINT256 - HALF_RAY) / RAY + 1n, RAY)).toThrow(AaveMathError);
    expect(rayMul((MAX_UINT256 - HALF_RAY) / RAY, RAY)).toBe((MAX_UINT256 - HALF_RAY) / RAY);
    expect(() => rayDiv(MAX_UINT256, RAY)).toThrow(AaveMathError);
    expect(() => rayDiv(1n, 0n)).toThrow(/division by zero/);
    expect(() => wadDiv(1n, 0n)).toThrow(/division by zero/);
    expect(() => percentDiv(1n, 0n)).toThrow(/division by zero/);
    expect(() => percentMul(MAX_UINT256, 2n)).toThrow(AaveMathError);
    expect(() => rayMul(-1n, 1n)).toThrow(/uint256/);
    expect(() => rayMul(MAX_UINT256 + 1n, 0n)).toThrow(/uint256/);
  });

  // Golden values: Aave's own Foundry tests, aave-dao/aave-v3-origin tests/core/WadRayMath.t.sol
  // (test_wadMul, test_rayMul, test_wadDiv, test_rayDiv); the functions are unchanged since v3.0.
  test("golden: Aave's WadRayMath tests", () => {
    expect(wadMul(e("2.5", 18), e("0.5", 18))).toBe(e("1.25", 18));
    expect(wadMul(e("412.2", 18), e(1, 18))).toBe(e("412.2", 18));
    expect(rayMul(e("2.5", 27), e("0.5", 27))).toBe(e("1.25", 27));
    expect(rayMul(e("412.2", 27), e(1, 27))).toBe(e("412.2", 27));
    expect(wadDiv(e("2.5", 18), e("0.5", 18))).toBe(e(5, 18));
    expect(wadDiv(e("8.745", 18), e("0.67", 18))).toBe(e("13.052238805970149254", 18));
    expect(rayDiv(e("8.745", 27), e("0.67", 27))).toBe(e("13.052238805970149253731343284", 27));
    expect(rayDiv(e(6, 27), e(2, 27))).toBe(e(3, 27));
  });

  test("property: the contract's formula, half up", () => {
    const u = fc.bigInt({ min: 0n, max: 2n ** 128n });
    fc.assert(
      fc.property(u, u, (a, b) => {
        expect(rayMul(a, b)).toBe((a * b + HALF_RAY) / RAY);
        if (b > 0n) expect(rayDiv(a, b)).toBe((a * RAY + b / 2n) / b);
        expect(percentMul(a, b % 20_000n)).toBe((a * (b % 20_000n) + 5_000n) / 10_000n);
      }),
    );
  });

  test("property: rayDiv(rayMul(s, i), i) = s for any index ≥ 1 ray (a full repay leaves no scaled residue)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 120n }), fc.bigInt({ min: RAY, max: 100n * RAY }), (s, i) => {
        expect(actualToScaled(scaledToActual(s, i), i)).toBe(s);
      }),
    );
  });
});

describe("interest", () => {
  // Golden values: aave-dao/aave-v3-origin tests/core/MathUtils.t.sol (test_calculateLinearInterest,
  // test_calculateCompoundInterest_1): rate 1.0005e27, half a year (15,768,000 s).
  test("golden: Aave's MathUtils tests", () => {
    const half = SECONDS_PER_YEAR / 2n;
    expect(linearInterest(e("1.0005", 27), 1_000n, 1_000n + half)).toBe(e("1.50025", 27));
    expect(compoundedInterest(e("1.0005", 27), 1_000n, 1_000n + half)).toBe(e("1.646239361880034706419516000", 27));
  });

  test("boundary: no time elapsed, one second, zero rate", () => {
    expect(linearInterest(RAY, 5n, 5n)).toBe(RAY);
    expect(compoundedInterest(RAY, 5n, 5n)).toBe(RAY);
    expect(linearInterest(0n, 0n, SECONDS_PER_YEAR)).toBe(RAY);
    expect(compoundedInterest(0n, 0n, SECONDS_PER_YEAR)).toBe(RAY);
    // One second: only the linear term survives (n(n−1) = 0).
    expect(compoundedInterest(SECONDS_PER_YEAR * 10n ** 9n, 0n, 1n)).toBe(RAY + 10n ** 9n);
    // Two seconds: the cubic term is 0 (n − 2 clamps at 0).
    const r = RAY / 10n;
    const b2 = rayMul(r, r) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
    expect(compoundedInterest(r, 0n, 2n)).toBe(RAY + (r * 2n) / SECONDS_PER_YEAR + (2n * 1n * b2) / 2n);
  });

  test("behavior: a timestamp before the last update is refused, naming both", () => {
    expect(() => linearInterest(RAY, 10n, 9n)).toThrow(/timestamp 9 is before the last index update at 10/);
    expect(() => compoundedInterest(RAY, 10n, 9n)).toThrow(AaveMathError);
  });

  test("behavior: compounding exceeds the linear rate and stays under e^r", () => {
    const r = RAY / 20n; // 5% a year
    const lin = linearInterest(r, 0n, SECONDS_PER_YEAR);
    const comp = compoundedInterest(r, 0n, SECONDS_PER_YEAR);
    expect(lin).toBe(RAY + r);
    expect(comp > lin).toBe(true);
    // e^0.05 = 1.051271096…; the exact three-term series gives 1.0512708. The contract truncates
    // r³ per second² to an integer (rayMul(r², rate) / year = 3.98 → 3 ray units), losing a quarter of
    // the cubic term: 1.051265681539063650421944 (recomputed independently in Python integers from MathUtils.sol).
    expect(comp).toBe(1_051_265_681_539_063_650_421_944_000n);
    expect(comp < e("1.051271096", 27)).toBe(true);
    expect(comp > RAY + r + (r * r) / RAY / 2n - 10n ** 20n).toBe(true);
  });

  test("normalized income and debt: stored index in the update's own second, grown after it", () => {
    const reserve = {
      liquidityIndexRay: e("1.02", 27),
      variableBorrowIndexRay: e("1.05", 27),
      liquidityRateRay: RAY / 10n,
      variableBorrowRateRay: RAY / 5n,
      lastUpdateTimestamp: 1_700_000_000n,
    };
    expect(normalizedIncome(reserve, reserve.lastUpdateTimestamp)).toBe(reserve.liquidityIndexRay);
    expect(normalizedDebt(reserve, reserve.lastUpdateTimestamp)).toBe(reserve.variableBorrowIndexRay);
    const t = reserve.lastUpdateTimestamp + SECONDS_PER_YEAR;
    expect(normalizedIncome(reserve, t)).toBe(rayMul(RAY + RAY / 10n, e("1.02", 27)));
    expect(normalizedDebt(reserve, t)).toBe(rayMul(compoundedInterest(RAY / 5n, 0n, SECONDS_PER_YEAR), e("1.05", 27)));
  });
});

function reserve(over: Partial<AccountReserveInput> & Pick<AccountReserveInput, "asset" | "decimals" | "priceBase">): AccountReserveInput {
  return {
    ltvBps: 8_000n,
    liquidationThresholdBps: 8_500n,
    eModeCategoryId: 0,
    scaledATokenBalance: 0n,
    scaledVariableDebt: 0n,
    normalizedIncomeRay: RAY,
    normalizedDebtRay: RAY,
    usingAsCollateral: false,
    ...over,
  };
}

describe("userAccountData", () => {
  test("behavior: empty account (the contract returns zeros and type(uint256).max)", () => {
    expect(userAccountData({ reserves: [], userEModeCategoryId: 0 })).toEqual({
      totalCollateralBase: 0n,
      totalDebtBase: 0n,
      availableBorrowsBase: 0n,
      currentLiquidationThresholdBps: 0n,
      ltvBps: 0n,
      healthFactorWad: null,
      hasZeroLtvCollateral: false,
    });
  });

  // Worked by hand: 1000 USDC (6 dec, $1, LT 85%, LTV 80%) supplied, 0.25 WETH (18 dec, $2000) borrowed.
  // collateral 1000e8, debt 500e8, HF = 1000e8·0.85 / 500e8 = 1.7, available = 800e8 − 500e8.
  test("default: one collateral, one debt, 6 and 18 decimals", () => {
    const out = userAccountData({
      userEModeCategoryId: 0,
      reserves: [
        reserve({ asset: "USDC", decimals: 6, priceBase: 1_0000_0000n, scaledATokenBalance: 1_000_000_000n, usingAsCollateral: true }),
        reserve({ asset: "WETH", decimals: 18, priceBase: 2000_0000_0000n, scaledVariableDebt: e("0.25", 18) }),
      ],
    });
    expect(out).toEqual({
      totalCollateralBase: 1000_0000_0000n,
      totalDebtBase: 500_0000_0000n,
      availableBorrowsBase: 300_0000_0000n,
      currentLiquidationThresholdBps: 8_500n,
      ltvBps: 8_000n,
      healthFactorWad: e("1.7", 18),
      hasZeroLtvCollateral: false,
    });
  });

  // Worked by hand: the weighted threshold (100·8500 + 200·8250)/300 = 8333.33… bps is floored to 8333
  // before percentMul; the plain formula would give HF 2.5/… with the fraction.
  test("behavior: the average liquidation threshold is floored to whole basis points", () => {
    const out = userAccountData({
      userEModeCategoryId: 0,
      reserves: [
        reserve({ asset: "A", decimals: 0, priceBase: 100n, scaledATokenBalance: 1n, usingAsCollateral: true, liquidationThresholdBps: 8_500n }),
        reserve({ asset: "B", decimals: 0, priceBase: 200n, scaledATokenBalance: 1n, usingAsCollateral: true, liquidationThresholdBps: 8_250n }),
        reserve({ asset: "C", decimals: 0, priceBase: 100n, scaledVariableDebt: 1n }),
      ],
    });
    expect(out.currentLiquidationThresholdBps).toBe(8_333n);
    expect(out.healthFactorWad).toBe(wadDiv(percentMul(300n, 8_333n), 100n)); // 250 / 100 = 2.5e18 (percentMul rounds 249.99 up)
    expect(out.healthFactorWad).toBe(e("2.5", 18));
  });

  test("behavior: collateral switched off, LT 0 and LTV 0 reserves", () => {
    const base = { decimals: 8, priceBase: 30_000_0000_0000n, scaledATokenBalance: 1_0000_0000n };
    const off = userAccountData({ userEModeCategoryId: 0, reserves: [reserve({ asset: "WBTC", ...base, usingAsCollateral: false })] });
    expect(off.totalCollateralBase).toBe(0n);
    const lt0 = userAccountData({ userEModeCategoryId: 0, reserves: [reserve({ asset: "WBTC", ...base, usingAsCollateral: true, liquidationThresholdBps: 0n, ltvBps: 0n })] });
    expect(lt0.totalCollateralBase).toBe(0n);
    const ltv0 = userAccountData({ userEModeCategoryId: 0, reserves: [reserve({ asset: "WBTC", ...base, usingAsCollateral: true, ltvBps: 0n })] });
    expect(ltv0.totalCollateralBase).toBe(30_000_0000_0000n);
    expect(ltv0.ltvBps).toBe(0n);
    expect(ltv0.currentLiquidationThresholdBps).toBe(8_500n);
    expect(ltv0.hasZeroLtvCollateral).toBe(true);
  });

  test("behavior: per-asset values are floored before summing (1 wei of a 6-decimal token at $1 is 100 base units)", () => {
    const out = userAccountData({
      userEModeCategoryId: 0,
      reserves: [
        reserve({ asset: "X18", decimals: 18, priceBase: 1_0000_0000n, scaledATokenBalance: 1n, usingAsCollateral: true }),
        reserve({ asset: "U6", decimals: 6, priceBase: 1_0000_0000n, scaledATokenBalance: 1n, usingAsCollateral: true }),
      ],
    });
    expect(out.totalCollateralBase).toBe(100n); // 1e-18 · 1e8 floors to 0; 1e-6 · 1e8 = 100
  });

  test("behavior: interest through the normalized indexes (half-up rayMul per balance)", () => {
    const out = userAccountData({
      userEModeCategoryId: 0,
      reserves: [
        reserve({ asset: "USDC", decimals: 6, priceBase: 1_0000_0000n, scaledATokenBalance: 3n, normalizedIncomeRay: e("1.5", 27), usingAsCollateral: true }),
        reserve({ asset: "DAI", decimals: 6, priceBase: 1_0000_0000n, scaledVariableDebt: 1n, normalizedDebtRay: e("1.5", 27) }),
      ],
    });
    expect(out.totalCollateralBase).toBe(500n); // rayMul(3, 1.5) = 4.5 → 5 wei → 500
    expect(out.totalDebtBase).toBe(200n); // rayMul(1, 1.5) = 1.5 → 2 wei → 200
  });

  test("behavior: eMode uses the category's LTV, LT and price for assets of that category only", () => {
    const reserves = [
      reserve({ asset: "WETH", decimals: 18, priceBase: 2000_0000_0000n, eModeCategoryId: 1, scaledATokenBalance: WAD, usingAsCollateral: true }),
      reserve({ asset: "USDC", decimals: 6, priceBase: 1_0000_0000n, scaledATokenBalance: 1_000_000_000n, usingAsCollateral: true }),
      reserve({ asset: "stETH", decimals: 18, priceBase: 1990_0000_0000n, eModeCategoryId: 1, scaledVariableDebt: WAD / 2n }),
    ];
    const out = userAccountData({
      userEModeCategoryId: 1,
      eModeCategory: { ltvBps: 9_000n, liquidationThresholdBps: 9_300n, priceBase: 2000_0000_0000n },
      reserves,
    });
    expect(out.totalCollateralBase).toBe(3000_0000_0000n);
    expect(out.totalDebtBase).toBe(1000_0000_0000n); // stETH priced by the category's source
    expect(out.currentLiquidationThresholdBps).toBe((2000n * 9_300n + 1000n * 8_500n) / 3000n);
    expect(out.ltvBps).toBe((2000n * 9_000n + 1000n * 8_000n) / 3000n);
    expect(() => userAccountData({ userEModeCategoryId: 1, reserves })).toThrow(/eModeCategory/);
  });

  // Golden values read from the real contracts: @aave/core-v3 1.19.3 bytecode on anvil 1.7.1, market
  // deployed by deployAaveMarket(DEFAULT_AAVE_RESERVES); alice supplied 10,000 USDC and 1 WBTC and
  // borrowed 7 WETH, bob supplied 20 WETH and borrowed 6,000 USDC, then 45 days passed (one
  // evm_mine). Inputs from scaledBalanceOf, getReserveNormalizedIncome/VariableDebt and
  // AaveOracle.getAssetPrice, outputs from Pool.getUserAccountData, all at that block (Dec 2026).
  test("golden: Pool.getUserAccountData on the real bytecode", () => {
    const usdc = { asset: "USDC", decimals: 6, priceBase: 100_000_000n, ltvBps: 8_000n, liquidationThresholdBps: 8_500n, normalizedIncomeRay: 1001775342465753424657534246n, normalizedDebtRay: 1003293075622548572067535123n };
    const weth = { asset: "WETH", decimals: 18, priceBase: 200_000_000_000n, ltvBps: 8_000n, liquidationThresholdBps: 8_250n, normalizedIncomeRay: 1000609773116438356164383561n, normalizedDebtRay: 1002051758081708565274593753n };
    const wbtc = { asset: "WBTC", decimals: 8, priceBase: 3_000_000_000_000n, ltvBps: 7_000n, liquidationThresholdBps: 7_500n, normalizedIncomeRay: RAY, normalizedDebtRay: RAY };
    const alice = userAccountData({
      userEModeCategoryId: 0,
      reserves: [
        reserve({ ...usdc, scaledATokenBalance: 10_000_000_000n, usingAsCollateral: true }),
        reserve({ ...weth, scaledVariableDebt: 7_000_000_000_000_000_000n }),
        reserve({ ...wbtc, scaledATokenBalance: 100_000_000n, usingAsCollateral: true }),
      ],
    });
    // (10,017.75 × 8500 + 30,000 × 7500) / 40,017.75 = 7750.3 bps, floored to 7750.
    expect([alice.totalCollateralBase, alice.totalDebtBase, alice.availableBorrowsBase, alice.currentLiquidationThresholdBps, alice.ltvBps, alice.healthFactorWad]).toEqual([
      4001775342500n,
      1402872461314n,
      1498414661999n,
      7750n,
      7250n,
      2210732604682465117n,
    ]);
    const bob = userAccountData({
      userEModeCategoryId: 0,
      reserves: [reserve({ ...usdc, scaledVariableDebt: 6_000_000_000n }), reserve({ ...weth, scaledATokenBalance: 20_000_000_000_000_000_000n, usingAsCollateral: true })],
    });
    expect([bob.totalCollateralBase, bob.totalDebtBase, bob.availableBorrowsBase, bob.currentLiquidationThresholdBps, bob.ltvBps, bob.healthFactorWad]).toEqual([
      4002439092465n,
      601975845400n,
      2599975428572n,
      8250n,
      8000n,
      5485290276206820042n,
    ]);
  });

  test("boundary: values that overflow uint256 revert", () => {
    expect(() =>
      userAccountData({
        userEModeCategoryId: 0,
        reserves: [reserve({ asset: "X", decimals: 0, priceBase: MAX_UINT256, scaledATokenBalance: 2n, usingAsCollateral: true })],
      }),
    ).toThrow(AaveMathError);
  });
});

describe("liquidation", () => {
  test("close factor: 50% above HF 0.95, 100% at or below", () => {
    expect(closeFactorBps(CLOSE_FACTOR_HF_THRESHOLD_WAD + 1n)).toBe(5_000n);
    expect(closeFactorBps(CLOSE_FACTOR_HF_THRESHOLD_WAD)).toBe(10_000n);
    expect(closeFactorBps(0n)).toBe(10_000n);
    expect(maxLiquidatableDebt(1_001n, WAD - 1n)).toBe(501n); // 500.5 rounds up
    expect(maxLiquidatableDebt(1_001n, e("0.9", 18))).toBe(1_001n);
  });

  // Worked by hand: cover 100 USDC of debt against WETH at $2000, bonus 5%, fee 10% of the bonus.
  // base = 1e8·100e6·1e18 / (2000e8·1e6) = 0.05 WETH; with bonus 0.0525; bonus part = 0.0525 − 0.05 = 0.0025,
  // fee = 0.00025 WETH, liquidator gets 0.05225.
  test("default: bonus and protocol fee split", () => {
    const out = liquidationAmounts({
      debtToCoverRaw: 100_000_000n,
      userTotalDebtRaw: 1_000_000_000n,
      healthFactorWad: e("0.97", 18),
      userCollateralBalanceRaw: WAD,
      collateralPriceBase: 2000_0000_0000n,
      debtPriceBase: 1_0000_0000n,
      collateralDecimals: 18,
      debtDecimals: 6,
      liquidationBonusBps: 10_500n,
      liquidationProtocolFeeBps: 1_000n,
    });
    expect(out).toEqual({
      debtRepaidRaw: 100_000_000n,
      collateralSeizedRaw: e("0.0525", 18),
      protocolFeeRaw: e("0.00025", 18),
      collateralToLiquidatorRaw: e("0.05225", 18),
    });
  });

  test("behavior: capped by the close factor, then by the user's collateral", () => {
    const common = {
      userTotalDebtRaw: 1_000_000_000n,
      collateralPriceBase: 2000_0000_0000n,
      debtPriceBase: 1_0000_0000n,
      collateralDecimals: 18,
      debtDecimals: 6,
      liquidationBonusBps: 10_500n,
      liquidationProtocolFeeBps: 0n,
    };
    const capped = liquidationAmounts({ ...common, debtToCoverRaw: MAX_UINT256, healthFactorWad: e("0.97", 18), userCollateralBalanceRaw: WAD });
    expect(capped.debtRepaidRaw).toBe(500_000_000n);
    expect(capped.protocolFeeRaw).toBe(0n);
    // 0.1 WETH = $200 of collateral: all of it is taken, the debt repaid is 200/1.05 USDC.
    const all = liquidationAmounts({ ...common, debtToCoverRaw: MAX_UINT256, healthFactorWad: e("0.5", 18), userCollateralBalanceRaw: WAD / 10n });
    expect(all.collateralSeizedRaw).toBe(WAD / 10n);
    expect(all.debtRepaidRaw).toBe(percentDiv(200_000_000n, 10_500n));
    expect(all.debtRepaidRaw).toBe(190_476_190n);
  });

  test("boundary: zero debt to cover, zero price", () => {
    const base = {
      userTotalDebtRaw: 10n,
      healthFactorWad: e("0.5", 18),
      userCollateralBalanceRaw: 10n,
      collateralDecimals: 0,
      debtDecimals: 0,
      liquidationBonusBps: 10_500n,
      liquidationProtocolFeeBps: 1_000n,
    };
    expect(liquidationAmounts({ ...base, debtToCoverRaw: 0n, collateralPriceBase: 1n, debtPriceBase: 1n })).toEqual({
      debtRepaidRaw: 0n,
      collateralSeizedRaw: 0n,
      protocolFeeRaw: 0n,
      collateralToLiquidatorRaw: 0n,
    });
    expect(() => liquidationAmounts({ ...base, debtToCoverRaw: 1n, collateralPriceBase: 0n, debtPriceBase: 1n })).toThrow(/collateral price is 0/);
  });
});
