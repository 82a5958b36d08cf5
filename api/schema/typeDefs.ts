/**
 * The risk API's schema (SDL). Numbers people read are decimal strings (`Decimal`, `BigInt`),
 * never floats. Times are unix seconds (`Int`). Lists are capped (`first` ≤ 500).
 */
export const typeDefs = /* GraphQL */ `
"""A decimal number as a string (exact, no exponent), e.g. "1234.56" or "-0.35"."""
scalar Decimal

"""An integer of any size as a decimal string, e.g. "115792089237316195423570985008687907853269984665640564039457584007913129639935"."""
scalar BigInt

enum Tier {
  SAFE
  MARGIN_CALL
  LIQUIDATABLE
  INSOLVENT
}

enum SystemAction {
  NORMAL
  RAISE_MARGINS
  REDUCE_MAX_LEVERAGE
  HALT
}

enum AccountOrder {
  HEALTH_FACTOR_ASC
  EQUITY_ASC
  COLLATERAL_DESC
  ADDRESS_ASC
}

enum ItemKind {
  COLLATERAL
  DEBT
}

"""How fresh the numbers are: the time they were computed for and each chain's last indexed block."""
type AsOf {
  "unix seconds the numbers were computed for"
  now: Int!
  chains: [ChainFreshness!]!
}

type ChainFreshness {
  chainId: Int!
  name: String!
  blockNumber: BigInt!
  "unix seconds of the last indexed block"
  timestamp: Int!
  "now − timestamp"
  lagSeconds: Int!
  "lagSeconds > maxDataLagSeconds: collateral there earns no credit"
  stale: Boolean!
}

"""Seconds to seize collateral on a chain: configured liquidation latency + measured data lag (stepped up by risk.lagStepSeconds)."""
type Latency {
  configured: Int!
  measuredLag: Int!
  total: Int!
}

"""Why an account's numbers are a lower bound (stale chain, stale or divergent price, unreachable chain)."""
type DegradedReason {
  code: String!
  chainId: Int
  chainIds: [Int!]
  asset: String
  lagSeconds: Int
  maxSeconds: Int
  message: String!
}

type AccountItem {
  kind: ItemKind!
  chainId: Int!
  asset: String!
  amountRaw: BigInt!
  decimals: Int!
  amount: Decimal!
  "at mark price, no haircut"
  valueUsd: Decimal!
  "maintenance haircut hM (fraction)"
  haircut: Decimal!
  "initial haircut hI (fraction)"
  haircutInitial: Decimal!
  "contribution to maintenance health (collateral +, debt −)"
  maintenanceValueUsd: Decimal!
  initialValueUsd: Decimal!
  latency: Latency!
  "the chain or the price is stale: positive contributions count 0"
  zeroedByStaleness: Boolean!
}

type Position {
  chainId: Int!
  marketId: Int!
  asset: String!
  "signed base units (long > 0)"
  size: Decimal!
  entryPriceUsd: Decimal!
  "null when the asset has no fresh mark price"
  markPriceUsd: Decimal
  fundingOwedUsd: Decimal!
  unrealizedPnlUsd: Decimal!
  notionalUsd: Decimal!
  "maintenance margin requirement"
  requirementUsd: Decimal!
  initialRequirementUsd: Decimal!
}

type LiquidationPrice {
  asset: String!
  "the mark price of this asset (others fixed) at which maintenance health reaches 0"
  priceUsd: Decimal!
}

"""One chain of an account: its collateral, debt and positions there."""
type AccountChain {
  chainId: Int!
  name: String
  collateral: [AccountItem!]!
  debt: [AccountItem!]!
  positions: [Position!]!
  "Σ collateral valueUsd − Σ debt valueUsd on this chain (at mark, no haircut)"
  netValueUsd: Decimal!
}

"""One account across every chain: the full decimal report of the risk core."""
type Account {
  address: String!
  tier: Tier!
  "(CM + Σ max(uPnL,0)) / (DM + Σ max(−uPnL,0) + MR); null without liabilities"
  healthFactor: Decimal
  maintenanceHealthUsd: Decimal!
  initialHealthUsd: Decimal!
  equityUsd: Decimal!
  collateralValueUsd: Decimal!
  debtValueUsd: Decimal!
  degraded: Boolean!
  degradedReasons: [DegradedReason!]!
  chains: [AccountChain!]!
  items: [AccountItem!]!
  positions: [Position!]!
  liquidationPrices: [LiquidationPrice!]!
  grossRequirementUsd: Decimal!
  portfolioRequirementUsd: Decimal!
  "1 − portfolio / gross requirement; null without a gross requirement"
  marginEfficiency: Decimal
  chainIds: [Int!]!
  "for time travel (account(at:)) now = at and chains are as indexed at that time where known"
  asOf: AsOf!
}

"""An account in a list: screened numbers (fast path, rounded to cents; tiers are exact). The full report is in 'report'."""
type AccountSummary {
  address: String!
  tier: Tier!
  healthFactor: Decimal
  maintenanceHealthUsd: Decimal!
  initialHealthUsd: Decimal!
  equityUsd: Decimal!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  degraded: Boolean!
  report: Account
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

type AccountConnection {
  nodes: [AccountSummary!]!
  pageInfo: PageInfo!
  totalCount: Int!
  asOf: AsOf!
}

input AccountFilter {
  tier: Tier
  chainId: Int
  healthFactorLt: Decimal
  degraded: Boolean
}

"""Collateral a liquidator could seize: where, how much, and how long it takes."""
type Seizable {
  chainId: Int!
  asset: String!
  amount: Decimal!
  valueUsd: Decimal!
  latencySeconds: Int!
}

type EndangeredAccount {
  address: String!
  tier: Tier!
  healthFactor: Decimal
  maintenanceHealthUsd: Decimal!
  equityUsd: Decimal!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  degraded: Boolean!
  "collateral by chain, fastest to seize first"
  seizable: [Seizable!]!
  report: Account
}

type EndangeredList {
  maxHealthFactor: Decimal!
  nodes: [EndangeredAccount!]!
  asOf: AsOf!
}

type TierCounts {
  safe: Int!
  marginCall: Int!
  liquidatable: Int!
  insolvent: Int!
}

type SystemChain {
  chainId: Int!
  name: String!
  blockNumber: BigInt!
  timestamp: Int!
  "now − timestamp"
  lagSeconds: Int!
  "the data lag the haircuts use: lagSeconds rounded up to whole steps of risk.lagStepSeconds, at least one step"
  haircutLagSeconds: Int!
  stale: Boolean!
  liquidationLatencySeconds: Int!
  maxDataLagSeconds: Int!
  "configured latency + haircutLagSeconds: the haircut horizon T_c"
  horizonSeconds: Int!
  "√(T_c / Y), Y = 31,536,000 s: the factor z·σ is multiplied by in h = 1 − exp(−z·σ·√(T/Y))"
  haircutMultiplier: Decimal!
  "Σ collateral − Σ debt of every account on this chain at mark, no haircut (null when an asset held there has no mark)"
  exposureUsd: Decimal
}

type PriceSource {
  chainId: Int!
  priceUsd: Decimal!
  ageSeconds: Int!
  stale: Boolean!
  divergent: Boolean!
}

type Mark {
  asset: String!
  "median of fresh, non-divergent answers across chains; null when none"
  priceUsd: Decimal
  sources: [PriceSource!]!
  divergentChains: [Int!]!
  "annualised volatility used for haircuts (max of EWMA and floor)"
  sigmaAnnual: Decimal
}

"""When the system action escalates (risk model §6): HALT when deficiency > insurance fund; REDUCE_MAX_LEVERAGE when coverage < reduceLeverageCoverage or liquidatable notional > liquidatableNotionalShare × collateral; RAISE_MARGINS when coverage < raiseMarginsCoverage. An action is left only when its trigger clears by the hysteresis fraction."""
type ActionThresholds {
  raiseMarginsCoverage: Decimal!
  reduceLeverageCoverage: Decimal!
  liquidatableNotionalShare: Decimal!
  hysteresis: Decimal!
}

type System {
  collateralUsd: Decimal!
  debtUsd: Decimal!
  openInterestUsd: Decimal!
  "realised deficiency D0 = Σ max(0, −equity)"
  deficiencyUsd: Decimal!
  insuranceFundUsd: Decimal!
  worstScenario: String
  worstDeficiencyUsd: Decimal!
  "insurance fund / worst scenario deficiency; null when the worst deficiency is 0"
  coverageRatio: Decimal
  cover1Usd: Decimal!
  cover2Usd: Decimal!
  liquidatableNotionalUsd: Decimal!
  action: SystemAction!
  accountsPerTier: TierCounts!
  chains: [SystemChain!]!
  marks: [Mark!]!
  "assets whose oracle answers disagree across chains"
  oracleDivergence: [Mark!]!
  "unix seconds the volatility estimate (haircuts' σ) was computed for; null before the first"
  volatilityAsOf: Int
  "what the action is decided against"
  thresholds: ActionThresholds
  "bad debt per margin domain (vault and Aave markets), per chain and in total"
  badDebt: BadDebt!
  asOf: AsOf!
}

input ShockInput {
  asset: String!
  "-0.35 = −35%"
  pct: Decimal!
}

input ScenarioInput {
  name: String
  shocks: [ShockInput!]!
  unreachableChains: [Int!]
  latencyMultiplier: Decimal
}

type Shock {
  asset: String!
  pct: Decimal!
}

type AssetImpact {
  asset: String!
  impact: Decimal!
}

type CascadeRound {
  round: Int!
  liquidatedAccounts: Int!
  liquidatedVolumeUsd: Decimal!
  priceImpact: [AssetImpact!]!
  deficiencyUsd: Decimal!
}

type Shortfall {
  address: String!
  shortfallUsd: Decimal!
}

type ScenarioResult {
  name: String!
  shocks: [Shock!]!
  unreachableChains: [Int!]!
  latencyMultiplier: Decimal
  rounds: [CascadeRound!]!
  deficiencyUsd: Decimal!
  liquidatedVolumeUsd: Decimal!
  "largest first"
  shortfalls(first: Int = 10): [Shortfall!]!
  "the Aave markets under the same shocks, by Aave's rule (each market's cascade is computed on first use per book read; costed 2,000); empty without Aave markets"
  domainStress: [DomainStress!]!
  asOf: AsOf!
}

"""One point of a liquidation curve: the stress engine's cascade after shocking one asset by shockPct."""
type LiquidationCurvePoint {
  "the shock, ≤ 0: -0.15 = −15%"
  shockPct: Decimal!
  "the shocked asset's mark price at this shock (before cascade impact); null without a mark"
  priceUsd: Decimal
  "D(s) at the final prices, with cascades"
  deficiencyUsd: Decimal!
  "collateral and long perps sold by liquidations, all rounds"
  liquidatedVolumeUsd: Decimal!
  liquidatedAccounts: Int!
  "cascade rounds that liquidated someone"
  rounds: Int!
  "false: deficiencyUsd is a float sum rounded up to cents"
  deficiencyExact: Boolean!
}

"""Deficiency and liquidations against a price drop of one asset (all other prices fixed), from 0 to −maxShockPct in equal steps."""
type LiquidationCurve {
  asset: String!
  maxShockPct: Decimal!
  steps: Int!
  points: [LiquidationCurvePoint!]!
  asOf: AsOf!
}

enum Protocol {
  "the project's own cross-chain vault (one pool over every chain)"
  MARGIN_VAULT
  "an Aave v3 market (one chain's cross-margin pool)"
  AAVE_V3
}

"""A margin domain: accounts' items that back each other. The vault's pool spans chains; an Aave v3 market is one chain's pool."""
type MarginDomain {
  "'vault', or 'aaveV3:<chainId>:<Pool>'"
  id: String!
  protocol: Protocol!
  chainIds: [Int!]!
  "the Aave Pool; null for the vault"
  pool: String
  "accounts with a position"
  accounts: Int!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  "Σ per account of what no collateral in this domain covers, max(0, debt − collateral); the vault's is D0"
  badDebtUsd: Decimal!
  "xmargin's tiers (for Aave: the risk-adjusted view's, not the protocol's)"
  accountsPerTier: TierCounts!
  "the block this domain's rows were read at; null for the vault (its chains are in asOf)"
  blockNumber: BigInt
  blockTimestamp: Int
}

type ChainBadDebt {
  chainId: Int!
  name: String
  "Σ bad debt of the single-chain domains (Aave markets) on this chain"
  badDebtUsd: Decimal!
}

type DomainProblem {
  domainId: String!
  address: String
  message: String!
}

"""Bad debt per domain, per chain and in total: an account's surplus in one domain never covers its deficit in another."""
type BadDebt {
  totalUsd: Decimal!
  "the vault's, which spans chains (not attributable to one)"
  crossChainUsd: Decimal!
  perChain: [ChainBadDebt!]!
  domains: [MarginDomain!]!
  "accounts or reserves that could not be evaluated, and why"
  problems: [DomainProblem!]!
  asOf: AsOf!
}

"""The liquidationCall Aave's rule allows now that gives the liquidator the most (amounts in the assets' smallest units)."""
type AaveLiquidation {
  collateralAsset: String!
  debtAsset: String!
  "pass as debtToCover (close factor applied; less when the collateral does not suffice)"
  debtToCoverRaw: BigInt!
  "what the liquidator receives (bonus included, protocol fee excluded)"
  collateralToLiquidatorRaw: BigInt!
  protocolFeeRaw: BigInt!
  liquidationBonusBps: Int!
  "collateral received − debt repaid, in base currency units"
  liquidatorProfitBase: BigInt!
  "Aave's health factor after the call; null without debt left"
  healthFactorAfter: Decimal
}

"""Aave v3's own rule for one account, exact: Pool.getUserAccountData's numbers (base currency units: 1e8 = 1 USD on USD markets)."""
type AaveRule {
  "18 decimals, exact; null without debt (the contract answers uint256 max)"
  healthFactor: Decimal
  totalCollateralBase: BigInt!
  totalDebtBase: BigInt!
  availableBorrowsBase: BigInt!
  currentLiquidationThresholdBps: Int!
  ltvBps: Int!
  "health factor below 1"
  liquidatable: Boolean!
  "5000 (50%), or 10000 below health factor 0.95; null when not liquidatable"
  closeFactorBps: Int
  "max(0, totalDebtBase − totalCollateralBase)"
  badDebtBase: BigInt!
  bestLiquidation: AaveLiquidation
}

type AaveItem {
  kind: ItemKind!
  asset: String!
  "the risk asset its volatility comes from"
  symbol: String!
  amountRaw: BigInt!
  decimals: Int!
  "at the Aave oracle's price, no haircut"
  valueUsd: Decimal!
  "liquidation threshold (collateral), 1 for debt"
  cfMaintenance: Decimal!
  "LTV (collateral), 1 for debt"
  cfInitial: Decimal!
  haircut: Decimal!
  haircutInitial: Decimal!
  maintenanceValueUsd: Decimal!
  initialValueUsd: Decimal!
  zeroedByStaleness: Boolean!
}

"""One account in one Aave v3 market: the protocol's rule (exact) and xmargin's risk-adjusted view (same-chain horizon) side by side."""
type AaveAccount {
  address: String!
  domainId: String!
  chainId: Int!
  pool: String!
  "the indexed block the rule is computed at"
  blockNumber: BigInt
  rule: AaveRule!
  "xmargin's view: tier, health factor CM/DM and the rest, in USD"
  tier: Tier!
  healthFactor: Decimal
  maintenanceHealthUsd: Decimal!
  initialHealthUsd: Decimal!
  equityUsd: Decimal!
  collateralValueUsd: Decimal!
  debtValueUsd: Decimal!
  "the rule's bad debt in USD"
  badDebtUsd: Decimal!
  "finality + measured data lag of this chain (no messaging)"
  latency: Latency!
  degraded: Boolean!
  degradedReasons: [DegradedReason!]!
  items: [AaveItem!]!
  "collateral prices (USD) at which the view's maintenance health reaches 0, others fixed"
  liquidationPrices: [LiquidationPrice!]!
}

type DomainExposure {
  domainId: String!
  protocol: Protocol!
  chainIds: [Int!]!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  badDebtUsd: Decimal!
  tier: Tier!
}

"""One address in every margin domain it is in, and the sums (a surplus in one domain does not reduce bad debt in another)."""
type Exposure {
  address: String!
  domains: [DomainExposure!]!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  netUsd: Decimal!
  badDebtUsd: Decimal!
  "the worst tier of any domain; SAFE when in none"
  worstTier: Tier!
  "the vault report; null when the address is not in the vault"
  vault: Account
  aave: [AaveAccount!]!
  asOf: AsOf!
}

type AaveEndangeredList {
  maxHealthFactor: Decimal!
  "lowest Aave health factor first"
  nodes: [AaveAccount!]!
  asOf: AsOf!
}

"""One Aave market under a scenario: the cascade by Aave's rule (close factor, bonus, protocol fee)."""
type DomainStress {
  domainId: String!
  chainId: Int!
  deficiencyBeforeUsd: Decimal!
  deficiencyUsd: Decimal!
  liquidationCalls: Int!
  debtRepaidUsd: Decimal!
  shortfalls(first: Int = 10): [Shortfall!]!
}

type TierChange {
  seq: Int!
  address: String!
  "null: first seen"
  from: Tier
  to: Tier!
  "chain of the event that caused it; null for a price move"
  chainId: Int
  blockNumber: BigInt
  timestamp: Int!
  healthFactor: Decimal
}

type TierChangeConnection {
  nodes: [TierChange!]!
  pageInfo: PageInfo!
}

type HistoryPoint {
  time: Int!
  tier: Tier
  maintenanceHealthUsd: Decimal!
  initialHealthUsd: Decimal!
  equityUsd: Decimal!
  healthFactor: Decimal
}

type SystemHistoryPoint {
  time: Int!
  collateralUsd: Decimal!
  debtUsd: Decimal!
  deficiencyUsd: Decimal!
  insuranceFundUsd: Decimal!
  accountsPerTier: TierCounts!
}

type BookStats {
  accounts: Int!
  updates: Int!
  lastUpdateMs: Decimal!
  lastUpdateAt: Int
}

type Query {
  "One account across every chain; null if the store has never seen it. 'at': unix seconds, time travel."
  account(address: String!, at: Int): Account
  accounts(where: AccountFilter, orderBy: AccountOrder = HEALTH_FACTOR_ASC, first: Int = 50, after: String): AccountConnection!
  "Most endangered first (insolvent, then lowest health factor), health factor below maxHealthFactor (default 1.1)."
  endangeredAccounts(maxHealthFactor: Decimal, first: Int = 50): EndangeredList!
  system: System!
  stress(scenario: ScenarioInput!): ScenarioResult!
  stressLibrary: [ScenarioResult!]!
  "Deficiency and liquidated volume (with cascades) of a shock to one asset from 0 to −maxShockPct (0.6 = −60%) in 'steps' equal steps (≤ 60); cached per book version, reused for up to 5 s after it changes (asOf: when it was computed)."
  liquidationCurve(asset: String!, maxShockPct: Decimal = "0.6", steps: Int = 12): LiquidationCurve!
  tierChanges(from: Int, to: Int, tier: Tier, first: Int = 50, after: String): TierChangeConnection!
  accountHistory(address: String!, from: Int!, to: Int!, bucketSeconds: Int!): [HistoryPoint!]!
  systemHistory(from: Int!, to: Int!, bucketSeconds: Int!): [SystemHistoryPoint!]!
  asOf: AsOf!
  bookStats: BookStats!
  "One address in every margin domain (the vault and each Aave market), each with its own rule and xmargin's view."
  exposure(address: String!): Exposure!
  "Every margin domain with its totals and bad debt."
  badDebt: BadDebt!
  "Aave accounts whose Aave health factor is below maxHealthFactor (default 1: liquidatable now), lowest first, with the liquidationCall the rule allows."
  aaveEndangered(maxHealthFactor: Decimal = "1", first: Int = 50): AaveEndangeredList!
}

type EndangeredChange {
  maxHealthFactor: Decimal!
  "accounts that went below the threshold with this update"
  entered: [EndangeredAccount!]!
  "addresses that are no longer below it"
  left: [String!]!
  asOf: AsOf!
}

type Subscription {
  "The account now, then after every book update that touched it."
  accountHealth(address: String!): Account
  "Entered/left the endangered set (health factor < maxHealthFactor); the first event lists the current set as entered."
  endangeredAccounts(maxHealthFactor: Decimal): EndangeredChange!
  "Every tier transition as it is recorded (optionally only transitions into 'tier')."
  tierChanges(tier: Tier): TierChange!
  "System risk now, then the newest at most once a second while the book updates (API limit systemPushIntervalMs)."
  system: System!
  "The Aave accounts below maxHealthFactor now (as Query.aaveEndangered), then again after every new read of the Aave markets (at most one a second): what a liquidator acts on."
  aaveEndangered(maxHealthFactor: Decimal = "1", first: Int = 50): AaveEndangeredList!
}
`;
