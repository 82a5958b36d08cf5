/**
 * Pure mappers: one decoded Aave v3.0 event in, the normalized state changes it implies out.
 * No I/O; the caller decodes the log with the ABI of the contract it registered (Ponder does so
 * per contract entry) and passes the block timestamp.
 *
 * The rules (checked against the contracts of @aave/core-v3 1.19.3; see README.md):
 * - Balances are scaled (divided by the reserve's index when they move) and only the token events
 *   say how they moved: `Mint(caller, onBehalfOf, value, balanceIncrease, index)` adds
 *   rayDiv(value − balanceIncrease, index) when value ≥ balanceIncrease, else subtracts
 *   rayDiv(balanceIncrease − value, index) (a withdraw or repay smaller than the interest accrued);
 *   `Burn(from, target, value, balanceIncrease, index)` subtracts rayDiv(value + balanceIncrease, index);
 *   `BalanceTransfer(from, to, value, index)` moves `value`, which is already scaled.
 * - Indexes come from `ReserveDataUpdated` with its block timestamp; between updates they grow by
 *   math.ts's normalizedIncome / normalizedDebt.
 * - Pool actions (Supply, Withdraw, Borrow, Repay, LiquidationCall) say what happened, not balances.
 */
import { getAddress, type Address, type DecodeEventLogReturnType } from "viem";
import { priceFeedAbi } from "../../abis/index.js";
import { aaveATokenAbi, aaveOracleAbi, aavePoolAbi, aavePoolConfiguratorAbi, aaveVariableDebtTokenAbi } from "./abis.js";
import { rayDiv } from "./math.js";

/** The contracts an Aave v3 market's indexer listens to. */
export type AaveContractKind = "pool" | "poolConfigurator" | "oracle" | "aToken" | "variableDebtToken" | "priceFeed";

interface Meta {
  /** The emitting contract. */
  address: Address;
  /** Seconds; the timestamp of the block the event is in. */
  blockTimestamp: bigint;
}

/** A decoded event of one of the market's contracts (viem's decodeEventLog result plus where and when). */
export type AaveEvent =
  | ({ contract: "pool" } & DecodeEventLogReturnType<typeof aavePoolAbi> & Meta)
  | ({ contract: "poolConfigurator" } & DecodeEventLogReturnType<typeof aavePoolConfiguratorAbi> & Meta)
  | ({ contract: "oracle" } & DecodeEventLogReturnType<typeof aaveOracleAbi> & Meta)
  | ({ contract: "aToken" } & DecodeEventLogReturnType<typeof aaveATokenAbi> & Meta)
  | ({ contract: "variableDebtToken" } & DecodeEventLogReturnType<typeof aaveVariableDebtTokenAbi> & Meta)
  | ({ contract: "priceFeed" } & DecodeEventLogReturnType<typeof priceFeedAbi> & Meta);

export type AaveActivity =
  | { action: "supply"; reserve: Address; user: Address; onBehalfOf: Address; amountRaw: bigint }
  | { action: "withdraw"; reserve: Address; user: Address; to: Address; amountRaw: bigint }
  | { action: "borrow"; reserve: Address; user: Address; onBehalfOf: Address; amountRaw: bigint; interestRateMode: number; borrowRateRay: bigint }
  | { action: "repay"; reserve: Address; user: Address; repayer: Address; amountRaw: bigint; useATokens: boolean }
  | {
      action: "liquidation";
      collateralAsset: Address;
      debtAsset: Address;
      user: Address;
      liquidator: Address;
      debtRepaidRaw: bigint;
      /** Collateral the liquidator received; the protocol fee to the treasury is not included. */
      collateralToLiquidatorRaw: bigint;
      receiveAToken: boolean;
    };

/** A normalized state change. Addresses are checksummed. */
export type AaveStateChange =
  | { kind: "reserveListed"; asset: Address; aToken: Address; stableDebtToken: Address; variableDebtToken: Address; interestRateStrategy: Address }
  | {
      kind: "tokenInitialized";
      token: Address;
      tokenType: "aToken" | "debtToken";
      underlyingAsset: Address;
      /** The Pool the token was initialized for (its deployment). */
      pool: Address;
      decimals: number;
      treasury: Address | null;
    }
  | { kind: "collateralConfig"; asset: Address; ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint }
  | { kind: "liquidationProtocolFee"; asset: Address; feeBps: bigint }
  | { kind: "reserveFactor"; asset: Address; reserveFactorBps: bigint }
  | {
      kind: "reserveIndexes";
      asset: Address;
      liquidityRateRay: bigint;
      stableBorrowRateRay: bigint;
      variableBorrowRateRay: bigint;
      liquidityIndexRay: bigint;
      variableBorrowIndexRay: bigint;
      /** Block timestamp of the update (seconds): the reserve's lastUpdateTimestamp from now on. */
      timestamp: bigint;
    }
  | {
      kind: "scaledBalance";
      /** The aToken or variable debt token whose scaled balance moves. */
      token: Address;
      account: Address;
      /** Signed change of the scaled balance (token decimals, divided by the index). */
      deltaScaled: bigint;
      indexRay: bigint;
    }
  | { kind: "collateralFlag"; asset: Address; account: Address; enabled: boolean }
  | { kind: "eModeCategory"; categoryId: number; ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint; priceSource: Address; label: string }
  | { kind: "assetEModeCategory"; asset: Address; categoryId: number }
  | { kind: "userEMode"; account: Address; categoryId: number }
  | { kind: "assetSource"; asset: Address; source: Address }
  | { kind: "priceAnswer"; feed: Address; answer: bigint; roundId: bigint; updatedAt: bigint }
  | ({ kind: "activity" } & AaveActivity);

const addr = (a: Address): Address => getAddress(a);

/** Scaled change of `Mint(…, value, balanceIncrease, index)`: + or − the part that is not interest. */
export function mintDeltaScaled(value: bigint, balanceIncrease: bigint, indexRay: bigint): bigint {
  return value >= balanceIncrease ? rayDiv(value - balanceIncrease, indexRay) : -rayDiv(balanceIncrease - value, indexRay);
}

/** Scaled change of `Burn(…, value, balanceIncrease, index)`: the amount burnt was value + interest. */
export function burnDeltaScaled(value: bigint, balanceIncrease: bigint, indexRay: bigint): bigint {
  return -rayDiv(value + balanceIncrease, indexRay);
}

/**
 * The state changes one decoded event implies; events that change no state the adapter keeps
 * (Transfer, Approval, role events…) give an empty list.
 */
export function mapAaveEvent(event: AaveEvent): AaveStateChange[] {
  switch (event.contract) {
    case "pool":
      return mapPool(event);
    case "poolConfigurator":
      return mapConfigurator(event);
    case "oracle":
      if (event.eventName === "AssetSourceUpdated") return [{ kind: "assetSource", asset: addr(event.args.asset), source: addr(event.args.source) }];
      return [];
    case "aToken":
    case "variableDebtToken":
      return mapToken(event);
    case "priceFeed":
      if (event.eventName === "AnswerUpdated") {
        return [{ kind: "priceAnswer", feed: addr(event.address), answer: event.args.current, roundId: event.args.roundId, updatedAt: event.args.updatedAt }];
      }
      return [];
  }
}

function mapPool(event: Extract<AaveEvent, { contract: "pool" }>): AaveStateChange[] {
  switch (event.eventName) {
    case "ReserveDataUpdated": {
      const a = event.args;
      return [
        {
          kind: "reserveIndexes",
          asset: addr(a.reserve),
          liquidityRateRay: a.liquidityRate,
          stableBorrowRateRay: a.stableBorrowRate,
          variableBorrowRateRay: a.variableBorrowRate,
          liquidityIndexRay: a.liquidityIndex,
          variableBorrowIndexRay: a.variableBorrowIndex,
          timestamp: event.blockTimestamp,
        },
      ];
    }
    case "ReserveUsedAsCollateralEnabled":
      return [{ kind: "collateralFlag", asset: addr(event.args.reserve), account: addr(event.args.user), enabled: true }];
    case "ReserveUsedAsCollateralDisabled":
      return [{ kind: "collateralFlag", asset: addr(event.args.reserve), account: addr(event.args.user), enabled: false }];
    case "UserEModeSet":
      return [{ kind: "userEMode", account: addr(event.args.user), categoryId: event.args.categoryId }];
    case "Supply":
      return [{ kind: "activity", action: "supply", reserve: addr(event.args.reserve), user: addr(event.args.user), onBehalfOf: addr(event.args.onBehalfOf), amountRaw: event.args.amount }];
    case "Withdraw":
      return [{ kind: "activity", action: "withdraw", reserve: addr(event.args.reserve), user: addr(event.args.user), to: addr(event.args.to), amountRaw: event.args.amount }];
    case "Borrow":
      return [
        {
          kind: "activity",
          action: "borrow",
          reserve: addr(event.args.reserve),
          user: addr(event.args.user),
          onBehalfOf: addr(event.args.onBehalfOf),
          amountRaw: event.args.amount,
          interestRateMode: event.args.interestRateMode,
          borrowRateRay: event.args.borrowRate,
        },
      ];
    case "Repay":
      return [
        {
          kind: "activity",
          action: "repay",
          reserve: addr(event.args.reserve),
          user: addr(event.args.user),
          repayer: addr(event.args.repayer),
          amountRaw: event.args.amount,
          useATokens: event.args.useATokens,
        },
      ];
    case "LiquidationCall":
      return [
        {
          kind: "activity",
          action: "liquidation",
          collateralAsset: addr(event.args.collateralAsset),
          debtAsset: addr(event.args.debtAsset),
          user: addr(event.args.user),
          liquidator: addr(event.args.liquidator),
          debtRepaidRaw: event.args.debtToCover,
          collateralToLiquidatorRaw: event.args.liquidatedCollateralAmount,
          receiveAToken: event.args.receiveAToken,
        },
      ];
    default:
      return [];
  }
}

function mapConfigurator(event: Extract<AaveEvent, { contract: "poolConfigurator" }>): AaveStateChange[] {
  switch (event.eventName) {
    case "ReserveInitialized":
      return [
        {
          kind: "reserveListed",
          asset: addr(event.args.asset),
          aToken: addr(event.args.aToken),
          stableDebtToken: addr(event.args.stableDebtToken),
          variableDebtToken: addr(event.args.variableDebtToken),
          interestRateStrategy: addr(event.args.interestRateStrategyAddress),
        },
      ];
    case "CollateralConfigurationChanged":
      return [
        {
          kind: "collateralConfig",
          asset: addr(event.args.asset),
          ltvBps: event.args.ltv,
          liquidationThresholdBps: event.args.liquidationThreshold,
          liquidationBonusBps: event.args.liquidationBonus,
        },
      ];
    case "LiquidationProtocolFeeChanged":
      return [{ kind: "liquidationProtocolFee", asset: addr(event.args.asset), feeBps: event.args.newFee }];
    case "ReserveFactorChanged":
      return [{ kind: "reserveFactor", asset: addr(event.args.asset), reserveFactorBps: event.args.newReserveFactor }];
    // v3.0 emits EModeCategoryAdded for both a new category and an update of one.
    case "EModeCategoryAdded":
      return [
        {
          kind: "eModeCategory",
          categoryId: event.args.categoryId,
          ltvBps: event.args.ltv,
          liquidationThresholdBps: event.args.liquidationThreshold,
          liquidationBonusBps: event.args.liquidationBonus,
          priceSource: addr(event.args.oracle),
          label: event.args.label,
        },
      ];
    case "EModeAssetCategoryChanged":
      return [{ kind: "assetEModeCategory", asset: addr(event.args.asset), categoryId: event.args.newCategoryId }];
    default:
      return [];
  }
}

function mapToken(event: Extract<AaveEvent, { contract: "aToken" | "variableDebtToken" }>): AaveStateChange[] {
  const token = addr(event.address);
  switch (event.eventName) {
    case "Initialized":
      if (event.contract === "aToken" && "aTokenDecimals" in event.args) {
        return [
          { kind: "tokenInitialized", token, tokenType: "aToken", underlyingAsset: addr(event.args.underlyingAsset), pool: addr(event.args.pool), decimals: event.args.aTokenDecimals, treasury: addr(event.args.treasury) },
        ];
      }
      if ("debtTokenDecimals" in event.args) {
        return [
          { kind: "tokenInitialized", token, tokenType: "debtToken", underlyingAsset: addr(event.args.underlyingAsset), pool: addr(event.args.pool), decimals: event.args.debtTokenDecimals, treasury: null },
        ];
      }
      return [];
    case "Mint":
      return [
        {
          kind: "scaledBalance",
          token,
          account: addr(event.args.onBehalfOf),
          deltaScaled: mintDeltaScaled(event.args.value, event.args.balanceIncrease, event.args.index),
          indexRay: event.args.index,
        },
      ];
    case "Burn":
      return [
        { kind: "scaledBalance", token, account: addr(event.args.from), deltaScaled: burnDeltaScaled(event.args.value, event.args.balanceIncrease, event.args.index), indexRay: event.args.index },
      ];
    case "BalanceTransfer":
      if (event.contract !== "aToken" || !("to" in event.args)) return [];
      return [
        { kind: "scaledBalance", token, account: addr(event.args.from), deltaScaled: -event.args.value, indexRay: event.args.index },
        { kind: "scaledBalance", token, account: addr(event.args.to), deltaScaled: event.args.value, indexRay: event.args.index },
      ];
    default:
      return [];
  }
}
