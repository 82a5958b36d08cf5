/**
 * Plain data in and out of the pure risk core (risk/): no I/O, no clock (`now` is an argument), no env.
 * The model is docs/risk-model.md. Units live in names: `...Raw` exact on-chain integers,
 * `...Usd` US dollars, `...Seconds`, `...Annual` (annualised). Prices on the way in are raw integers
 * with their decimals; values shown to people are decimal.js `Decimal`s (never a binary float);
 * the hot path (screening, ranking, stress) may use floats, with tiers confirmed exactly.
 */
import type Decimal from "decimal.js";

export type Hex = `0x${string}`;
export type AssetSymbol = string; // canonical asset, e.g. "ETH", "BTC", "USDC"
export type ChainId = number;
/** `${chainId}:${marketId}` */
export type MarketKey = string;

export type Tier = "SAFE" | "MARGIN_CALL" | "LIQUIDATABLE" | "INSOLVENT";
export const TIERS: readonly Tier[] = ["SAFE", "MARGIN_CALL", "LIQUIDATABLE", "INSOLVENT"];
export type SystemAction = "NORMAL" | "RAISE_MARGINS" | "REDUCE_MAX_LEVERAGE" | "HALT";

/** Decimal numbers in config are strings (exact); the core parses them once. */
export type DecimalString = string;

// ---------------------------------------------------------------- configuration

export interface AssetRiskConfig {
  symbol: AssetSymbol;
  /** maintenance collateral factor cfM (Aave's liquidation threshold), 0..1 */
  cfMaintenance: DecimalString;
  /** initial collateral factor cfI ≤ cfM (Aave's LTV) */
  cfInitial: DecimalString;
  /** annualised volatility floor σfloor */
  volFloorAnnual: DecimalString;
  /** an oracle answer older than this is stale */
  maxOracleAgeSeconds: number;
  /** price-impact coefficient κ in impact = κ·√(V/depth) */
  impactKappa: DecimalString;
  /** liquidation depth in USD */
  depthUsd: DecimalString;
  /** scenario group: "stable" is not shocked by the "all risky assets" scenarios */
  group: "stable" | "btc" | "eth" | "alt";
}

export interface MarketRiskConfig {
  key: MarketKey;
  chainId: ChainId;
  marketId: number;
  asset: AssetSymbol;
  /** maintenance margin ratio */
  mmr: DecimalString;
  /** initial margin ratio ≥ mmr */
  imr: DecimalString;
  /** Drift's size premium factor (0 = none): mr(n) = max(mr, 0.8·mr + imf·√|n|) */
  imf: DecimalString;
}

export interface ChainRiskConfig {
  chainId: ChainId;
  name: string;
  /** finality + messaging + execution to seize collateral here from the settlement chain */
  liquidationLatencySeconds: number;
  /** a chain whose last indexed block is older than this is stale */
  maxDataLagSeconds: number;
}

export interface RiskParams {
  zMaintenance: DecimalString; // 2.326
  zInitial: DecimalString; // 2.576
  maxOracleDeviation: DecimalString; // 0.02
  yearSeconds: number; // 31_536_000
  ewmaHalfLifeSeconds: number; // 86_400
  gridSeconds: number; // 60
  /** the measured data lag is rounded up to whole steps of this many seconds, at least one step (0: exact) */
  lagStepSeconds: number; // 5
  marginMode: "standard" | "portfolio";
  portfolioFloor: DecimalString; // 0.2
  cascadeMaxRounds: number; // 10
  thresholds: {
    raiseMarginsCoverage: DecimalString; // CR < 2
    reduceLeverageCoverage: DecimalString; // CR < 1.25
    liquidatableNotionalShare: DecimalString; // 0.10 of pool collateral
    hysteresis: DecimalString; // 0.2: leave a state only when the trigger clears by 20%
  };
}

export interface RiskConfig {
  params: RiskParams;
  assets: Record<AssetSymbol, AssetRiskConfig>;
  markets: Record<MarketKey, MarketRiskConfig>;
  chains: Record<ChainId, ChainRiskConfig>;
}

// ---------------------------------------------------------------- state (from the store)

export interface BalanceItem {
  chainId: ChainId;
  asset: AssetSymbol;
  amountRaw: bigint; // ≥ 0
  decimals: number;
}

export interface PositionItem {
  chainId: ChainId;
  marketId: number;
  asset: AssetSymbol;
  sizeRaw: bigint; // signed, base units × 1e18
  entryPriceRaw: bigint; // USD × 10^priceDecimals
  priceDecimals: number; // 8 on the reference markets
  fundingIndexX18: bigint; // the index the position carries
}

/** One account across all chains. Cash > 0 arrives as collateral, cash < 0 as debt (quote asset). */
export interface AccountState {
  address: Hex;
  collateral: BalanceItem[];
  debt: BalanceItem[];
  positions: PositionItem[];
}

export interface PriceObservation {
  chainId: ChainId;
  asset: AssetSymbol;
  answerRaw: bigint;
  decimals: number;
  updatedAt: number; // oracle's unix seconds
}

export interface ChainFreshness {
  chainId: ChainId;
  blockNumber: bigint;
  blockTimestamp: number; // unix seconds of the last indexed block
}

/** A mark-price series point of one asset (from the stored rounds, resampled by the core). */
export interface PricePoint {
  time: number; // unix seconds
  priceRaw: bigint;
  decimals: number;
}

// ---------------------------------------------------------------- market environment

export interface MarkPrice {
  asset: AssetSymbol;
  /** null when no chain has a fresh, non-divergent answer */
  priceUsd: Decimal | null;
  sources: { chainId: ChainId; priceUsd: Decimal; ageSeconds: number; stale: boolean; divergent: boolean }[];
  divergentChains: ChainId[];
}

export interface VolatilityEstimate {
  assets: AssetSymbol[]; // order of the matrix
  /** annualised EWMA σ before floors */
  sigmaEwmaAnnual: Record<AssetSymbol, number>;
  /** annualised σ used: max(σEWMA, σfloor) */
  sigmaAnnual: Record<AssetSymbol, number>;
  /** annualised covariance (floors applied to the diagonal, correlations kept) */
  covarianceAnnual: number[][];
  correlation: number[][];
  samples: Record<AssetSymbol, number>;
  asOf: number;
}

// ---------------------------------------------------------------- outputs

export type DegradedReason =
  | { code: "CHAIN_STALE"; chainId: ChainId; lagSeconds: number; maxSeconds: number }
  | { code: "PRICE_STALE"; asset: AssetSymbol }
  | { code: "ORACLE_DIVERGENCE"; asset: AssetSymbol; chainIds: ChainId[] }
  | { code: "CHAIN_UNREACHABLE"; chainId: ChainId }
  /** added by risk/environment.ts: no freshness known for the chain (nothing indexed yet); treated as stale */
  | { code: "CHAIN_NOT_INDEXED"; chainId: ChainId };

export interface ItemRisk {
  kind: "collateral" | "debt";
  chainId: ChainId;
  asset: AssetSymbol;
  amountRaw: bigint;
  decimals: number;
  amount: Decimal;
  valueUsd: Decimal; // at mark, no haircut
  haircutMaintenance: Decimal; // hM
  haircutInitial: Decimal; // hI
  maintenanceValueUsd: Decimal; // contribution to healthM (collateral +, debt −)
  initialValueUsd: Decimal;
  latencySeconds: { configured: number; measuredLag: number; total: number };
  zeroedByStaleness: boolean;
}

export interface PositionRisk {
  chainId: ChainId;
  marketId: number;
  asset: AssetSymbol;
  size: Decimal;
  entryPriceUsd: Decimal;
  markPriceUsd: Decimal | null;
  fundingOwedUsd: Decimal;
  unrealizedPnlUsd: Decimal;
  notionalUsd: Decimal;
  maintenanceRequirementUsd: Decimal;
  initialRequirementUsd: Decimal;
}

export interface AccountRisk {
  address: Hex;
  tier: Tier;
  healthFactor: Decimal | null;
  maintenanceHealthUsd: Decimal;
  initialHealthUsd: Decimal;
  equityUsd: Decimal;
  collateralValueUsd: Decimal;
  debtValueUsd: Decimal;
  degraded: boolean;
  degradedReasons: DegradedReason[];
  items: ItemRisk[];
  positions: PositionRisk[];
  liquidationPrices: { asset: AssetSymbol; priceUsd: Decimal }[];
  grossRequirementUsd: Decimal;
  portfolioRequirementUsd: Decimal;
  marginEfficiency: Decimal | null;
  chainIds: ChainId[];
}

/** Fast numbers for ranking, lists and stress; the tier is exact (re-checked near boundaries). */
export interface AccountScreen {
  tier: Tier;
  healthMUsd: number;
  healthIUsd: number;
  equityUsd: number;
  healthFactor: number | null;
  collateralUsd: number;
  debtUsd: number;
  degraded: boolean;
}

export interface StressShock {
  asset: AssetSymbol;
  pct: DecimalString; // -0.35 = −35%
}

export interface StressScenario {
  name: string;
  shocks: StressShock[];
  unreachableChains?: ChainId[];
  latencyMultiplier?: DecimalString;
}

export interface CascadeRound {
  round: number;
  liquidatedAccounts: number;
  liquidatedVolumeUsd: Decimal;
  priceImpact: Record<AssetSymbol, Decimal>;
  deficiencyUsd: Decimal;
}

export interface ScenarioResult {
  scenario: StressScenario;
  rounds: CascadeRound[];
  deficiencyUsd: Decimal;
  liquidatedVolumeUsd: Decimal;
  shortfallsUsd: { address: Hex; shortfallUsd: Decimal }[]; // largest first (Cover-1, Cover-2)
  /** true: deficiencyUsd is the exact decimal sum; false: a float sum rounded up to cents (many accounts under water) */
  deficiencyExact?: boolean;
}

export interface SystemRisk {
  collateralUsd: Decimal;
  debtUsd: Decimal;
  openInterestUsd: Decimal;
  deficiencyUsd: Decimal; // D0
  insuranceFundUsd: Decimal;
  worstScenario: string | null;
  worstDeficiencyUsd: Decimal;
  coverageRatio: Decimal | null; // null when the worst deficiency is 0
  cover1Usd: Decimal;
  cover2Usd: Decimal;
  liquidatableNotionalUsd: Decimal;
  action: SystemAction;
  accountsPerTier: Record<Tier, number>;
}
