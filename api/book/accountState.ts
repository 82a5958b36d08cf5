/**
 * Store rows → the risk core's AccountState, grouped by address across chains (pure).
 *
 * Cash > 0 becomes a collateral item of the chain's quote asset, cash < 0 a debt item of |cash|.
 * Zero balances and closed positions are left out. Items the risk config does not know (a token
 * or market flagged by the indexer, an asset without risk parameters, a chain not configured)
 * are left out and counted in `skipped`, never passed to the core (which rejects them).
 */
import type { AccountState, ChainId, Hex, PositionItem, RiskConfig } from "../../risk/types.js";
import type { AccountRows } from "./reader.js";

export interface SkippedItem {
  address: Hex;
  chainId: ChainId;
  what: string;
  reason: string;
}

/** Decimals of the oracle answers per (chain, asset); positions' entry prices use the same units. */
export type PriceDecimals = (chainId: ChainId, asset: string) => number;

export const DEFAULT_PRICE_DECIMALS = 8;

export function emptyAccount(address: Hex): AccountState {
  return { address, collateral: [], debt: [], positions: [] };
}

export function buildAccountStates(
  rows: AccountRows,
  config: RiskConfig,
  priceDecimals: PriceDecimals,
  skipped?: SkippedItem[],
): Map<Hex, AccountState> {
  const accounts = new Map<Hex, AccountState>();
  const get = (address: Hex) => {
    const key = address.toLowerCase() as Hex;
    let a = accounts.get(key);
    if (a === undefined) {
      a = emptyAccount(key);
      accounts.set(key, a);
    }
    return a;
  };
  const skip = (address: Hex, chainId: ChainId, what: string, reason: string) => skipped?.push({ address, chainId, what, reason });
  const knownChain = (chainId: ChainId) => config.chains[chainId] !== undefined;
  const knownAsset = (asset: string | null): asset is string => asset !== null && config.assets[asset] !== undefined;

  for (const [kind, list] of [["collateral", rows.collateral], ["debt", rows.debt]] as const) {
    for (const r of list) {
      const account = get(r.account);
      if (r.amountRaw === 0n) continue;
      if (!knownChain(r.chainId)) { skip(account.address, r.chainId, `${kind} ${r.token}`, "chain not in config"); continue; }
      if (!knownAsset(r.asset) || r.decimals === null) { skip(account.address, r.chainId, `${kind} ${r.token}`, `asset ${r.asset ?? "unknown"} not in config`); continue; }
      const amountRaw = r.amountRaw < 0n ? -r.amountRaw : r.amountRaw;
      account[kind].push({ chainId: r.chainId, asset: r.asset, amountRaw, decimals: r.decimals });
    }
  }

  for (const r of rows.cash) {
    const account = get(r.account);
    if (r.amountRaw === 0n) continue;
    if (!knownChain(r.chainId)) { skip(account.address, r.chainId, "cash", "chain not in config"); continue; }
    if (!knownAsset(r.asset) || r.decimals === null) { skip(account.address, r.chainId, "cash", `quote asset ${r.asset ?? "unknown"} not in config`); continue; }
    const item = { chainId: r.chainId, asset: r.asset, amountRaw: r.amountRaw > 0n ? r.amountRaw : -r.amountRaw, decimals: r.decimals };
    (r.amountRaw > 0n ? account.collateral : account.debt).push(item);
  }

  for (const r of rows.positions) {
    const account = get(r.account);
    if (r.sizeRaw === 0n) continue;
    const market = config.markets[`${r.chainId}:${r.marketId}`];
    if (market === undefined) { skip(account.address, r.chainId, `position ${r.marketId}`, "market not in config"); continue; }
    const item: PositionItem = {
      chainId: r.chainId,
      marketId: r.marketId,
      asset: market.asset,
      sizeRaw: r.sizeRaw,
      entryPriceRaw: r.entryPriceRaw,
      priceDecimals: priceDecimals(r.chainId, market.asset),
      fundingIndexX18: r.fundingIndexX18,
    };
    account.positions.push(item);
  }

  // Deterministic item order: the same store gives the same state whatever order rows came in.
  for (const a of accounts.values()) {
    const byBalance = (x: { chainId: number; asset: string }, y: { chainId: number; asset: string }) => x.chainId - y.chainId || (x.asset < y.asset ? -1 : x.asset > y.asset ? 1 : 0);
    a.collateral.sort(byBalance);
    a.debt.sort(byBalance);
    a.positions.sort((x, y) => x.chainId - y.chainId || x.marketId - y.marketId);
  }
  return accounts;
}

/** True when the account holds nothing the core values (it stays known, with SAFE and no debt). */
export function isEmptyAccount(a: AccountState): boolean {
  return a.collateral.length === 0 && a.debt.length === 0 && a.positions.length === 0;
}
