/**
 * Risk-core results → the GraphQL shapes of api/schema/typeDefs.ts. Decimal values stay
 * decimal.js instances here (the `Decimal` scalar prints them exactly); screened floats are
 * rounded to fixed digits and documented as such.
 */
import type {
  AccountRisk,
  AccountScreen,
  ChainId,
  DegradedReason,
  ItemRisk,
  MarkPrice,
  PositionRisk,
  ScenarioResult,
  SystemRisk,
  Tier,
  VolatilityEstimate,
} from "../risk/types.js";
import type { AsOf, ChainStatus, TierChange } from "./book/types.js";

export const YEAR_SECONDS = 31_536_000;

/** A float from the screening fast path as a fixed-point decimal string ("12.34"), never exponent. */
export function floatToDecimal(value: number, digits: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`Screened value ${value} is not finite.`);
  const s = Math.abs(value) < 1e21 ? value.toFixed(digits) : BigInt(Math.round(value)).toString();
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

export interface GqlAsOf {
  now: number;
  chains: GqlChainFreshness[];
}
export interface GqlChainFreshness {
  chainId: number;
  name: string;
  blockNumber: bigint;
  timestamp: number;
  lagSeconds: number;
  stale: boolean;
}

const formattedAsOf = new WeakMap<AsOf, GqlAsOf>();

/** The book's asOf in GraphQL shape; the book reuses one AsOf per time frame, so is this. */
export function formatAsOf(asOf: AsOf): GqlAsOf {
  let out = formattedAsOf.get(asOf);
  if (out === undefined) {
    out = {
      now: asOf.now,
      chains: asOf.chains.map((c) => ({
        chainId: c.chainId,
        name: c.name,
        blockNumber: c.blockNumber,
        timestamp: c.blockTimestamp,
        lagSeconds: Math.round(c.lagSeconds),
        stale: c.stale,
      })),
    };
    formattedAsOf.set(asOf, out);
  }
  return out;
}

export function degradedMessage(reason: DegradedReason): string {
  switch (reason.code) {
    case "CHAIN_STALE":
      return `Chain ${reason.chainId} is ${reason.lagSeconds} s behind (max ${reason.maxSeconds} s): its collateral earns no credit.`;
    case "PRICE_STALE":
      return `${reason.asset} has no fresh oracle answer: its collateral earns no credit.`;
    case "ORACLE_DIVERGENCE":
      return `${reason.asset} oracle answers on chains ${reason.chainIds.join(", ")} diverge from the cross-chain median and are left out.`;
    case "CHAIN_UNREACHABLE":
      return `Chain ${reason.chainId} is unreachable: its collateral earns no credit.`;
    default:
      return `Degraded: ${(reason as { code: string }).code}.`;
  }
}

export function formatReason(reason: DegradedReason) {
  return {
    code: reason.code,
    chainId: "chainId" in reason ? reason.chainId : null,
    chainIds: "chainIds" in reason ? reason.chainIds : null,
    asset: "asset" in reason ? reason.asset : null,
    lagSeconds: "lagSeconds" in reason ? Math.round(reason.lagSeconds) : null,
    maxSeconds: "maxSeconds" in reason ? reason.maxSeconds : null,
    message: degradedMessage(reason),
  };
}

function formatItem(item: ItemRisk) {
  return {
    kind: item.kind === "collateral" ? "COLLATERAL" : "DEBT",
    chainId: item.chainId,
    asset: item.asset,
    amountRaw: item.amountRaw,
    decimals: item.decimals,
    amount: item.amount,
    valueUsd: item.valueUsd,
    haircut: item.haircutMaintenance,
    haircutInitial: item.haircutInitial,
    maintenanceValueUsd: item.maintenanceValueUsd,
    initialValueUsd: item.initialValueUsd,
    latency: {
      configured: Math.round(item.latencySeconds.configured),
      measuredLag: Math.round(item.latencySeconds.measuredLag),
      total: Math.round(item.latencySeconds.total),
    },
    zeroedByStaleness: item.zeroedByStaleness,
  };
}

function formatPosition(p: PositionRisk) {
  return {
    chainId: p.chainId,
    marketId: p.marketId,
    asset: p.asset,
    size: p.size,
    entryPriceUsd: p.entryPriceUsd,
    markPriceUsd: p.markPriceUsd,
    fundingOwedUsd: p.fundingOwedUsd,
    unrealizedPnlUsd: p.unrealizedPnlUsd,
    notionalUsd: p.notionalUsd,
    requirementUsd: p.maintenanceRequirementUsd,
    initialRequirementUsd: p.initialRequirementUsd,
  };
}

/**
 * The full account report, grouped per chain as well as flat. The headline numbers are fields;
 * everything else is a method that runs only when the query selects the field (api/resolvers/
 * index.ts calls them), so a query for the tier and health factor does not format items, group
 * chains or sum decimals. One object per request and no closures: this is the API's hot path.
 */
export class FormattedAccount {
  readonly address: string;
  readonly tier: Tier;
  readonly healthFactor: AccountRisk["healthFactor"];
  readonly maintenanceHealthUsd: AccountRisk["maintenanceHealthUsd"];
  readonly initialHealthUsd: AccountRisk["initialHealthUsd"];
  readonly equityUsd: AccountRisk["equityUsd"];
  readonly collateralValueUsd: AccountRisk["collateralValueUsd"];
  readonly debtValueUsd: AccountRisk["debtValueUsd"];
  readonly degraded: boolean;
  readonly grossRequirementUsd: AccountRisk["grossRequirementUsd"];
  readonly chainIds: AccountRisk["chainIds"];
  private formattedItems: ReturnType<typeof formatItem>[] | undefined;
  private formattedPositions: ReturnType<typeof formatPosition>[] | undefined;

  constructor(
    private readonly risk: AccountRisk,
    /** the frame the report was computed in (formatted when selected) */
    private readonly frame: AsOf,
    private readonly chainNames: () => ReadonlyMap<ChainId, string>,
  ) {
    this.address = risk.address;
    this.tier = risk.tier;
    this.healthFactor = risk.healthFactor;
    this.maintenanceHealthUsd = risk.maintenanceHealthUsd;
    this.initialHealthUsd = risk.initialHealthUsd;
    this.equityUsd = risk.equityUsd;
    this.collateralValueUsd = risk.collateralValueUsd;
    this.debtValueUsd = risk.debtValueUsd;
    this.degraded = risk.degraded;
    this.grossRequirementUsd = risk.grossRequirementUsd;
    this.chainIds = risk.chainIds;
  }

  degradedReasons() {
    return this.risk.degradedReasons.map(formatReason);
  }
  items() {
    return (this.formattedItems ??= this.risk.items.map(formatItem));
  }
  positions() {
    return (this.formattedPositions ??= this.risk.positions.map(formatPosition));
  }
  chains() {
    return chainsOf(this.risk, this.items(), this.positions(), this.chainNames());
  }
  // the report itself computes these (liquidation prices, portfolio view) only when first read
  liquidationPrices() {
    return this.risk.liquidationPrices;
  }
  portfolioRequirementUsd() {
    return this.risk.portfolioRequirementUsd;
  }
  marginEfficiency() {
    return this.risk.marginEfficiency;
  }
  asOf(): GqlAsOf {
    return formatAsOf(this.frame);
  }
}

export function formatAccount(risk: AccountRisk, frame: AsOf, chainNames: () => ReadonlyMap<ChainId, string>): FormattedAccount {
  return new FormattedAccount(risk, frame, chainNames);
}

/** Items and positions per chain, with each chain's net value (collateral − debt at mark). */
function chainsOf(
  risk: AccountRisk,
  items: readonly ReturnType<typeof formatItem>[],
  positions: readonly ReturnType<typeof formatPosition>[],
  chainNames: ReadonlyMap<ChainId, string>,
) {
  const chainIds = [...new Set<number>([...risk.chainIds, ...risk.items.map((i) => i.chainId), ...risk.positions.map((p) => p.chainId)])].sort(
    (a, b) => a - b,
  );
  return chainIds.map((chainId) => {
    const own = risk.items.filter((i) => i.chainId === chainId);
    let net = own.length > 0 ? own[0]!.valueUsd.mul(0) : null;
    for (const i of own) net = i.kind === "collateral" ? net!.add(i.valueUsd) : net!.sub(i.valueUsd);
    return {
      chainId,
      name: chainNames.get(chainId) ?? null,
      collateral: items.filter((i) => i.chainId === chainId && i.kind === "COLLATERAL"),
      debt: items.filter((i) => i.chainId === chainId && i.kind === "DEBT"),
      positions: positions.filter((p) => p.chainId === chainId),
      netValueUsd: net ?? "0",
    };
  });
}

/** Screened numbers for lists: USD to cents, health factor to 4 decimals (tiers are exact). */
export function formatScreen(address: string, screen: AccountScreen) {
  return {
    address,
    tier: screen.tier,
    healthFactor: screen.healthFactor === null ? null : floatToDecimal(screen.healthFactor, 4),
    maintenanceHealthUsd: floatToDecimal(screen.healthMUsd, 2),
    initialHealthUsd: floatToDecimal(screen.healthIUsd, 2),
    equityUsd: floatToDecimal(screen.equityUsd, 2),
    collateralUsd: floatToDecimal(screen.collateralUsd, 2),
    debtUsd: floatToDecimal(screen.debtUsd, 2),
    degraded: screen.degraded,
  };
}

/** Collateral a liquidator could seize, fastest chain first. */
export function seizableOf(risk: AccountRisk) {
  return risk.items
    .filter((i) => i.kind === "collateral" && i.amountRaw > 0n)
    .map((i) => ({
      chainId: i.chainId,
      asset: i.asset,
      amount: i.amount,
      valueUsd: i.valueUsd,
      latencySeconds: Math.round(i.latencySeconds.total),
    }))
    .sort((a, b) => a.latencySeconds - b.latencySeconds || a.chainId - b.chainId);
}

export function formatTierCounts(counts: Record<Tier, number>) {
  return {
    safe: counts.SAFE ?? 0,
    marginCall: counts.MARGIN_CALL ?? 0,
    liquidatable: counts.LIQUIDATABLE ?? 0,
    insolvent: counts.INSOLVENT ?? 0,
  };
}

export function formatSystemChain(c: ChainStatus, exposureUsd: unknown) {
  const horizon = Math.max(0, c.liquidationLatencySeconds + c.haircutLagSeconds);
  return {
    chainId: c.chainId,
    name: c.name,
    blockNumber: c.blockNumber,
    timestamp: c.blockTimestamp,
    lagSeconds: Math.round(c.lagSeconds),
    haircutLagSeconds: c.haircutLagSeconds,
    stale: c.stale,
    liquidationLatencySeconds: c.liquidationLatencySeconds,
    maxDataLagSeconds: c.maxDataLagSeconds,
    horizonSeconds: Math.round(horizon),
    haircutMultiplier: floatToDecimal(Math.sqrt(horizon / YEAR_SECONDS), 6),
    exposureUsd: exposureUsd ?? null,
  };
}

export function formatMark(mark: MarkPrice, vol: VolatilityEstimate | null) {
  const sigma = vol?.sigmaAnnual[mark.asset];
  return {
    asset: mark.asset,
    priceUsd: mark.priceUsd,
    sources: mark.sources.map((s) => ({ ...s, ageSeconds: Math.round(s.ageSeconds) })),
    divergentChains: mark.divergentChains,
    sigmaAnnual: sigma === undefined || !Number.isFinite(sigma) ? null : floatToDecimal(sigma, 6),
  };
}

export function formatSystem(system: SystemRisk) {
  return {
    collateralUsd: system.collateralUsd,
    debtUsd: system.debtUsd,
    openInterestUsd: system.openInterestUsd,
    deficiencyUsd: system.deficiencyUsd,
    insuranceFundUsd: system.insuranceFundUsd,
    worstScenario: system.worstScenario,
    worstDeficiencyUsd: system.worstDeficiencyUsd,
    coverageRatio: system.coverageRatio,
    cover1Usd: system.cover1Usd,
    cover2Usd: system.cover2Usd,
    liquidatableNotionalUsd: system.liquidatableNotionalUsd,
    action: system.action,
    accountsPerTier: formatTierCounts(system.accountsPerTier),
  };
}

export function formatScenarioResult(result: ScenarioResult, asOf: GqlAsOf) {
  return {
    name: result.scenario.name,
    shocks: result.scenario.shocks.map((s) => ({ asset: s.asset, pct: s.pct })),
    unreachableChains: result.scenario.unreachableChains ?? [],
    latencyMultiplier: result.scenario.latencyMultiplier ?? null,
    rounds: result.rounds.map((r) => ({
      round: r.round,
      liquidatedAccounts: r.liquidatedAccounts,
      liquidatedVolumeUsd: r.liquidatedVolumeUsd,
      deficiencyUsd: r.deficiencyUsd,
      priceImpact: Object.entries(r.priceImpact).map(([asset, impact]) => ({ asset, impact })),
    })),
    deficiencyUsd: result.deficiencyUsd,
    liquidatedVolumeUsd: result.liquidatedVolumeUsd,
    allShortfalls: result.shortfallsUsd,
    /** the scenario itself, for ScenarioResult.domainStress (not a schema field) */
    scenario: result.scenario,
    asOf,
  };
}

export function formatTierChange(change: TierChange) {
  return {
    seq: change.seq,
    address: change.address,
    from: change.from,
    to: change.to,
    chainId: change.chainId,
    blockNumber: change.blockNumber,
    timestamp: change.timestamp,
    healthFactor: change.healthFactor === null ? null : floatToDecimal(change.healthFactor, 4),
  };
}
