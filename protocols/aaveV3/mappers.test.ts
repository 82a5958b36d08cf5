import { getAddress, type Address } from "viem";
import { describe, expect, test } from "vitest";
import { burnDeltaScaled, mapAaveEvent, mintDeltaScaled, type AaveEvent } from "./mappers.js";
import { RAY, rayDiv } from "./math.js";

const A = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const TOKEN = A(0xa7);
const USER = A(0x11);
const OTHER = A(0x22);
const ASSET = A(0x05);
const meta = { address: TOKEN, blockTimestamp: 1_700_000_000n };
const ev = (e: unknown): AaveEvent => e as AaveEvent;

describe("scaled balance rules", () => {
  test("boundary: 0, 1 wei, index 1 ray", () => {
    expect(mintDeltaScaled(0n, 0n, RAY)).toBe(0n); // a transfer's interest-only Mint (value = balanceIncrease)
    expect(mintDeltaScaled(5n, 5n, RAY)).toBe(0n);
    expect(mintDeltaScaled(1n, 0n, RAY)).toBe(1n);
    expect(burnDeltaScaled(1n, 0n, RAY)).toBe(-1n);
    expect(burnDeltaScaled(0n, 0n, RAY)).toBe(0n);
  });

  test("default: a supply mints rayDiv(amount, index); interest accrued is not balance", () => {
    const index = 1_050_000_000_000_000_000_000_000_000n;
    // _mintScaled(amount = 1000e6): value = amount + balanceIncrease.
    expect(mintDeltaScaled(1_000_000_000n + 7_000n, 7_000n, index)).toBe(rayDiv(1_000_000_000n, index));
  });

  test("behavior: a withdraw or repay smaller than the interest emits Mint with value < balanceIncrease", () => {
    const index = 1_100_000_000_000_000_000_000_000_000n;
    // _burnScaled(amount = 1e6) with balanceIncrease 30e6: Mint(value = 29e6, balanceIncrease = 30e6).
    expect(mintDeltaScaled(29_000_000n, 30_000_000n, index)).toBe(-rayDiv(1_000_000n, index));
  });

  test("behavior: Burn removes value + balanceIncrease", () => {
    const index = 1_100_000_000_000_000_000_000_000_000n;
    // _burnScaled(amount = 50e6) with balanceIncrease 3e6: Burn(value = 47e6, balanceIncrease = 3e6).
    expect(burnDeltaScaled(47_000_000n, 3_000_000n, index)).toBe(-rayDiv(50_000_000n, index));
  });
});

describe("mapAaveEvent", () => {
  test("token events: Mint to onBehalfOf, Burn from `from`, BalanceTransfer already scaled", () => {
    expect(mapAaveEvent(ev({ contract: "aToken", eventName: "Mint", args: { caller: OTHER, onBehalfOf: USER, value: 10n, balanceIncrease: 0n, index: RAY }, ...meta }))).toEqual([
      { kind: "scaledBalance", token: TOKEN, account: USER, deltaScaled: 10n, indexRay: RAY },
    ]);
    expect(
      mapAaveEvent(ev({ contract: "variableDebtToken", eventName: "Burn", args: { from: USER, target: A(0), value: 4n, balanceIncrease: 1n, index: RAY }, ...meta })),
    ).toEqual([{ kind: "scaledBalance", token: TOKEN, account: USER, deltaScaled: -5n, indexRay: RAY }]);
    expect(mapAaveEvent(ev({ contract: "aToken", eventName: "BalanceTransfer", args: { from: USER, to: OTHER, value: 7n, index: 2n * RAY }, ...meta }))).toEqual([
      { kind: "scaledBalance", token: TOKEN, account: USER, deltaScaled: -7n, indexRay: 2n * RAY },
      { kind: "scaledBalance", token: TOKEN, account: OTHER, deltaScaled: 7n, indexRay: 2n * RAY },
    ]);
  });

  test("token Initialized: decimals from the aToken's and the debt token's own signatures", () => {
    const aInit = { underlyingAsset: ASSET, pool: A(1), treasury: A(2), incentivesController: A(0), aTokenDecimals: 6, aTokenName: "a", aTokenSymbol: "a", params: "0x10" };
    expect(mapAaveEvent(ev({ contract: "aToken", eventName: "Initialized", args: aInit, ...meta }))).toEqual([
      { kind: "tokenInitialized", token: TOKEN, tokenType: "aToken", underlyingAsset: ASSET, pool: A(1), decimals: 6, treasury: A(2) },
    ]);
    const dInit = { underlyingAsset: ASSET, pool: A(1), incentivesController: A(0), debtTokenDecimals: 0, debtTokenName: "d", debtTokenSymbol: "d", params: "0x10" };
    expect(mapAaveEvent(ev({ contract: "variableDebtToken", eventName: "Initialized", args: dInit, ...meta }))).toEqual([
      { kind: "tokenInitialized", token: TOKEN, tokenType: "debtToken", underlyingAsset: ASSET, pool: A(1), decimals: 0, treasury: null },
    ]);
  });

  test("ReserveDataUpdated carries the block timestamp as the reserve's last update", () => {
    const args = { reserve: ASSET, liquidityRate: 1n, stableBorrowRate: 2n, variableBorrowRate: 3n, liquidityIndex: RAY + 4n, variableBorrowIndex: RAY + 5n };
    expect(mapAaveEvent(ev({ contract: "pool", eventName: "ReserveDataUpdated", args, ...meta }))).toEqual([
      {
        kind: "reserveIndexes",
        asset: ASSET,
        liquidityRateRay: 1n,
        stableBorrowRateRay: 2n,
        variableBorrowRateRay: 3n,
        liquidityIndexRay: RAY + 4n,
        variableBorrowIndexRay: RAY + 5n,
        timestamp: 1_700_000_000n,
      },
    ]);
  });

  test("flags, eMode, configuration, oracle and feed", () => {
    expect(mapAaveEvent(ev({ contract: "pool", eventName: "ReserveUsedAsCollateralDisabled", args: { reserve: ASSET, user: USER }, ...meta }))).toEqual([
      { kind: "collateralFlag", asset: ASSET, account: USER, enabled: false },
    ]);
    expect(mapAaveEvent(ev({ contract: "pool", eventName: "UserEModeSet", args: { user: USER, categoryId: 1 }, ...meta }))).toEqual([{ kind: "userEMode", account: USER, categoryId: 1 }]);
    expect(
      mapAaveEvent(ev({ contract: "poolConfigurator", eventName: "CollateralConfigurationChanged", args: { asset: ASSET, ltv: 8000n, liquidationThreshold: 8500n, liquidationBonus: 10500n }, ...meta })),
    ).toEqual([{ kind: "collateralConfig", asset: ASSET, ltvBps: 8000n, liquidationThresholdBps: 8500n, liquidationBonusBps: 10500n }]);
    expect(mapAaveEvent(ev({ contract: "poolConfigurator", eventName: "EModeAssetCategoryChanged", args: { asset: ASSET, oldCategoryId: 0, newCategoryId: 2 }, ...meta }))).toEqual([
      { kind: "assetEModeCategory", asset: ASSET, categoryId: 2 },
    ]);
    expect(mapAaveEvent(ev({ contract: "oracle", eventName: "AssetSourceUpdated", args: { asset: ASSET, source: A(9) }, ...meta }))).toEqual([
      { kind: "assetSource", asset: ASSET, source: A(9) },
    ]);
    expect(mapAaveEvent(ev({ contract: "priceFeed", eventName: "AnswerUpdated", args: { current: 123n, roundId: 4n, updatedAt: 5n }, ...meta }))).toEqual([
      { kind: "priceAnswer", feed: TOKEN, answer: 123n, roundId: 4n, updatedAt: 5n },
    ]);
  });

  test("behavior: events without state (Transfer, Approval, NewRound) map to nothing", () => {
    expect(mapAaveEvent(ev({ contract: "aToken", eventName: "Transfer", args: { from: USER, to: OTHER, value: 1n }, ...meta }))).toEqual([]);
    expect(mapAaveEvent(ev({ contract: "priceFeed", eventName: "NewRound", args: { roundId: 1n, startedBy: USER, startedAt: 1n }, ...meta }))).toEqual([]);
  });
});
