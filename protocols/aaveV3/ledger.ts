/**
 * The market's state rebuilt from mapped events alone (replay): reserves, their tokens, decimals,
 * risk parameters, indexes with their timestamp, scaled balances, collateral flags, eMode and
 * oracle answers, and the account and reserve views derived from it with math.ts.
 *
 * No I/O. `applyAaveChanges` mutates the state it is given (a replay folds thousands of changes;
 * copying per change would be quadratic); everything else reads.
 */
import { getAddress, type Address } from "viem";

/**
 * getAddress with a plain-Map memo for the derived views below: a whole-market tick asks for the
 * same few assets and every account several times, and viem's own LRU (which re-inserts on every
 * hit) was a third of that tick's time. Bounded: cleared past 200,000 entries.
 */
const checksums = new Map<string, Address>();
function checksum(value: string): Address {
  let a = checksums.get(value);
  if (a === undefined) {
    a = getAddress(value);
    if (checksums.size >= 200_000) checksums.clear();
    checksums.set(value, a);
  }
  return a;
}
import { AaveLedgerError } from "./errors.js";
import type { AaveStateChange } from "./mappers.js";
import {
  normalizedDebt,
  normalizedIncome,
  scaledToActual,
  userAccountData,
  type AccountReserveInput,
  type ReserveIndexState,
  type UserAccountData,
} from "./math.js";

export interface AaveReserveState {
  asset: Address;
  aToken: Address;
  stableDebtToken: Address;
  variableDebtToken: Address;
  interestRateStrategy: Address;
  decimals: number;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  liquidationProtocolFeeBps: bigint;
  reserveFactorBps: bigint;
  eModeCategoryId: number;
  /** Null until the first ReserveDataUpdated (initReserves sets both indexes to 1 ray, rates 0). */
  indexes: ReserveIndexState | null;
}

export interface AaveEModeCategoryState {
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  priceSource: Address;
  label: string;
}

export interface AaveMarketState {
  reserves: Map<Address, AaveReserveState>;
  /** aToken / variable debt token → its reserve and role. */
  tokens: Map<Address, { asset: Address; role: "aToken" | "variableDebt" | "stableDebt" }>;
  /** Token Initialized events arrive just before their ReserveInitialized. */
  initialized: Map<Address, { decimals: number; underlyingAsset: Address; treasury: Address | null }>;
  /** token → account → scaled balance (no zero entries); setScaledBalance / scaledBalanceOf. */
  scaledBalances: Map<Address, Map<Address, bigint>>;
  /** asset → the accounts with that collateral enabled; setCollateral / isCollateral. */
  collateral: Map<Address, Set<Address>>;
  eModeCategories: Map<number, AaveEModeCategoryState>;
  userEMode: Map<Address, number>;
  assetSources: Map<Address, Address>;
  /** Latest answer per feed address (answers may precede the AssetSourceUpdated naming the feed). */
  answers: Map<Address, bigint>;
  /**
   * Prices read from AaveOracle.getAssetPrice per asset (the `priceReads` assets; the store's
   * aave_asset_price). Where present they are the asset's price and its source's answers are ignored.
   */
  readPrices: Map<Address, bigint>;
  /** Every account that ever held a scaled balance or a flag. */
  accounts: Set<Address>;
}

export function createAaveMarketState(): AaveMarketState {
  return {
    reserves: new Map(),
    tokens: new Map(),
    initialized: new Map(),
    scaledBalances: new Map(),
    collateral: new Map(),
    eModeCategories: new Map(),
    userEMode: new Map(),
    assetSources: new Map(),
    answers: new Map(),
    readPrices: new Map(),
    accounts: new Set(),
  };
}


function reserveOf(state: AaveMarketState, asset: Address, change: string): AaveReserveState {
  const r = state.reserves.get(asset);
  if (!r) {
    throw new AaveLedgerError(`${change} for asset ${asset}, which no ReserveInitialized listed; index the PoolConfigurator from the market's start block`, { asset });
  }
  return r;
}

/** Fold changes into `state` in event order (block, then log index). Mutates and returns `state`. */
export function applyAaveChanges(state: AaveMarketState, changes: readonly AaveStateChange[]): AaveMarketState {
  for (const c of changes) applyOne(state, c);
  return state;
}

function applyOne(state: AaveMarketState, c: AaveStateChange): void {
  switch (c.kind) {
    case "tokenInitialized":
      state.initialized.set(c.token, { decimals: c.decimals, underlyingAsset: c.underlyingAsset, treasury: c.treasury });
      return;
    case "reserveListed": {
      const init = state.initialized.get(c.aToken);
      if (!init) {
        throw new AaveLedgerError(`ReserveInitialized for ${c.asset} without its aToken's Initialized event (decimals); index the aToken ${c.aToken} from the same block`, {
          asset: c.asset,
        });
      }
      state.reserves.set(c.asset, {
        asset: c.asset,
        aToken: c.aToken,
        stableDebtToken: c.stableDebtToken,
        variableDebtToken: c.variableDebtToken,
        interestRateStrategy: c.interestRateStrategy,
        decimals: init.decimals,
        ltvBps: 0n,
        liquidationThresholdBps: 0n,
        liquidationBonusBps: 0n,
        liquidationProtocolFeeBps: 0n,
        reserveFactorBps: 0n,
        eModeCategoryId: 0,
        indexes: null,
      });
      state.tokens.set(c.aToken, { asset: c.asset, role: "aToken" });
      state.tokens.set(c.variableDebtToken, { asset: c.asset, role: "variableDebt" });
      state.tokens.set(c.stableDebtToken, { asset: c.asset, role: "stableDebt" });
      return;
    }
    case "collateralConfig": {
      const r = reserveOf(state, c.asset, "CollateralConfigurationChanged");
      r.ltvBps = c.ltvBps;
      r.liquidationThresholdBps = c.liquidationThresholdBps;
      r.liquidationBonusBps = c.liquidationBonusBps;
      return;
    }
    case "liquidationProtocolFee":
      reserveOf(state, c.asset, "LiquidationProtocolFeeChanged").liquidationProtocolFeeBps = c.feeBps;
      return;
    case "reserveFactor":
      reserveOf(state, c.asset, "ReserveFactorChanged").reserveFactorBps = c.reserveFactorBps;
      return;
    case "reserveIndexes":
      reserveOf(state, c.asset, "ReserveDataUpdated").indexes = {
        liquidityIndexRay: c.liquidityIndexRay,
        variableBorrowIndexRay: c.variableBorrowIndexRay,
        liquidityRateRay: c.liquidityRateRay,
        variableBorrowRateRay: c.variableBorrowRateRay,
        lastUpdateTimestamp: c.timestamp,
      };
      return;
    case "scaledBalance": {
      if (!state.tokens.has(c.token)) {
        throw new AaveLedgerError(`a balance change on ${c.token}, which is no listed reserve's aToken or debt token`, { token: c.token });
      }
      const next = (state.scaledBalances.get(c.token)?.get(c.account) ?? 0n) + c.deltaScaled;
      if (next < 0n) {
        throw new AaveLedgerError(`scaled balance of ${c.account} on ${c.token} would go negative (${next}); an earlier Mint or BalanceTransfer was missed`, {
          token: c.token,
          account: c.account,
        });
      }
      setScaledBalance(state, c.token, c.account, next);
      state.accounts.add(c.account);
      return;
    }
    case "collateralFlag":
      setCollateral(state, c.asset, c.account, c.enabled);
      state.accounts.add(c.account);
      return;
    case "eModeCategory":
      state.eModeCategories.set(c.categoryId, {
        ltvBps: c.ltvBps,
        liquidationThresholdBps: c.liquidationThresholdBps,
        liquidationBonusBps: c.liquidationBonusBps,
        priceSource: c.priceSource,
        label: c.label,
      });
      return;
    case "assetEModeCategory":
      reserveOf(state, c.asset, "EModeAssetCategoryChanged").eModeCategoryId = c.categoryId;
      return;
    case "userEMode":
      if (c.categoryId === 0) state.userEMode.delete(c.account);
      else state.userEMode.set(c.account, c.categoryId);
      return;
    case "assetSource":
      state.assetSources.set(c.asset, c.source);
      return;
    case "priceAnswer":
      state.answers.set(c.feed, c.answer);
      return;
    case "activity":
      return;
  }
}

/** Scaled balance (token decimals ÷ index) of `account` on an aToken or variable debt token. */
export function scaledBalanceOf(state: AaveMarketState, token: Address, account: Address): bigint {
  return state.scaledBalances.get(checksum(token))?.get(checksum(account)) ?? 0n;
}

/** Sets a scaled balance (0 removes the entry). Addresses as the state keeps them (checksummed). */
export function setScaledBalance(state: AaveMarketState, token: Address, account: Address, scaled: bigint): void {
  let byAccount = state.scaledBalances.get(token);
  if (scaled === 0n) {
    byAccount?.delete(account);
    return;
  }
  if (byAccount === undefined) state.scaledBalances.set(token, (byAccount = new Map()));
  byAccount.set(account, scaled);
}

/** Whether `account` has `asset` enabled as collateral (checksummed addresses). */
export function isCollateral(state: AaveMarketState, asset: Address, account: Address): boolean {
  return state.collateral.get(asset)?.has(account) ?? false;
}

/** Switches `asset` as collateral of `account` on or off (checksummed addresses). */
export function setCollateral(state: AaveMarketState, asset: Address, account: Address, enabled: boolean): void {
  let accounts = state.collateral.get(asset);
  if (!enabled) {
    accounts?.delete(account);
    return;
  }
  if (accounts === undefined) state.collateral.set(asset, (accounts = new Set()));
  accounts.add(account);
}

/** Supply index at `timestamp` (ray): Pool.getReserveNormalizedIncome in a block with that timestamp. */
export function reserveNormalizedIncome(state: AaveMarketState, asset: Address, timestamp: bigint): bigint {
  const r = reserveOf(state, checksum(asset), "a normalized income query");
  return r.indexes === null ? 10n ** 27n : normalizedIncome(r.indexes, timestamp);
}

/** Variable borrow index at `timestamp` (ray): Pool.getReserveNormalizedVariableDebt. */
export function reserveNormalizedDebt(state: AaveMarketState, asset: Address, timestamp: bigint): bigint {
  const r = reserveOf(state, checksum(asset), "a normalized debt query");
  return r.indexes === null ? 10n ** 27n : normalizedDebt(r.indexes, timestamp);
}

/**
 * AaveOracle.getAssetPrice(asset): the price read from the oracle itself when the asset is read
 * (`readPrices`, the market's `priceReads`), else the latest answer of the asset's source. A
 * source that emits no events, or a market with a fallback oracle, needs reads (README.md); this
 * throws when no positive answer is known instead of guessing.
 */
export function assetPrice(state: AaveMarketState, asset: Address): bigint {
  const a = checksum(asset);
  const read = state.readPrices.get(a);
  if (read !== undefined) return read;
  const source = state.assetSources.get(a);
  if (source === undefined) throw new AaveLedgerError(`no AssetSourceUpdated names a price source for ${a}`, { asset: a });
  const answer = state.answers.get(source);
  if (answer === undefined || answer <= 0n) {
    throw new AaveLedgerError(`price source ${source} of ${a} has ${answer === undefined ? "no AnswerUpdated yet" : `answer ${answer}`}; AaveOracle would use its fallback`, {
      asset: a,
      source,
    });
  }
  return answer;
}

/** Actual aToken balance (rayMul(scaled, normalized income)) of `account` at `timestamp`. */
export function aTokenBalanceOf(state: AaveMarketState, asset: Address, account: Address, timestamp: bigint): bigint {
  const r = reserveOf(state, checksum(asset), "an aToken balance query");
  return scaledToActual(scaledBalanceOf(state, r.aToken, account), reserveNormalizedIncome(state, r.asset, timestamp));
}

/** Actual variable debt (rayMul(scaled, normalized debt)) of `account` at `timestamp`. */
export function variableDebtOf(state: AaveMarketState, asset: Address, account: Address, timestamp: bigint): bigint {
  const r = reserveOf(state, checksum(asset), "a debt query");
  return scaledToActual(scaledBalanceOf(state, r.variableDebtToken, account), reserveNormalizedDebt(state, r.asset, timestamp));
}

/**
 * Pool.getUserAccountData(account) at a block with `timestamp`, from the folded state alone.
 * Stable debt is taken as 0: this adapter does not follow StableDebtToken (stable borrowing is
 * off on the devnet and was switched off on Aave's v3 markets).
 */
export function accountData(state: AaveMarketState, account: Address, timestamp: bigint): UserAccountData {
  const user = checksum(account);
  const categoryId = state.userEMode.get(user) ?? 0;
  const reserves: AccountReserveInput[] = [];
  for (const r of state.reserves.values()) {
    const scaledA = scaledBalanceOf(state, r.aToken, user);
    const scaledDebt = scaledBalanceOf(state, r.variableDebtToken, user);
    const usingAsCollateral = isCollateral(state, r.asset, user);
    if (!usingAsCollateral && scaledDebt === 0n) continue;
    reserves.push({
      asset: r.asset,
      decimals: r.decimals,
      ltvBps: r.ltvBps,
      liquidationThresholdBps: r.liquidationThresholdBps,
      eModeCategoryId: r.eModeCategoryId,
      priceBase: assetPrice(state, r.asset),
      scaledATokenBalance: scaledA,
      scaledVariableDebt: scaledDebt,
      normalizedIncomeRay: reserveNormalizedIncome(state, r.asset, timestamp),
      normalizedDebtRay: reserveNormalizedDebt(state, r.asset, timestamp),
      usingAsCollateral,
    });
  }
  if (categoryId === 0) return userAccountData({ reserves, userEModeCategoryId: 0 });
  const category = state.eModeCategories.get(categoryId);
  if (!category) throw new AaveLedgerError(`${user} is in eMode category ${categoryId}, which no EModeCategoryAdded defined`, { account: user, categoryId });
  const zero = "0x0000000000000000000000000000000000000000";
  return userAccountData({
    reserves,
    userEModeCategoryId: categoryId,
    eModeCategory: {
      ltvBps: category.ltvBps,
      liquidationThresholdBps: category.liquidationThresholdBps,
      priceBase: category.priceSource === zero ? 0n : assetPrice(state, category.priceSource),
    },
  });
}
