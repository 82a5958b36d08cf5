/**
 * Margin domains: the sets of an account's items that back each other. The project's vault pool
 * spans chains (today's model, risk/evaluateAccount.ts, unchanged); an Aave v3 market is one chain's
 * cross-margin pool (a user's enabled collateral there backs all their debt there, nothing
 * elsewhere does). Each domain reports the protocol's own rule and xmargin's view side by side;
 * this module evaluates domains and sums them: bad debt per domain, per chain and in total, and an
 * account's unified exposure across every domain it is in.
 */
import type Decimal from "decimal.js";
import { getAddress, type Address } from "viem";
import { D, roundUpUsd, ZERO } from "../decimal.js";
import { evaluateAccount } from "../evaluateAccount.js";
import type { PreparedEnvironment } from "../environment.js";
import type { AccountRisk, AccountState, ChainId, Tier } from "../types.js";
import { TIERS } from "../types.js";
import { aaveAccountRule, aaveLiquidationPrices, type AaveAccountRule, type AaveLiquidationPrice } from "./aaveRule.js";
import type { AaveAccountSnapshot } from "./aaveSnapshot.js";
import { aaveAccountView, type AaveAccountView, type AaveViewContext } from "./aaveView.js";

/** Which pool an item belongs to. */
export type MarginDomainRef =
  | { kind: "vault"; id: "vault"; chainIds: ChainId[] }
  | { kind: "aaveV3"; id: `aaveV3:${number}:${string}`; chainId: ChainId; pool: Address };

/** The id of an Aave v3 domain: `aaveV3:${chainId}:${pool}` (pool checksummed). Example: `aaveDomainId(1, "0x87870b…")`. */
export function aaveDomainId(chainId: ChainId, pool: Address): `aaveV3:${number}:${string}` {
  return aaveDomainRef(chainId, pool).id;
}

/** One frozen ref per (chain, pool as given): a whole-market tick checksums the pool once, not per account. */
const domainRefs = new Map<string, Extract<MarginDomainRef, { kind: "aaveV3" }>>();
export function aaveDomainRef(chainId: ChainId, pool: Address): Extract<MarginDomainRef, { kind: "aaveV3" }> {
  const key = `${chainId}:${pool}`;
  let ref = domainRefs.get(key);
  if (ref === undefined) {
    const checksummed = getAddress(pool);
    ref = Object.freeze({ kind: "aaveV3", id: `aaveV3:${chainId}:${checksummed}`, chainId, pool: checksummed }) as Extract<MarginDomainRef, { kind: "aaveV3" }>;
    if (domainRefs.size >= 1024) domainRefs.clear();
    domainRefs.set(key, ref);
  }
  return ref;
}

/** One account in the vault domain: today's report, and its bad debt `max(0, −equity)` (USD). */
export interface VaultDomainAccount {
  domain: Extract<MarginDomainRef, { kind: "vault" }>;
  address: Address;
  risk: AccountRisk;
  badDebtUsd: Decimal;
}

/** One account in an Aave v3 domain: the protocol's rule (exact, base currency) and xmargin's view (USD). */
export interface AaveDomainAccount {
  domain: Extract<MarginDomainRef, { kind: "aaveV3" }>;
  address: Address;
  rule: AaveAccountRule;
  /** exact liquidation prices of the protocol's health factor (base units per whole token); null when not asked for */
  ruleLiquidationPrices: AaveLiquidationPrice[] | null;
  view: AaveAccountView;
  /** rule.badDebtBase / baseCurrencyUnit, rounded up at 18 decimals */
  badDebtUsd: Decimal;
  /** the rule's totals in USD (collateral floored, debt rounded up, at 18 decimals) */
  collateralUsd: Decimal;
  debtUsd: Decimal;
}

/** An account's report in one domain, either kind. */
export type DomainAccount = VaultDomainAccount | AaveDomainAccount;

/**
 * The vault domain's report of one account: `evaluateAccount` as it is (numbers unchanged), with
 * bad debt = max(0, −equityUsd). The domain spans the account's chains.
 * Example: equity −120 USD → badDebtUsd 120.
 */
export function vaultDomainAccount(account: AccountState, env: PreparedEnvironment): VaultDomainAccount {
  const risk = evaluateAccount(account, env);
  return {
    domain: { kind: "vault", id: "vault", chainIds: risk.chainIds },
    address: getAddress(account.address),
    risk,
    badDebtUsd: risk.equityUsd.isNeg() ? risk.equityUsd.neg() : ZERO,
  };
}

/** base units → USD: x / unit, rounded up (liabilities) or down (assets) at 18 decimals. */
export function baseToUsd(x: bigint, unit: bigint, up: boolean): Decimal {
  const v = new D(x.toString()).div(unit.toString());
  return up ? roundUpUsd(v) : v.toDecimalPlaces(18, D.ROUND_FLOOR);
}

/**
 * One account in one Aave market: {@link aaveAccountRule} (the protocol, exact), its exact
 * liquidation prices, and {@link aaveAccountView} (xmargin's haircut view), with bad debt
 * `max(0, totalDebtBase − totalCollateralBase)` in USD (rounded up). The exact liquidation prices
 * cost ~0.2 ms per account (a bisection per collateral): pass `{ exactLiquidationPrices: false }` on
 * a whole-book tick and ask `aaveLiquidationPrices(snapshot)` for the accounts shown. Example:
 * `aaveDomainAccount(1, pool, aaveAccountSnapshot(state, user, blockTs), ctx).rule.healthFactorWad`.
 */
export function aaveDomainAccount(
  chainId: ChainId,
  pool: Address,
  snapshot: AaveAccountSnapshot,
  ctx: AaveViewContext,
  options: { exactLiquidationPrices?: boolean } = {},
): AaveDomainAccount {
  const rule = aaveAccountRule(snapshot);
  const unit = ctx.baseCurrencyUnit;
  return {
    domain: aaveDomainRef(chainId, pool),
    address: snapshot.account,
    rule,
    ruleLiquidationPrices: options.exactLiquidationPrices === false ? null : aaveLiquidationPrices(snapshot),
    view: aaveAccountView(snapshot, ctx),
    badDebtUsd: baseToUsd(rule.badDebtBase, unit, true),
    collateralUsd: baseToUsd(rule.totalCollateralBase, unit, false),
    debtUsd: baseToUsd(rule.totalDebtBase, unit, true),
  };
}

/** Collateral, debt, bad debt (USD) and the tier of one domain account in one shape. */
export function domainAccountTotals(a: DomainAccount): { collateralUsd: Decimal; debtUsd: Decimal; badDebtUsd: Decimal; tier: Tier } {
  if (a.domain.kind === "vault") {
    const r = (a as VaultDomainAccount).risk;
    return { collateralUsd: r.collateralValueUsd, debtUsd: r.debtValueUsd, badDebtUsd: a.badDebtUsd, tier: r.tier };
  }
  const x = a as AaveDomainAccount;
  return { collateralUsd: x.collateralUsd, debtUsd: x.debtUsd, badDebtUsd: x.badDebtUsd, tier: x.view.tier };
}

/** One domain's sums over its accounts (USD, exact decimals). */
export interface DomainTotals {
  domain: MarginDomainRef;
  accounts: number;
  collateralUsd: Decimal;
  debtUsd: Decimal;
  /** Σ per-account bad debt in this domain (an account's surplus never covers another's deficit) */
  badDebtUsd: Decimal;
  accountsPerTier: Record<Tier, number>;
}

/** Bad debt per domain, per chain and in total (USD). */
export interface DeficiencyByDomain {
  domains: DomainTotals[];
  /** Σ bad debt of the single-chain domains on each chain (ascending chain id) */
  perChain: { chainId: ChainId; badDebtUsd: Decimal }[];
  /** Σ bad debt of the domains that span chains (the vault): not attributable to one chain */
  crossChainBadDebtUsd: Decimal;
  /** Σ over every domain = Σ perChain + crossChain */
  totalBadDebtUsd: Decimal;
}

const emptyTiers = (): Record<Tier, number> => Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;

/**
 * Sums domain accounts: per domain Σ collateral, Σ debt, Σ bad debt, tiers (the tier is the view's
 * for Aave: xmargin's, not the protocol's); per chain Σ bad debt of its single-chain domains; the
 * vault's bad debt apart (it spans chains); total = Σ domains. Exact decimal sums. Domains in
 * first-seen order of their id sorted ("aaveV3:…" before "vault").
 * Example: two Aave accounts with bad debt 10 and 0 and a vault account at equity −5 → total 15, chain 10, cross-chain 5.
 */
export function deficiencyByDomain(accounts: Iterable<DomainAccount>): DeficiencyByDomain {
  const byId = new Map<string, DomainTotals>();
  for (const a of accounts) {
    const t = domainAccountTotals(a);
    let d = byId.get(a.domain.id);
    if (!d) {
      d = { domain: a.domain.kind === "vault" ? { kind: "vault", id: "vault", chainIds: [] } : a.domain, accounts: 0, collateralUsd: ZERO, debtUsd: ZERO, badDebtUsd: ZERO, accountsPerTier: emptyTiers() };
      byId.set(a.domain.id, d);
    }
    if (d.domain.kind === "vault" && a.domain.kind === "vault") {
      const set = new Set([...d.domain.chainIds, ...a.domain.chainIds]);
      d.domain.chainIds = [...set].sort((x, y) => x - y);
    }
    d.accounts++;
    d.collateralUsd = d.collateralUsd.plus(t.collateralUsd);
    d.debtUsd = d.debtUsd.plus(t.debtUsd);
    d.badDebtUsd = d.badDebtUsd.plus(t.badDebtUsd);
    d.accountsPerTier[t.tier]++;
  }
  return deficiencyFromTotals(byId.values());
}

/** A domain's totals with no accounts yet. */
export function emptyDomainTotals(domain: MarginDomainRef): DomainTotals {
  return { domain, accounts: 0, collateralUsd: ZERO, debtUsd: ZERO, badDebtUsd: ZERO, accountsPerTier: emptyTiers() };
}

/**
 * Bad debt per chain and in total from per-domain totals (one entry per domain id; sorted by id
 * in the result): what deficiencyByDomain does after summing its accounts.
 */
export function deficiencyFromTotals(totals: Iterable<DomainTotals>): DeficiencyByDomain {
  const domains = [...totals].sort((a, b) => (a.domain.id < b.domain.id ? -1 : a.domain.id > b.domain.id ? 1 : 0));
  const chains = new Map<ChainId, Decimal>();
  let cross = ZERO;
  let total = ZERO;
  for (const d of domains) {
    total = total.plus(d.badDebtUsd);
    if (d.domain.kind === "aaveV3") chains.set(d.domain.chainId, (chains.get(d.domain.chainId) ?? ZERO).plus(d.badDebtUsd));
    else cross = cross.plus(d.badDebtUsd);
  }
  const perChain = [...chains.entries()].sort((a, b) => a[0] - b[0]).map(([chainId, badDebtUsd]) => ({ chainId, badDebtUsd }));
  return { domains, perChain, crossChainBadDebtUsd: cross, totalBadDebtUsd: total };
}

/** One address across every domain it is in (USD). */
export interface UnifiedExposure {
  address: Address;
  domains: { domain: MarginDomainRef; collateralUsd: Decimal; debtUsd: Decimal; badDebtUsd: Decimal; tier: Tier }[];
  /** Σ over domains; a surplus in one domain does not reduce another's bad debt */
  collateralUsd: Decimal;
  debtUsd: Decimal;
  netUsd: Decimal;
  badDebtUsd: Decimal;
  /** the worst tier of any domain (INSOLVENT worst); SAFE when in no domain */
  worstTier: Tier;
}

/**
 * An account's exposure across every domain it is in: per domain its collateral, debt, bad debt
 * and tier, and the sums; `netUsd = collateral − debt`; bad debt is summed per domain (items in
 * different domains do not back each other, so it is not max(0, −net)). Accounts are matched by
 * checksummed address. Example: Aave on chain 1 (bad debt 20) and the vault (equity +500) → badDebtUsd 20, netUsd 480.
 */
export function unifiedExposure(address: Address, accounts: Iterable<DomainAccount>): UnifiedExposure {
  const who = getAddress(address);
  const domains: UnifiedExposure["domains"] = [];
  let coll = ZERO, debt = ZERO, bad = ZERO;
  let worst = 0;
  for (const a of accounts) {
    if (getAddress(a.address) !== who) continue;
    const t = domainAccountTotals(a);
    domains.push({ domain: a.domain, ...t });
    coll = coll.plus(t.collateralUsd);
    debt = debt.plus(t.debtUsd);
    bad = bad.plus(t.badDebtUsd);
    worst = Math.max(worst, TIERS.indexOf(t.tier));
  }
  domains.sort((a, b) => (a.domain.id < b.domain.id ? -1 : a.domain.id > b.domain.id ? 1 : 0));
  return { address: who, domains, collateralUsd: coll, debtUsd: debt, netUsd: coll.minus(debt), badDebtUsd: bad, worstTier: TIERS[worst] };
}
