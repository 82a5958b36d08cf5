/**
 * Test helpers shared by the Aave proofs (protocols/aaveV3/aave.e2e.test.ts: the replay of
 * eth_getLogs; test/aaveStore.e2e.test.ts: the state rebuilt from the store).
 */
import { MAX_UINT256 } from "./math.js";
import type { accountData } from "./ledger.js";

/** `Pool.getUserAccountData(user)` as the contract returns it. */
export type OnChainAccountData = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/**
 * The ledger's account data in the contract's shape, beside the contract's own answer, each with
 * `label` (which chain/step and user), ready for `expect(mine).toEqual(theirs)`. No debt: the
 * ledger's null health factor is the contract's type(uint256).max.
 */
export function accountDataPair(label: Record<string, unknown>, mine: ReturnType<typeof accountData>, onChain: OnChainAccountData): { mine: Record<string, unknown>; theirs: Record<string, unknown> } {
  const [totalCollateralBase, totalDebtBase, availableBorrowsBase, currentLiquidationThreshold, ltv, healthFactor] = onChain;
  return {
    mine: { ...label, ...mine, healthFactorWad: mine.healthFactorWad ?? MAX_UINT256, hasZeroLtvCollateral: undefined },
    theirs: {
      ...label,
      totalCollateralBase,
      totalDebtBase,
      availableBorrowsBase,
      currentLiquidationThresholdBps: currentLiquidationThreshold,
      ltvBps: ltv,
      healthFactorWad: healthFactor,
      hasZeroLtvCollateral: undefined,
    },
  };
}
