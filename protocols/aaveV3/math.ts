/**
 * Aave v3.0 arithmetic, exactly as the contracts of `@aave/core-v3@1.19.3` compute it: WadRayMath,
 * PercentageMath, MathUtils' interest, ReserveLogic's normalized income and debt,
 * GenericLogic.calculateUserAccountData and LiquidationLogic's debt and collateral amounts.
 *
 * Pure bigint functions, no I/O. Where the contract would revert (a uint256 overflow, a division
 * by zero) they throw AaveMathError instead of returning a number the chain never would.
 * Units: ray = 1e27 (indexes, rates per year), wad = 1e18 (health factor), basis points = 1e4
 * (LTV, liquidation threshold, bonus, fees), base currency = the oracle's unit (USD × 1e8 on
 * most markets), token amounts in the token's own decimals.
 */
import { AaveMathError } from "./errors.js";

/** 1e18: the health factor's unit (WadRayMath.WAD). */
export const WAD = 10n ** 18n;
/** 0.5e18: added before dividing by WAD, so wad products round half up. */
export const HALF_WAD = WAD / 2n;
/** 1e27: the unit of indexes and yearly rates (WadRayMath.RAY). */
export const RAY = 10n ** 27n;
/** 0.5e27: added before dividing by RAY, so ray products round half up. */
export const HALF_RAY = RAY / 2n;
/** 1e4 = 100.00%: LTV, thresholds, bonus and fees are basis points of it. */
export const PERCENTAGE_FACTOR = 10_000n;
/** 0.5e4: added before dividing by PERCENTAGE_FACTOR (half up). */
export const HALF_PERCENTAGE_FACTOR = PERCENTAGE_FACTOR / 2n;
/** type(uint256).max: where the contract reverts on overflow; also its "no debt" health factor. */
export const MAX_UINT256 = 2n ** 256n - 1n;
/** MathUtils.SECONDS_PER_YEAR: 365 days, no leap years. */
export const SECONDS_PER_YEAR = 31_536_000n;
/** LiquidationLogic: 50% of the debt may be covered while the health factor is above the threshold. */
export const DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS = 5_000n;
/** LiquidationLogic: 100% of the debt may be covered at or below the threshold. */
export const MAX_LIQUIDATION_CLOSE_FACTOR_BPS = 10_000n;
/** LiquidationLogic.CLOSE_FACTOR_HF_THRESHOLD: health factor 0.95 (wad). */
export const CLOSE_FACTOR_HF_THRESHOLD_WAD = 950_000_000_000_000_000n;
/** Below this health factor (wad, 1.0) a position can be liquidated. */
export const HEALTH_FACTOR_LIQUIDATION_THRESHOLD_WAD = WAD;

function checkUint(value: bigint, what: string): bigint {
  if (value < 0n || value > MAX_UINT256) {
    throw new AaveMathError(`${what} is ${value}; the contract works in uint256 (0 ≤ x < 2^256) and would revert`, { what, value: value.toString() });
  }
  return value;
}

function inputs(fn: string, ...values: bigint[]): void {
  for (const v of values) checkUint(v, `an input of ${fn}`);
}

/**
 * a × b / 1e27, rounded half up (WadRayMath.rayMul).
 * Reverts (throws) when a × b + HALF_RAY overflows uint256.
 * @example rayMul(2n * RAY, 3n * RAY) === 6n * RAY; rayMul(1n, HALF_RAY) === 1n (0.5 rounds up)
 */
export function rayMul(a: bigint, b: bigint): bigint {
  inputs("rayMul", a, b);
  if (b !== 0n && a > (MAX_UINT256 - HALF_RAY) / b) throw new AaveMathError(`rayMul(${a}, ${b}) overflows uint256: the contract reverts`, {});
  return (a * b + HALF_RAY) / RAY;
}

/**
 * a × 1e27 / b, rounded half up (WadRayMath.rayDiv). Reverts (throws) on b = 0 or overflow.
 * @example rayDiv(3n, 2n * RAY) === 2n (1.5 rounds up)
 */
export function rayDiv(a: bigint, b: bigint): bigint {
  inputs("rayDiv", a, b);
  if (b === 0n) throw new AaveMathError(`rayDiv(${a}, 0): division by zero, the contract reverts`, {});
  if (a > (MAX_UINT256 - b / 2n) / RAY) throw new AaveMathError(`rayDiv(${a}, ${b}) overflows uint256: the contract reverts`, {});
  return (a * RAY + b / 2n) / b;
}

/**
 * a × b / 1e18, rounded half up (WadRayMath.wadMul).
 * @example wadMul(WAD / 2n, 3n * WAD) === 3n * WAD / 2n
 */
export function wadMul(a: bigint, b: bigint): bigint {
  inputs("wadMul", a, b);
  if (b !== 0n && a > (MAX_UINT256 - HALF_WAD) / b) throw new AaveMathError(`wadMul(${a}, ${b}) overflows uint256: the contract reverts`, {});
  return (a * b + HALF_WAD) / WAD;
}

/**
 * a × 1e18 / b, rounded half up (WadRayMath.wadDiv): the health factor's last step.
 * @example wadDiv(3n, 2n) === 1_500_000_000_000_000_000n
 */
export function wadDiv(a: bigint, b: bigint): bigint {
  inputs("wadDiv", a, b);
  if (b === 0n) throw new AaveMathError(`wadDiv(${a}, 0): division by zero, the contract reverts`, {});
  if (a > (MAX_UINT256 - b / 2n) / WAD) throw new AaveMathError(`wadDiv(${a}, ${b}) overflows uint256: the contract reverts`, {});
  return (a * WAD + b / 2n) / b;
}

/**
 * value × bps / 1e4, rounded half up (PercentageMath.percentMul).
 * @example percentMul(10_001n, 5_000n) === 5_001n (5000.5 rounds up)
 */
export function percentMul(value: bigint, bps: bigint): bigint {
  inputs("percentMul", value, bps);
  if (bps !== 0n && value > (MAX_UINT256 - HALF_PERCENTAGE_FACTOR) / bps) {
    throw new AaveMathError(`percentMul(${value}, ${bps}) overflows uint256: the contract reverts`, {});
  }
  return (value * bps + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;
}

/**
 * value × 1e4 / bps, rounded half up (PercentageMath.percentDiv). Reverts (throws) on bps = 0.
 * @example percentDiv(10_500n, 10_500n) === 10_000n
 */
export function percentDiv(value: bigint, bps: bigint): bigint {
  inputs("percentDiv", value, bps);
  if (bps === 0n) throw new AaveMathError(`percentDiv(${value}, 0): division by zero, the contract reverts`, {});
  if (value > (MAX_UINT256 - bps / 2n) / PERCENTAGE_FACTOR) {
    throw new AaveMathError(`percentDiv(${value}, ${bps}) overflows uint256: the contract reverts`, {});
  }
  return (value * PERCENTAGE_FACTOR + bps / 2n) / bps;
}

function elapsedSeconds(lastUpdateTimestamp: bigint, timestamp: bigint, fn: string): bigint {
  if (timestamp < lastUpdateTimestamp) {
    throw new AaveMathError(
      `${fn}: timestamp ${timestamp} is before the last index update at ${lastUpdateTimestamp}; pass a time at or after the last ReserveDataUpdated block`,
      { lastUpdateTimestamp: lastUpdateTimestamp.toString(), timestamp: timestamp.toString() },
    );
  }
  return timestamp - lastUpdateTimestamp;
}

/**
 * The supply-side growth factor (ray) over [last, now]: 1 + rate × Δt / year, the division
 * rounding down (MathUtils.calculateLinearInterest).
 * @param rateRay the reserve's currentLiquidityRate (ray per year)
 * @example linearInterest(RAY / 10n, 0n, SECONDS_PER_YEAR) === RAY + RAY / 10n (10% for a year)
 */
export function linearInterest(rateRay: bigint, lastUpdateTimestamp: bigint, timestamp: bigint): bigint {
  inputs("linearInterest", rateRay);
  const dt = elapsedSeconds(lastUpdateTimestamp, timestamp, "linearInterest");
  return RAY + checkUint(rateRay * dt, "rate × Δt") / SECONDS_PER_YEAR;
}

/**
 * The borrow-side growth factor (ray) over [last, now], Aave's three-term binomial approximation
 * of (1 + rate/year)^Δt (MathUtils.calculateCompoundedInterest):
 * 1 + r·n + n(n−1)/2 · r² + n(n−1)(n−2)/6 · r³ with r = rate / year per second, n = Δt, each
 * product truncated in the contract's order (r² = rayMul(rate, rate) / year², r³ = rayMul(r², rate) / year).
 * @param rateRay the reserve's currentVariableBorrowRate (ray per year)
 * @example compoundedInterest(rate, t, t) === RAY (no time, no interest)
 */
export function compoundedInterest(rateRay: bigint, lastUpdateTimestamp: bigint, timestamp: bigint): bigint {
  inputs("compoundedInterest", rateRay);
  const exp = elapsedSeconds(lastUpdateTimestamp, timestamp, "compoundedInterest");
  if (exp === 0n) return RAY;
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rateRay, rateRay) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rateRay) / SECONDS_PER_YEAR;
  const secondTerm = checkUint(exp * expMinusOne * basePowerTwo, "exp·(exp−1)·base²") / 2n;
  const thirdTerm = checkUint(exp * expMinusOne * expMinusTwo * basePowerThree, "exp·(exp−1)·(exp−2)·base³") / 6n;
  return checkUint(RAY + checkUint(rateRay * exp, "rate × exp") / SECONDS_PER_YEAR + secondTerm + thirdTerm, "compounded interest");
}

/** A reserve's stored interest state as the last `ReserveDataUpdated` left it (all ray), and when. */
export interface ReserveIndexState {
  liquidityIndexRay: bigint;
  variableBorrowIndexRay: bigint;
  liquidityRateRay: bigint;
  variableBorrowRateRay: bigint;
  /** Block timestamp (seconds) of the transaction that emitted that ReserveDataUpdated. */
  lastUpdateTimestamp: bigint;
}

/**
 * The supply index at `timestamp` (ray), as Pool.getReserveNormalizedIncome returns it in a block
 * with that timestamp: the stored index when nothing elapsed, else
 * rayMul(linearInterest(liquidityRate, last, timestamp), liquidityIndex).
 * @example normalizedIncome({ liquidityIndexRay: RAY, liquidityRateRay: RAY / 10n, … lastUpdateTimestamp: 0n }, SECONDS_PER_YEAR) === 11n * RAY / 10n
 */
export function normalizedIncome(reserve: ReserveIndexState, timestamp: bigint): bigint {
  if (timestamp === reserve.lastUpdateTimestamp) return reserve.liquidityIndexRay;
  return rayMul(linearInterest(reserve.liquidityRateRay, reserve.lastUpdateTimestamp, timestamp), reserve.liquidityIndexRay);
}

/**
 * The variable borrow index at `timestamp` (ray), as Pool.getReserveNormalizedVariableDebt
 * returns it: rayMul(compoundedInterest(variableBorrowRate, last, timestamp), variableBorrowIndex).
 * Like the view function it compounds even while nobody borrows (the stored index does not).
 */
export function normalizedDebt(reserve: ReserveIndexState, timestamp: bigint): bigint {
  if (timestamp === reserve.lastUpdateTimestamp) return reserve.variableBorrowIndexRay;
  return rayMul(compoundedInterest(reserve.variableBorrowRateRay, reserve.lastUpdateTimestamp, timestamp), reserve.variableBorrowIndexRay);
}

/**
 * A token amount from a scaled balance: rayMul(scaled, index), half up, as AToken.balanceOf and
 * VariableDebtToken.balanceOf compute it.
 * @example scaledToActual(1_000_000n, 2n * RAY) === 2_000_000n
 */
export function scaledToActual(scaledRaw: bigint, indexRay: bigint): bigint {
  return rayMul(scaledRaw, indexRay);
}

/**
 * The scaled amount minted or burnt for a token amount: rayDiv(amount, index), half up (what
 * ScaledBalanceTokenBase._mintScaled/_burnScaled store).
 */
export function actualToScaled(amountRaw: bigint, indexRay: bigint): bigint {
  return rayDiv(amountRaw, indexRay);
}

/** One reserve of a user's position, as GenericLogic.calculateUserAccountData reads it. */
export interface AccountReserveInput {
  /** For error messages and the liquidator view; not part of the arithmetic. */
  asset: string;
  decimals: number;
  /** Reserve configuration (basis points). */
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  /** The reserve's eMode category (0 = none). */
  eModeCategoryId: number;
  /** AaveOracle.getAssetPrice(asset), base-currency units per whole token. */
  priceBase: bigint;
  scaledATokenBalance: bigint;
  scaledVariableDebt: bigint;
  /** StableDebtToken.balanceOf(user), already with interest (0 on markets without stable borrowing). */
  stableDebtRaw?: bigint;
  /** Pool.getReserveNormalizedIncome / getReserveNormalizedVariableDebt at the block (ray). */
  normalizedIncomeRay: bigint;
  normalizedDebtRay: bigint;
  /** The user's collateral bit for this reserve (ReserveUsedAsCollateralEnabled/Disabled). */
  usingAsCollateral: boolean;
}

/** An eMode category as the configurator set it (EModeCategoryAdded). */
export interface EModeCategoryInput {
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  /** AaveOracle.getAssetPrice(category.priceSource), or 0 when the category has no price source. */
  priceBase: bigint;
}

export interface UserAccountDataInput {
  reserves: readonly AccountReserveInput[];
  /** The user's eMode category (UserEModeSet), 0 = none. */
  userEModeCategoryId: number;
  /** Required when userEModeCategoryId ≠ 0. */
  eModeCategory?: EModeCategoryInput;
}

/** Pool.getUserAccountData's six numbers, plus GenericLogic's zero-LTV flag. */
export interface UserAccountData {
  /** Σ rayMul(scaledA, income) × price / 10^decimals over collateral-enabled reserves with LT ≠ 0 (each term floored). */
  totalCollateralBase: bigint;
  /** Σ (rayMul(scaledDebt, debtIndex) + stable) × price / 10^decimals over borrowed reserves (each term floored). */
  totalDebtBase: bigint;
  /** max(0, percentMul(totalCollateralBase, ltv) − totalDebtBase). */
  availableBorrowsBase: bigint;
  /** Collateral-weighted average liquidation threshold, floored to whole basis points. */
  currentLiquidationThresholdBps: bigint;
  /** Collateral-weighted average LTV (reserves with LTV 0 weigh 0 but count in the denominator), floored. */
  ltvBps: bigint;
  /**
   * wadDiv(percentMul(totalCollateralBase, currentLiquidationThreshold), totalDebtBase); null when
   * there is no debt (the contract returns type(uint256).max there).
   */
  healthFactorWad: bigint | null;
  /** Some enabled collateral has LTV 0 (the contract then forbids borrowing and some withdrawals). */
  hasZeroLtvCollateral: boolean;
}

/**
 * A user's account data exactly as GenericLogic.calculateUserAccountData (v3.0) computes it:
 * per reserve, collateral value = rayMul(scaledA, normalizedIncome) × price / unit (floored) when
 * LT ≠ 0 and the collateral bit is on; debt value = (rayMul(scaledDebt, normalizedDebt) + stable)
 * × price / unit (floored); in eMode, reserves of the user's category use the category's LTV/LT
 * and, if it has a price source, its price for every reserve of the category. Averages are
 * Σ value × bps / Σ value, floored (whole basis points), then healthFactor = wadDiv(percentMul(total
 * collateral, avg LT), total debt).
 *
 * @example userAccountData({ userEModeCategoryId: 0, reserves: [usdc(1000 supplied, LT 8500), weth(0.25 borrowed at $2000)] })
 *          // → totalCollateralBase 1000e8, totalDebtBase 500e8, LT 8500, HF 1.7e18
 */
export function userAccountData(input: UserAccountDataInput): UserAccountData {
  const eMode = input.userEModeCategoryId !== 0;
  if (eMode && input.eModeCategory === undefined) {
    throw new AaveMathError(`user is in eMode category ${input.userEModeCategoryId} but no category configuration was given; pass eModeCategory (EModeCategoryAdded)`, {
      categoryId: input.userEModeCategoryId,
    });
  }
  let totalCollateral = 0n;
  let totalDebt = 0n;
  let avgLtv = 0n;
  let avgLt = 0n;
  let hasZeroLtvCollateral = false;
  for (const r of input.reserves) {
    if (!Number.isInteger(r.decimals) || r.decimals < 0 || r.decimals > 77) {
      throw new AaveMathError(`reserve ${r.asset} has decimals ${r.decimals}; expected an integer 0–77`, { asset: r.asset });
    }
    const stable = r.stableDebtRaw ?? 0n;
    const borrowing = r.scaledVariableDebt !== 0n || stable !== 0n;
    if (!r.usingAsCollateral && !borrowing) continue;
    const unit = 10n ** BigInt(r.decimals);
    const inCategory = eMode && r.eModeCategoryId === input.userEModeCategoryId;
    const price = inCategory && input.eModeCategory!.priceBase !== 0n ? input.eModeCategory!.priceBase : r.priceBase;
    if (r.liquidationThresholdBps !== 0n && r.usingAsCollateral) {
      const value = checkUint(rayMul(r.scaledATokenBalance, r.normalizedIncomeRay) * price, `collateral value of ${r.asset}`) / unit;
      totalCollateral += value;
      if (r.ltvBps !== 0n) avgLtv += value * (inCategory ? input.eModeCategory!.ltvBps : r.ltvBps);
      else hasZeroLtvCollateral = true;
      avgLt += value * (inCategory ? input.eModeCategory!.liquidationThresholdBps : r.liquidationThresholdBps);
    }
    if (borrowing) {
      const variable = r.scaledVariableDebt === 0n ? 0n : rayMul(r.scaledVariableDebt, r.normalizedDebtRay);
      totalDebt += checkUint((variable + stable) * price, `debt value of ${r.asset}`) / unit;
    }
  }
  checkUint(totalCollateral, "total collateral");
  checkUint(totalDebt, "total debt");
  const ltvBps = totalCollateral !== 0n ? avgLtv / totalCollateral : 0n;
  const ltBps = totalCollateral !== 0n ? avgLt / totalCollateral : 0n;
  const healthFactorWad = totalDebt === 0n ? null : wadDiv(percentMul(totalCollateral, ltBps), totalDebt);
  const borrowable = percentMul(totalCollateral, ltvBps);
  return {
    totalCollateralBase: totalCollateral,
    totalDebtBase: totalDebt,
    availableBorrowsBase: borrowable < totalDebt ? 0n : borrowable - totalDebt,
    currentLiquidationThresholdBps: ltBps,
    ltvBps,
    healthFactorWad,
    hasZeroLtvCollateral,
  };
}

/**
 * The share of a debt a liquidator may cover in one call (basis points): 50% while the health
 * factor is above 0.95, 100% at or below it (LiquidationLogic._calculateDebt).
 * @example closeFactorBps(960_000_000_000_000_000n) === 5_000n; closeFactorBps(950_000_000_000_000_000n) === 10_000n
 */
export function closeFactorBps(healthFactorWad: bigint): bigint {
  return healthFactorWad > CLOSE_FACTOR_HF_THRESHOLD_WAD ? DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS : MAX_LIQUIDATION_CLOSE_FACTOR_BPS;
}

/**
 * The most debt one liquidationCall can repay: percentMul(totalDebt, closeFactor), half up.
 * @param userTotalDebtRaw the user's debt in the debt asset (variable with interest + stable)
 */
export function maxLiquidatableDebt(userTotalDebtRaw: bigint, healthFactorWad: bigint): bigint {
  return percentMul(userTotalDebtRaw, closeFactorBps(healthFactorWad));
}

export interface LiquidationInput {
  /** What the liquidator asks to cover (debt asset units); capped by the close factor. */
  debtToCoverRaw: bigint;
  /** The user's whole debt in the debt asset (variable with interest + stable). */
  userTotalDebtRaw: bigint;
  /** The user's health factor (wad) before the call; the call reverts unless it is below 1. */
  healthFactorWad: bigint;
  /** AToken.balanceOf(user) for the collateral: rayMul(scaled, normalizedIncome). */
  userCollateralBalanceRaw: bigint;
  collateralPriceBase: bigint;
  debtPriceBase: bigint;
  collateralDecimals: number;
  debtDecimals: number;
  /** Liquidation bonus, basis points above 10000 (10500 = 5%); the eMode category's when it applies. */
  liquidationBonusBps: bigint;
  /** The collateral reserve's liquidation protocol fee, basis points of the bonus. */
  liquidationProtocolFeeBps: bigint;
}

export interface LiquidationAmounts {
  /** Debt actually repaid (LiquidationCall.debtToCover). */
  debtRepaidRaw: bigint;
  /** Collateral the liquidator receives (LiquidationCall.liquidatedCollateralAmount), fee excluded. */
  collateralToLiquidatorRaw: bigint;
  /** Collateral sent to the treasury as aTokens (the protocol's share of the bonus). */
  protocolFeeRaw: bigint;
  /** Collateral the user loses: liquidator's share + fee. */
  collateralSeizedRaw: bigint;
}

/**
 * What a liquidationCall repays and hands out, as LiquidationLogic (v3.0) computes it:
 * debt = min(debtToCover, percentMul(totalDebt, closeFactor)); base collateral =
 * debtPrice × debt × collUnit / (collPrice × debtUnit) (floored); with the bonus
 * percentMul(base, bonus); if that exceeds the user's collateral, all of it is taken and the debt
 * shrinks to percentDiv(collPrice × coll × debtUnit / (debtPrice × collUnit), bonus). The protocol
 * fee is percentMul(coll − percentDiv(coll, bonus), fee), taken out of the liquidator's share.
 * The contract also caps the fee at the user's remaining scaled balance (1-wei imprecision); that
 * cap needs the scaled balance and is left to the caller.
 * @example liquidationAmounts({ debtToCoverRaw: 100e6, …, bonus 10500, fee 1000 }) // 105 USD of collateral, 0.5 USD of it to the treasury
 */
export function liquidationAmounts(input: LiquidationInput): LiquidationAmounts {
  const debt0 = input.debtToCoverRaw;
  const maxDebt = maxLiquidatableDebt(input.userTotalDebtRaw, input.healthFactorWad);
  const debtToLiquidate = debt0 > maxDebt ? maxDebt : debt0;
  const collUnit = 10n ** BigInt(input.collateralDecimals);
  const debtUnit = 10n ** BigInt(input.debtDecimals);
  const denominator = checkUint(input.collateralPriceBase * debtUnit, "collateral price × debt unit");
  if (denominator === 0n) throw new AaveMathError("collateral price is 0: the contract divides by it and reverts", {});
  const baseCollateral = checkUint(input.debtPriceBase * debtToLiquidate * collUnit, "debt price × debt × collateral unit") / denominator;
  const maxCollateral = percentMul(baseCollateral, input.liquidationBonusBps);
  let collateralAmount: bigint;
  let debtNeeded: bigint;
  if (maxCollateral > input.userCollateralBalanceRaw) {
    collateralAmount = input.userCollateralBalanceRaw;
    const debtDen = checkUint(input.debtPriceBase * collUnit, "debt price × collateral unit");
    if (debtDen === 0n) throw new AaveMathError("debt price is 0: the contract divides by it and reverts", {});
    debtNeeded = percentDiv(checkUint(input.collateralPriceBase * collateralAmount * debtUnit, "collateral price × amount × debt unit") / debtDen, input.liquidationBonusBps);
  } else {
    collateralAmount = maxCollateral;
    debtNeeded = debtToLiquidate;
  }
  let fee = 0n;
  if (input.liquidationProtocolFeeBps !== 0n) {
    const bonusCollateral = collateralAmount - percentDiv(collateralAmount, input.liquidationBonusBps);
    fee = percentMul(bonusCollateral, input.liquidationProtocolFeeBps);
  }
  return {
    debtRepaidRaw: debtNeeded,
    collateralToLiquidatorRaw: collateralAmount - fee,
    protocolFeeRaw: fee,
    collateralSeizedRaw: collateralAmount,
  };
}
