import { getAddress, type Address } from "viem";
import { describe, expect, test } from "vitest";
import { accountData, applyAaveChanges, assetPrice, createAaveMarketState, scaledBalanceOf } from "./ledger.js";
import type { AaveStateChange } from "./mappers.js";
import { RAY } from "./math.js";

const A = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const [ASSET, A_TOKEN, S_TOKEN, V_TOKEN, FEED, USER] = [A(1), A(2), A(3), A(4), A(5), A(6)];

function listed(): AaveStateChange[] {
  return [
    { kind: "tokenInitialized", token: A_TOKEN, tokenType: "aToken", underlyingAsset: ASSET, pool: A(9), decimals: 6, treasury: A(7) },
    { kind: "reserveListed", asset: ASSET, aToken: A_TOKEN, stableDebtToken: S_TOKEN, variableDebtToken: V_TOKEN, interestRateStrategy: A(8) },
    { kind: "collateralConfig", asset: ASSET, ltvBps: 8_000n, liquidationThresholdBps: 8_500n, liquidationBonusBps: 10_500n },
    { kind: "priceAnswer", feed: FEED, answer: 1_0000_0000n, roundId: 1n, updatedAt: 1n },
    { kind: "assetSource", asset: ASSET, source: FEED },
  ];
}

describe("ledger", () => {
  test("default: supply, borrow, account data from the folded state", () => {
    const s = applyAaveChanges(createAaveMarketState(), [
      ...listed(),
      { kind: "reserveIndexes", asset: ASSET, liquidityIndexRay: RAY, variableBorrowIndexRay: RAY, liquidityRateRay: 0n, stableBorrowRateRay: 0n, variableBorrowRateRay: 0n, timestamp: 100n },
      { kind: "scaledBalance", token: A_TOKEN, account: USER, deltaScaled: 1_000_000_000n, indexRay: RAY },
      { kind: "collateralFlag", asset: ASSET, account: USER, enabled: true },
      { kind: "scaledBalance", token: V_TOKEN, account: USER, deltaScaled: 500_000_000n, indexRay: RAY },
    ]);
    expect(scaledBalanceOf(s, A_TOKEN, USER)).toBe(1_000_000_000n);
    const d = accountData(s, USER, 100n);
    expect(d.totalCollateralBase).toBe(1000_0000_0000n);
    expect(d.totalDebtBase).toBe(500_0000_0000n);
    expect(d.healthFactorWad).toBe(1_700_000_000_000_000_000n);
  });

  test("behavior: a balance falling below zero means a missed event, and says so", () => {
    const s = applyAaveChanges(createAaveMarketState(), listed());
    expect(() => applyAaveChanges(s, [{ kind: "scaledBalance", token: A_TOKEN, account: USER, deltaScaled: -1n, indexRay: RAY }])).toThrow(/would go negative \(-1\); an earlier Mint or BalanceTransfer was missed/);
  });

  test("behavior: changes for unlisted reserves and tokens are refused with what to index", () => {
    const s = createAaveMarketState();
    expect(() => applyAaveChanges(s, [listed()[2]!])).toThrow(/which no ReserveInitialized listed; index the PoolConfigurator/);
    expect(() => applyAaveChanges(s, [listed()[1]!])).toThrow(/without its aToken's Initialized event/);
    expect(() => applyAaveChanges(s, [{ kind: "scaledBalance", token: A(99), account: USER, deltaScaled: 1n, indexRay: RAY }])).toThrow(/no listed reserve's aToken/);
  });

  test("behavior: a price answer seen before AssetSourceUpdated still prices the asset; no answer is an error", () => {
    const s = applyAaveChanges(createAaveMarketState(), listed());
    expect(assetPrice(s, ASSET)).toBe(1_0000_0000n);
    applyAaveChanges(s, [{ kind: "assetSource", asset: ASSET, source: A(55) }]);
    expect(() => assetPrice(s, ASSET)).toThrow(/has no AnswerUpdated yet/);
  });

  test("behavior: a read price (priceReads) is the asset's price whatever its source answers; other assets keep their answers", () => {
    const s = applyAaveChanges(createAaveMarketState(), listed());
    const source = s.assetSources.get(ASSET)!;
    s.readPrices.set(ASSET, 1_2345_6789n);
    expect(assetPrice(s, ASSET)).toBe(1_2345_6789n);
    // the source's AnswerUpdated still lands in `answers` but does not move a read asset's price
    applyAaveChanges(s, [{ kind: "priceAnswer", feed: source, answer: 7n, roundId: 2n, updatedAt: 1n }]);
    expect(assetPrice(s, ASSET)).toBe(1_2345_6789n);
    s.readPrices.clear();
    expect(assetPrice(s, ASSET)).toBe(7n);
  });

  test("behavior: an eMode user without a known category is refused", () => {
    const s = applyAaveChanges(createAaveMarketState(), [...listed(), { kind: "userEMode", account: USER, categoryId: 3 }]);
    expect(() => accountData(s, USER, 0n)).toThrow(/eMode category 3, which no EModeCategoryAdded defined/);
  });
});
