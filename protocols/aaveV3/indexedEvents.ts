/**
 * The Aave events xmargin indexes, by Ponder contract name (protocols/aaveV3/ponder.ts): the
 * events that change stored state. handlers.ts registers exactly these; the ingest benchmark's
 * baseline app registers the same ones and its workload counts them on the chain. Other events of
 * these contracts (Supply, Borrow, Repay, Withdraw, the tokens' ERC-20 Transfer, …) are emitted
 * but not fetched by Ponder.
 */
import type { AaveContractKind } from "./mappers.js";

export interface AaveIndexedContract {
  kind: AaveContractKind;
  events: readonly string[];
}

export const AAVE_INDEXED_EVENTS = {
  AavePool: { kind: "pool", events: ["ReserveDataUpdated", "ReserveUsedAsCollateralEnabled", "ReserveUsedAsCollateralDisabled", "UserEModeSet", "LiquidationCall"] },
  AavePoolConfigurator: {
    kind: "poolConfigurator",
    events: ["ReserveInitialized", "CollateralConfigurationChanged", "LiquidationProtocolFeeChanged", "ReserveFactorChanged", "EModeCategoryAdded", "EModeAssetCategoryChanged"],
  },
  /** AssetSourceUpdated has its own handler (it reads the new source's answer). */
  AaveOracle: { kind: "oracle", events: ["AssetSourceUpdated"] },
  AaveAToken: { kind: "aToken", events: ["Initialized", "Mint", "Burn", "BalanceTransfer"] },
  AaveVariableDebtToken: { kind: "variableDebtToken", events: ["Mint", "Burn"] },
  AavePriceSource: { kind: "priceFeed", events: ["AnswerUpdated"] },
} as const satisfies Record<string, AaveIndexedContract>;

export type AavePonderContractName = keyof typeof AAVE_INDEXED_EVENTS;
