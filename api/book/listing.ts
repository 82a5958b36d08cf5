/**
 * Account lists: filters, orders and cursors (pure). A cursor carries the sort key and the
 * address of the last entry returned, so the next page starts strictly after that position even
 * when accounts moved or appeared in between (keyset pagination, never an offset).
 */
import type { AccountScreen, ChainId, Hex } from "../../risk/types.js";
import type { AccountFilter, AccountListEntry, AccountOrder } from "./types.js";
import { BookError } from "./errors.js";

export function matchesFilter(screen: AccountScreen, chainIds: readonly ChainId[], filter: AccountFilter): boolean {
  if (filter.tier !== undefined && screen.tier !== filter.tier) return false;
  if (filter.chainId !== undefined && !chainIds.includes(filter.chainId)) return false;
  if (filter.healthFactorLt !== undefined && !(screen.healthFactor !== null && screen.healthFactor < filter.healthFactorLt)) return false;
  if (filter.degraded !== undefined && screen.degraded !== filter.degraded) return false;
  return true;
}

const byAddress = (a: AccountListEntry, b: AccountListEntry) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

/** Total orders (ties broken by address); a null health factor (no liabilities) sorts last. */
export function compareForOrder(order: AccountOrder): (a: AccountListEntry, b: AccountListEntry) => number {
  switch (order) {
    case "HEALTH_FACTOR_ASC":
      return (a, b) => {
        const x = a.screen.healthFactor;
        const y = b.screen.healthFactor;
        if (x !== y) {
          if (x === null) return 1;
          if (y === null) return -1;
          return x < y ? -1 : 1;
        }
        return byAddress(a, b);
      };
    case "EQUITY_ASC":
      return (a, b) => (a.screen.equityUsd !== b.screen.equityUsd ? (a.screen.equityUsd < b.screen.equityUsd ? -1 : 1) : byAddress(a, b));
    case "COLLATERAL_DESC":
      return (a, b) => (a.screen.collateralUsd !== b.screen.collateralUsd ? (a.screen.collateralUsd > b.screen.collateralUsd ? -1 : 1) : byAddress(a, b));
    case "ADDRESS_ASC":
      return byAddress;
  }
}

interface CursorBody {
  o: AccountOrder;
  a: Hex;
  k: number | null;
}

function sortKey(entry: AccountListEntry, order: AccountOrder): number | null {
  switch (order) {
    case "HEALTH_FACTOR_ASC":
      return entry.screen.healthFactor;
    case "EQUITY_ASC":
      return entry.screen.equityUsd;
    case "COLLATERAL_DESC":
      return entry.screen.collateralUsd;
    case "ADDRESS_ASC":
      return null;
  }
}

export function encodeCursor(entry: AccountListEntry, order: AccountOrder): string {
  const body: CursorBody = { o: order, a: entry.address, k: sortKey(entry, order) };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The anchor entry a cursor stands for (a synthetic entry with the cursor's key and address). */
export function decodeCursor(cursor: string, order: AccountOrder): AccountListEntry {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as CursorBody;
  } catch (error) {
    throw invalid(cursor, "not a cursor this API returned", error);
  }
  if (body === null || typeof body !== "object" || typeof body.a !== "string" || !(body.k === null || typeof body.k === "number")) throw invalid(cursor, "not a cursor this API returned");
  if (body.o !== order) throw invalid(cursor, `it was issued for order ${body.o}, not ${order}`);
  const screen: AccountScreen = { tier: "SAFE", healthMUsd: 0, healthIUsd: 0, equityUsd: 0, healthFactor: null, collateralUsd: 0, debtUsd: 0, degraded: false };
  if (order === "HEALTH_FACTOR_ASC") screen.healthFactor = body.k;
  if (order === "EQUITY_ASC") screen.equityUsd = body.k ?? 0;
  if (order === "COLLATERAL_DESC") screen.collateralUsd = body.k ?? 0;
  return { address: body.a, screen };
}

function invalid(cursor: string, why: string, cause?: unknown): BookError {
  return new BookError("BOOK_INVALID_CURSOR", `Invalid cursor "${cursor.slice(0, 64)}": ${why}. Pass the endCursor of the previous page with the same orderBy, or omit 'after' for the first page.`, { cursor: cursor.slice(0, 64) }, cause);
}
