/**
 * One Aave v3 account as plain numbers at one block: per reserve the actual aToken balance and
 * variable debt (index applied), the risk parameters and the oracle price that apply to this user
 * (eMode resolved), and the user's eMode category. Everything the protocol's rule, the liquidator
 * view, the risk-adjusted view and the stress cascade read; the ledger (protocols/aaveV3/ledger.ts)
 * is read once, here, and a snapshot can be changed (a simulated liquidation) without touching it.
 */
import { getAddress, type Address } from "viem";
import { assetPrice, isCollateral, type AaveMarketState, type AaveReserveState } from "../../protocols/aaveV3/ledger.js";
import { normalizedDebt, normalizedIncome, RAY, scaledToActual, userAccountData, type UserAccountData } from "../../protocols/aaveV3/math.js";
import { DomainInputError } from "./errors.js";

/** One reserve of one account, as the rule sees it for this user. */
export interface AaveReservePosition {
  asset: Address;
  decimals: number;
  /** the reserve's own parameters (basis points) */
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  liquidationProtocolFeeBps: bigint;
  /** the reserve's eMode category (0 = none) */
  eModeCategoryId: number;
  /** AaveOracle.getAssetPrice(asset), base-currency units per whole token */
  priceBase: bigint;
  /** AToken.balanceOf(user): rayMul(scaled, normalized income), token units */
  collateralRaw: bigint;
  /** VariableDebtToken.balanceOf(user): rayMul(scaled, normalized debt), token units */
  debtRaw: bigint;
  /** the user's collateral bit */
  usingAsCollateral: boolean;
}

/** The user's eMode category, with the price of its price source (0 = none). */
export interface AaveEModePosition {
  categoryId: number;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  /** the category's price source (an asset AaveOracle prices), null when it has none */
  priceSourceAsset: Address | null;
  /** AaveOracle.getAssetPrice(priceSource), 0 when there is none */
  priceBase: bigint;
}

/** One account of one Aave market at one block: what every domain function reads. */
export interface AaveAccountSnapshot {
  account: Address;
  /** unix seconds of the block the balances are taken at (the indexed block) */
  timestamp: bigint;
  reserves: AaveReservePosition[];
  /** null when the user is in no eMode category */
  eMode: AaveEModePosition | null;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** A reserve's normalized income and debt at a time, memoised per stored index state (replaced on every ReserveDataUpdated). */
const indexMemo = new WeakMap<object, { timestamp: bigint; income: bigint; debt: bigint }>();
const ONE_RAY_INDEXES = { income: RAY, debt: RAY };
function indexesAt(r: AaveReserveState, timestamp: bigint): { income: bigint; debt: bigint } {
  if (r.indexes === null) return ONE_RAY_INDEXES;
  const m = indexMemo.get(r.indexes);
  if (m !== undefined && m.timestamp === timestamp) return m;
  const fresh = { timestamp, income: normalizedIncome(r.indexes, timestamp), debt: normalizedDebt(r.indexes, timestamp) };
  indexMemo.set(r.indexes, fresh);
  return fresh;
}

/**
 * Reads `account`'s position from the folded market at a block with `timestamp` (seconds):
 * balances by Aave's index math (ledger.ts `aTokenBalanceOf`, `variableDebtOf`), prices by
 * `assetPrice`. Only reserves the user has a balance, a debt or a collateral bit in are listed.
 * Exact: `snapshotAccountData(aaveAccountSnapshot(s, u, t))` equals `accountData(s, u, t)` (tested).
 * Example: `aaveAccountSnapshot(state, "0xAlice…", 1_750_000_000n).reserves[0].collateralRaw`.
 */
export function aaveAccountSnapshot(state: AaveMarketState, account: Address, timestamp: bigint): AaveAccountSnapshot {
  // accounts the state lists are checksummed already (checksumming is most of a snapshot's cost otherwise)
  const user = state.accounts.has(account) ? account : getAddress(account);
  const reserves: AaveReservePosition[] = [];
  for (const r of state.reserves.values()) {
    const usingAsCollateral = isCollateral(state, r.asset, user);
    // the state's own (checksummed) keys: no lookups through checksum(); indexes once per reserve and time
    const scaledA = state.scaledBalances.get(r.aToken)?.get(user) ?? 0n;
    const scaledD = state.scaledBalances.get(r.variableDebtToken)?.get(user) ?? 0n;
    const collateralRaw = scaledA === 0n ? 0n : scaledToActual(scaledA, indexesAt(r, timestamp).income);
    const debtRaw = scaledD === 0n ? 0n : scaledToActual(scaledD, indexesAt(r, timestamp).debt);
    if (!usingAsCollateral && collateralRaw === 0n && debtRaw === 0n) continue;
    // a price is needed only where the rule values something (accountData throws the same way)
    const priced = usingAsCollateral || debtRaw !== 0n;
    reserves.push({
      asset: r.asset,
      decimals: r.decimals,
      ltvBps: r.ltvBps,
      liquidationThresholdBps: r.liquidationThresholdBps,
      liquidationBonusBps: r.liquidationBonusBps,
      liquidationProtocolFeeBps: r.liquidationProtocolFeeBps,
      eModeCategoryId: r.eModeCategoryId,
      priceBase: priced ? assetPrice(state, r.asset) : 0n,
      collateralRaw,
      debtRaw,
      usingAsCollateral,
    });
  }
  const categoryId = state.userEMode.get(user) ?? 0;
  let eMode: AaveEModePosition | null = null;
  if (categoryId !== 0) {
    const c = state.eModeCategories.get(categoryId);
    if (!c) throw new DomainInputError(`${user} is in eMode category ${categoryId}, which no EModeCategoryAdded defined`, { account: user, categoryId });
    const source = c.priceSource === ZERO_ADDRESS ? null : getAddress(c.priceSource);
    eMode = {
      categoryId,
      ltvBps: c.ltvBps,
      liquidationThresholdBps: c.liquidationThresholdBps,
      liquidationBonusBps: c.liquidationBonusBps,
      priceSourceAsset: source,
      priceBase: source === null ? 0n : assetPrice(state, source),
    };
  }
  return { account: user, timestamp, reserves, eMode };
}

/** True when the reserve is in the user's eMode category (its LT, LTV, bonus and maybe price are the category's). */
export function inUserCategory(snapshot: AaveAccountSnapshot, r: AaveReservePosition): boolean {
  return snapshot.eMode !== null && r.eModeCategoryId === snapshot.eMode.categoryId;
}

/**
 * The price the protocol uses for this reserve and this user (base units per whole token): the
 * eMode category's source price when the reserve is in the user's category and the category has a
 * source, else the reserve's oracle price (GenericLogic and LiquidationLogic of v3.0).
 * Example: WETH in an ETH-correlated category priced by WETH → WETH's price either way.
 */
export function effectivePriceBase(snapshot: AaveAccountSnapshot, r: AaveReservePosition): bigint {
  if (inUserCategory(snapshot, r) && snapshot.eMode!.priceBase !== 0n) return snapshot.eMode!.priceBase;
  return r.priceBase;
}

/** The liquidation threshold that applies to this user (bps): the category's in eMode, else the reserve's. */
export function effectiveThresholdBps(snapshot: AaveAccountSnapshot, r: AaveReservePosition): bigint {
  return inUserCategory(snapshot, r) ? snapshot.eMode!.liquidationThresholdBps : r.liquidationThresholdBps;
}

/** The LTV that applies to this user (bps): the category's in eMode (when the reserve's own LTV ≠ 0), else the reserve's. */
export function effectiveLtvBps(snapshot: AaveAccountSnapshot, r: AaveReservePosition): bigint {
  if (r.ltvBps === 0n) return 0n;
  return inUserCategory(snapshot, r) ? snapshot.eMode!.ltvBps : r.ltvBps;
}

/** The liquidation bonus a liquidator gets seizing this reserve from this user (bps, e.g. 10500). */
export function effectiveBonusBps(snapshot: AaveAccountSnapshot, r: AaveReservePosition): bigint {
  return inUserCategory(snapshot, r) ? snapshot.eMode!.liquidationBonusBps : r.liquidationBonusBps;
}

/** A reserve the rule counts as collateral: the bit on and a liquidation threshold ≠ 0 (what a liquidator may seize). */
export function countsAsCollateral(r: AaveReservePosition): boolean {
  return r.usingAsCollateral && r.liquidationThresholdBps !== 0n;
}

/**
 * Pool.getUserAccountData for a snapshot: math.ts `userAccountData` with the actual balances as
 * scaled balances at index 1 ray (rayMul(x, 1 ray) = x exactly), so the result is the contract's.
 * Example: `snapshotAccountData(s).healthFactorWad` (null with no debt).
 */
export function snapshotAccountData(snapshot: AaveAccountSnapshot): UserAccountData {
  const reserves = snapshot.reserves.map((r) => ({
    asset: r.asset,
    decimals: r.decimals,
    ltvBps: r.ltvBps,
    liquidationThresholdBps: r.liquidationThresholdBps,
    eModeCategoryId: r.eModeCategoryId,
    priceBase: r.priceBase,
    scaledATokenBalance: r.collateralRaw,
    scaledVariableDebt: r.debtRaw,
    normalizedIncomeRay: RAY,
    normalizedDebtRay: RAY,
    usingAsCollateral: r.usingAsCollateral,
  }));
  if (snapshot.eMode === null) return userAccountData({ reserves, userEModeCategoryId: 0 });
  return userAccountData({
    reserves,
    userEModeCategoryId: snapshot.eMode.categoryId,
    eModeCategory: { ltvBps: snapshot.eMode.ltvBps, liquidationThresholdBps: snapshot.eMode.liquidationThresholdBps, priceBase: snapshot.eMode.priceBase },
  });
}

/** A copy with one reserve's oracle price replaced (and the category's, when that reserve is its source). */
export function withPrice(snapshot: AaveAccountSnapshot, asset: Address, priceBase: bigint): AaveAccountSnapshot {
  if (priceBase < 0n) throw new DomainInputError(`a price must be ≥ 0, got ${priceBase} for ${asset}`, { asset });
  const eMode = snapshot.eMode !== null && snapshot.eMode.priceSourceAsset === asset ? { ...snapshot.eMode, priceBase } : snapshot.eMode;
  return { ...snapshot, eMode, reserves: snapshot.reserves.map((r) => (r.asset === asset ? { ...r, priceBase } : r)) };
}
