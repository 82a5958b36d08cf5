/**
 * Margin domains (api/domains/domainView.ts): Query.exposure, Query.badDebt (also System.badDebt),
 * Query.aaveEndangered and ScenarioResult.domainStress. Without a domain view (a config with no
 * protocol markets) the vault is the only domain.
 */
import type Decimal from "decimal.js";
import { fromRaw, ZERO } from "../../risk/decimal.js";
import type { AaveDomainAccount, AaveDomainStress, DomainTotals, UnifiedExposure } from "../../risk/domains/index.js";
import type { Hex, StressScenario } from "../../risk/types.js";
import { parseAddress, parseFirst, parseHealthFactorThreshold } from "../args.js";
import type { ApiContext } from "../context.js";
import { formatAccount, formatAsOf, formatReason, formatTierCounts } from "../format.js";

/** a wad (1e18 = 1) as an exact decimal */
const wad = (x: bigint | null): Decimal | null => (x === null ? null : fromRaw(x, 18));

function protocolOf(domainId: string): "MARGIN_VAULT" | "AAVE_V3" {
  return domainId === "vault" ? "MARGIN_VAULT" : "AAVE_V3";
}

function formatDomain(t: DomainTotals, ctx: ApiContext, blocks: ReadonlyMap<number, { blockNumber: bigint; blockTimestamp: number }>) {
  const d = t.domain;
  const block = d.kind === "aaveV3" ? blocks.get(d.chainId) : undefined;
  return {
    id: d.id,
    protocol: protocolOf(d.id),
    chainIds: d.kind === "vault" ? d.chainIds : [d.chainId],
    pool: d.kind === "aaveV3" ? d.pool : null,
    accounts: t.accounts,
    collateralUsd: t.collateralUsd,
    debtUsd: t.debtUsd,
    badDebtUsd: t.badDebtUsd,
    accountsPerTier: formatTierCounts(t.accountsPerTier),
    blockNumber: block?.blockNumber ?? null,
    blockTimestamp: block?.blockTimestamp ?? null,
  };
}

/** Bad debt per domain, per chain and in total (the vault alone without a domain view). */
export function badDebtSnapshot(ctx: ApiContext) {
  const names = ctx.chainNames();
  const asOf = formatAsOf(ctx.book.asOf());
  if (ctx.domains === null) {
    const system = ctx.book.system();
    const chainIds = ctx.book.chains().map((c) => c.chainId);
    const vault: DomainTotals = { domain: { kind: "vault", id: "vault", chainIds }, accounts: Object.values(system.accountsPerTier).reduce((a, b) => a + b, 0), collateralUsd: system.collateralUsd, debtUsd: system.debtUsd, badDebtUsd: system.deficiencyUsd, accountsPerTier: system.accountsPerTier };
    return { totalUsd: system.deficiencyUsd, crossChainUsd: system.deficiencyUsd, perChain: [], domains: [formatDomain(vault, ctx, new Map())], problems: [], asOf };
  }
  const o = ctx.domains.overview();
  const blocks = new Map(o.checkpoints.map((c) => [c.chainId, c]));
  return {
    totalUsd: o.totalBadDebtUsd,
    crossChainUsd: o.crossChainBadDebtUsd,
    perChain: o.perChain.map((c) => ({ chainId: c.chainId, name: names.get(c.chainId) ?? null, badDebtUsd: c.badDebtUsd })),
    domains: o.domains.map((d) => formatDomain(d, ctx, blocks)),
    problems: o.problems.map((p) => ({ domainId: p.domainId, address: p.address ?? null, message: p.message })),
    asOf,
  };
}

export function badDebtResolver(_parent: unknown, _args: unknown, ctx: ApiContext) {
  return badDebtSnapshot(ctx);
}

/** One Aave account, the rule and the view side by side. */
export function formatAaveAccount(a: AaveDomainAccount, blockNumber: bigint | null) {
  const r = a.rule;
  const v = a.view;
  const best = r.bestLiquidation;
  return {
    address: a.address,
    domainId: a.domain.id,
    chainId: a.domain.chainId,
    pool: a.domain.pool,
    blockNumber,
    rule: {
      healthFactor: wad(r.healthFactorWad),
      totalCollateralBase: r.totalCollateralBase,
      totalDebtBase: r.totalDebtBase,
      availableBorrowsBase: r.availableBorrowsBase,
      currentLiquidationThresholdBps: Number(r.currentLiquidationThresholdBps),
      ltvBps: Number(r.ltvBps),
      liquidatable: r.liquidatable,
      closeFactorBps: r.liquidatable && r.closeFactorBps !== null ? Number(r.closeFactorBps) : null,
      badDebtBase: r.badDebtBase,
      bestLiquidation: best && {
        collateralAsset: best.collateralAsset,
        debtAsset: best.debtAsset,
        debtToCoverRaw: best.debtToCoverRaw,
        collateralToLiquidatorRaw: best.collateralToLiquidatorRaw,
        protocolFeeRaw: best.protocolFeeRaw,
        liquidationBonusBps: Number(best.liquidationBonusBps),
        liquidatorProfitBase: best.liquidatorProfitBase,
        healthFactorAfter: wad(best.healthFactorAfterWad),
      },
    },
    tier: v.tier,
    healthFactor: v.healthFactor,
    maintenanceHealthUsd: v.maintenanceHealthUsd,
    initialHealthUsd: v.initialHealthUsd,
    equityUsd: v.equityUsd,
    collateralValueUsd: v.collateralValueUsd,
    debtValueUsd: v.debtValueUsd,
    badDebtUsd: a.badDebtUsd,
    latency: { configured: v.latencySeconds.configured, measuredLag: Math.round(v.latencySeconds.measuredLag), total: Math.round(v.latencySeconds.total) },
    degraded: v.degraded,
    degradedReasons: v.degradedReasons.map(formatReason),
    items: v.items.map((i) => ({
      kind: i.kind === "collateral" ? "COLLATERAL" : "DEBT",
      asset: i.asset,
      symbol: i.symbol,
      amountRaw: i.amountRaw,
      decimals: i.decimals,
      valueUsd: i.valueUsd,
      cfMaintenance: i.cfMaintenance,
      cfInitial: i.cfInitial,
      haircut: i.haircutMaintenance,
      haircutInitial: i.haircutInitial,
      maintenanceValueUsd: i.maintenanceValueUsd,
      initialValueUsd: i.initialValueUsd,
      zeroedByStaleness: i.zeroedByStaleness,
    })),
    liquidationPrices: v.liquidationPrices.map((p) => ({ asset: p.symbol, priceUsd: p.priceUsd })),
  };
}

function blockOf(ctx: ApiContext): (chainId: number) => bigint | null {
  if (ctx.domains === null) return () => null;
  const blocks = new Map(ctx.domains.overview().checkpoints.map((c) => [c.chainId, c.blockNumber]));
  return (chainId) => blocks.get(chainId) ?? null;
}

function formatUnified(u: UnifiedExposure) {
  return {
    address: u.address,
    domains: u.domains.map((d) => ({
      domainId: d.domain.id,
      protocol: protocolOf(d.domain.id),
      chainIds: d.domain.kind === "vault" ? d.domain.chainIds : [d.domain.chainId],
      collateralUsd: d.collateralUsd,
      debtUsd: d.debtUsd,
      badDebtUsd: d.badDebtUsd,
      tier: d.tier,
    })),
    collateralUsd: u.collateralUsd,
    debtUsd: u.debtUsd,
    netUsd: u.netUsd,
    badDebtUsd: u.badDebtUsd,
    worstTier: u.worstTier,
  };
}

export function exposureResolver(_parent: unknown, args: { address: string }, ctx: ApiContext) {
  const address = parseAddress(args.address);
  const asOf = ctx.book.asOf();
  if (ctx.domains === null) {
    const risk = ctx.book.account(address);
    const bad = risk && risk.equityUsd.isNeg() ? risk.equityUsd.neg() : ZERO;
    const coll = risk?.collateralValueUsd ?? ZERO;
    const debt = risk?.debtValueUsd ?? ZERO;
    return {
      ...formatUnified({ address: address as `0x${string}`, domains: risk ? [{ domain: { kind: "vault", id: "vault", chainIds: risk.chainIds }, collateralUsd: coll, debtUsd: debt, badDebtUsd: bad, tier: risk.tier }] : [], collateralUsd: coll, debtUsd: debt, netUsd: coll.minus(debt), badDebtUsd: bad, worstTier: risk?.tier ?? "SAFE" }),
      vault: risk ? formatAccount(risk, asOf, ctx.chainNames) : null,
      aave: [],
      asOf: formatAsOf(asOf),
    };
  }
  const e = ctx.domains.exposure(address);
  const block = blockOf(ctx);
  return {
    ...formatUnified(e.unified),
    vault: e.vault ? formatAccount(e.vault, asOf, ctx.chainNames) : null,
    aave: e.aave.map((a) => formatAaveAccount(a, block(a.domain.chainId))),
    asOf: formatAsOf(asOf),
  };
}

export function aaveEndangeredResolver(_parent: unknown, args: { maxHealthFactor?: string | null; first?: number | null }, ctx: ApiContext) {
  const max = parseHealthFactorThreshold(args.maxHealthFactor, 1, "maxHealthFactor");
  const first = parseFirst(args.first, 50, ctx.limits.maxPageSize);
  const asOf = formatAsOf(ctx.book.asOf());
  if (ctx.domains === null) return { maxHealthFactor: String(max), nodes: [], asOf };
  const block = blockOf(ctx);
  return { maxHealthFactor: String(max), nodes: ctx.domains.endangered(max, first).map((a) => formatAaveAccount(a, block(a.domain.chainId))), asOf };
}

/** ScenarioResult.domainStress: the Aave cascade under the parent's scenario. */
export function scenarioDomainsResolver(parent: { scenario?: StressScenario }, _args: unknown, ctx: ApiContext) {
  if (ctx.domains === null || parent.scenario === undefined) return [];
  return ctx.domains.stress(parent.scenario).domains.map((d: AaveDomainStress) => ({
    domainId: d.domainId,
    chainId: d.chainId,
    deficiencyBeforeUsd: d.deficiencyBeforeUsd,
    deficiencyUsd: d.deficiencyUsd,
    liquidationCalls: d.liquidationCalls,
    debtRepaidUsd: d.debtRepaidUsd,
    allShortfalls: d.shortfallsUsd.map((s) => ({ address: s.address as Hex, shortfallUsd: s.shortfallUsd })),
  }));
}
