/**
 * The ledger alone rebuilds the store's state tables: the indexer's own mappers write a random but
 * chain-consistent event history into an in-memory store with Ponder's upsert semantics, and the
 * book's replay (applyLedgerRow over the ledger rows, read in the reader's shape) must give the
 * same collateral, debt, cash, position, market and insurance-fund rows, at the end and after
 * every prefix (time travel).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ADDR } from "../../config/fixtures.js";
import { mapCollateralDeposited, mapCollateralSeized, mapCollateralWithdrawn, mapDebtBorrowed, mapDebtRepaid } from "../../protocols/marginVault/mappers/balances.js";
import { mapInsuranceFunded, mapInsurancePaidOut, mapLiquidatorSet } from "../../protocols/marginVault/mappers/insurance.js";
import { mapFundingUpdated, mapMarketListed, mapMarketModeChanged, mapMaxLeverageChanged } from "../../protocols/marginVault/mappers/markets.js";
import { mapPositionLiquidated, mapPositionUpdated } from "../../protocols/marginVault/mappers/positions.js";
import { mapAnswerUpdated } from "../../protocols/marginVault/mappers/prices.js";
import { MemoryStore, l1Lookup, metaAt, type Row } from "../../protocols/marginVault/mappers/testing.js";
import type { Hex, StoreOp } from "../../protocols/marginVault/mappers/types.js";
import type { LedgerRow, TokenRow } from "./reader.js";
import { applyLedgerRow, createReplayState, replayAccountRows, tokenDirectory, type ReplayState } from "./replay.js";

const chain = l1Lookup();
const ACCOUNTS: Hex[] = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"];
/** two configured tokens and one the config does not know (asset and decimals null) */
const TOKENS: Hex[] = [ADDR.usdcL1, ADDR.wethL1, "0x9999999999999999999999999999999999999999"];
const FEEDS: Hex[] = [ADDR.ethFeedL1, ADDR.btcFeedL1];
const LIQ: Hex = "0x00000000000000000000000000000000000000cc";

/** The store's token rows as the reader gives them: every configured token, the quote token flagged. */
const TOKEN_ROWS: TokenRow[] = [...chain.tokens].map(([token, t]) => ({
  chainId: chain.chainId,
  token: token.toLowerCase() as Hex,
  asset: t.asset,
  decimals: t.decimals,
  quote: token.toLowerCase() === chain.quoteToken.toLowerCase(),
}));

/** A random but chain-consistent event history: the generator keeps the vault's own state. */
function history(choices: { kind: number; a: number; t: number; x: bigint }[]): StoreOp[][] {
  const balances = new Map<string, bigint>();
  const debts = new Map<string, bigint>();
  const sizes = new Map<string, bigint>();
  const cash = new Map<number, bigint>();
  const rounds = new Map<number, bigint>();
  let fund = 0n;
  const out: StoreOp[][] = [];
  choices.forEach((c, i) => {
    const meta = metaAt(i + 1, i % 3);
    const account = ACCOUNTS[c.a % 2];
    const token = TOKENS[c.t % 3];
    const bk = `${account}:${token}`;
    const amount = c.x < 0n ? -c.x : c.x;
    const marketId = 1 + (c.t % 2);
    const pk = `${account}:${marketId}`;
    switch (c.kind % 12) {
      case 0: balances.set(bk, (balances.get(bk) ?? 0n) + amount); out.push(mapCollateralDeposited({ account, token, amount, newBalance: balances.get(bk)! }, meta, chain)); break;
      case 1: { const b = balances.get(bk) ?? 0n; const w = amount > b ? b : amount; balances.set(bk, b - w); out.push((c.x % 2n === 0n ? mapCollateralWithdrawn({ account, token, amount: w, newBalance: b - w }, meta, chain) : mapCollateralSeized({ account, token, liquidator: LIQ, amount: w, newBalance: b - w }, meta, chain))); break; }
      case 2: debts.set(bk, (debts.get(bk) ?? 0n) + amount); out.push(mapDebtBorrowed({ account, token, amount, newDebt: debts.get(bk)! }, meta, chain)); break;
      case 3: { const d = debts.get(bk) ?? 0n; const r = amount > d ? d : amount; debts.set(bk, d - r); out.push(mapDebtRepaid({ account, token, payer: LIQ, amount: r, newDebt: d - r }, meta, chain)); break; }
      case 4: case 5: { const old = sizes.get(pk) ?? 0n; const n = old + c.x; sizes.set(pk, n); const nc = (cash.get(c.a % 2) ?? 0n) + c.x / 7n; cash.set(c.a % 2, nc); out.push(mapPositionUpdated({ account, marketId, sizeDelta: c.x, newSize: n, newEntryPrice: amount % 1000n, executionPrice: 5n, realizedPnl: c.x / 3n, fundingPaid: 1n, fundingIndex: c.x / 11n, newCash: nc }, meta, chain)); break; }
      case 6: { const old = sizes.get(pk) ?? 0n; sizes.set(pk, 0n); const nc = (cash.get(c.a % 2) ?? 0n) - 5n; cash.set(c.a % 2, nc); out.push(mapPositionLiquidated({ account, marketId, liquidator: LIQ, sizeClosed: old, executionPrice: 9n, realizedPnl: -amount, fundingPaid: 2n, newCash: nc }, meta, chain)); break; }
      case 7: out.push(i % 2 === 0 ? mapMarketListed({ marketId, feed: FEEDS[c.t % 2], maxLeverage: amount }, meta, chain) : mapMaxLeverageChanged({ marketId, maxLeverage: amount }, meta, chain)); break;
      case 8: out.push(i % 2 === 0 ? mapMarketModeChanged({ marketId, mode: Number(amount % 3n) }, meta, chain) : mapFundingUpdated({ marketId, fundingRate: c.x, cumulativeFundingIndex: c.x * 3n }, meta, chain)); break;
      case 9: { const f = c.t % 2; const r = (rounds.get(f) ?? 0n) + 1n; rounds.set(f, r); out.push(mapAnswerUpdated(FEEDS[f], { current: c.x, roundId: r, updatedAt: amount % 10_000n }, meta, chain)); break; }
      case 10: fund += amount; out.push(i % 2 === 0 ? mapInsuranceFunded({ token: ADDR.usdcL1, from: LIQ, amount, newBalance: fund }, meta, chain) : mapInsurancePaidOut({ account, token: ADDR.usdcL1, amount: 0n, newFundBalance: fund, newCash: cash.get(c.a % 2) ?? 0n }, meta, chain)); break;
      case 11: out.push(mapLiquidatorSet({ liquidator: account, allowed: c.x > 0n }, meta)); break;
    }
  });
  return out;
}

/** A stored ledger row in the reader's shape (the columns `ledgerRow` in reader.ts selects). */
function asReaderRow(r: Row): LedgerRow {
  const big = (v: unknown) => (v === undefined || v === null ? null : (v as bigint));
  return {
    chainId: r.chainId as number,
    blockNumber: r.blockNumber as bigint,
    logIndex: r.logIndex as number,
    blockHash: r.blockHash as Hex,
    timestamp: Number(r.timestamp as bigint),
    kind: r.kind as string,
    account: (r.account as Hex | undefined) ?? null,
    token: (r.token as Hex | undefined) ?? null,
    marketId: (r.marketId as number | undefined) ?? null,
    asset: (r.asset as string | undefined) ?? null,
    amountRaw: big(r.amountRaw),
    newValueRaw: big(r.newValueRaw),
    priceRaw: big(r.priceRaw),
    entryPriceRaw: big(r.entryPriceRaw),
    fundingIndexX18: big(r.fundingIndexX18),
    cashRaw: big(r.cashRaw),
  };
}

/** Replays the store's ledger in ledger order; also returns every account a row said it touched. */
function replay(store: MemoryStore): { state: ReplayState; touched: Set<Hex> } {
  const rows = store.rows("ledger").map(asReaderRow);
  rows.sort((a, b) => a.chainId - b.chainId || Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex);
  const state = createReplayState();
  const tokens = tokenDirectory(TOKEN_ROWS);
  const touched = new Set<Hex>();
  for (const row of rows) {
    const account = applyLedgerRow(state, row, tokens);
    if (account !== null) touched.add(account);
  }
  return { state, touched };
}

const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
/** Rows as sorted JSON strings of the given columns (both sides: the store may hold more columns). */
function rowsOf(rows: Iterable<object>, keys: readonly string[]): string[] {
  return [...rows].map((row) => json(Object.fromEntries(keys.map((k) => [k, (row as Row)[k] ?? null])))).sort();
}

const BALANCE_KEYS = ["chainId", "account", "token", "asset", "decimals", "amountRaw"];
const CASH_KEYS = ["chainId", "account", "quoteToken", "asset", "decimals", "amountRaw"];
const POSITION_KEYS = ["chainId", "account", "marketId", "asset", "sizeRaw", "entryPriceRaw", "fundingIndexX18"];
const MARKET_KEYS = ["chainId", "marketId", "asset", "mode", "fundingRateX18", "cumulativeFundingX18", "openInterestLongRaw", "openInterestShortRaw", "updatedTimestamp"];
const FUND_KEYS = ["chainId", "token", "asset", "decimals", "balanceRaw"];

/** Every state table the book reads, store vs replay, in the reader's columns. */
function expectSameState(store: MemoryStore): void {
  const { state, touched } = replay(store);
  expect(rowsOf(state.collateral.values(), BALANCE_KEYS)).toEqual(rowsOf(store.rows("collateral"), BALANCE_KEYS));
  expect(rowsOf(state.debt.values(), BALANCE_KEYS)).toEqual(rowsOf(store.rows("debt"), BALANCE_KEYS));
  expect(rowsOf(state.cash.values(), CASH_KEYS)).toEqual(rowsOf(store.rows("cash"), CASH_KEYS));
  expect(rowsOf(state.positions.values(), POSITION_KEYS)).toEqual(rowsOf(store.rows("position"), POSITION_KEYS));
  const storeMarkets = store.rows("market").map((m) => ({ ...m, updatedTimestamp: Number(m.updatedTimestamp as bigint) }));
  expect(rowsOf(state.markets.values(), MARKET_KEYS)).toEqual(rowsOf(storeMarkets, MARKET_KEYS));
  expect(rowsOf(state.insurance.values(), FUND_KEYS)).toEqual(rowsOf(store.rows("insuranceFund"), FUND_KEYS));
  // every account with state was reported as touched by the row that changed it
  const all = replayAccountRows(state);
  for (const r of [...all.collateral, ...all.debt, ...all.cash, ...all.positions]) expect(touched.has(r.account)).toBe(true);
}

describe("applyLedgerRow", () => {
  test("default: deposit then withdraw", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ACCOUNTS[0], token: ADDR.wethL1, amount: 5n, newBalance: 5n }, metaAt(1), chain));
    store.apply(mapCollateralWithdrawn({ account: ACCOUNTS[0], token: ADDR.wethL1, amount: 3n, newBalance: 2n }, metaAt(2), chain));
    const { state } = replay(store);
    expect([...state.collateral.values()]).toEqual([{ chainId: 1337001, account: ACCOUNTS[0], token: ADDR.wethL1.toLowerCase(), asset: "ETH", decimals: 18, amountRaw: 2n }]);
  });

  test("behavior: open interest follows size changes and liquidations", () => {
    const store = new MemoryStore();
    const position = (block: number, sizeDelta: bigint, newSize: bigint) =>
      mapPositionUpdated({ account: ACCOUNTS[0], marketId: 1, sizeDelta, newSize, newEntryPrice: 7n, executionPrice: 7n, realizedPnl: 0n, fundingPaid: 0n, fundingIndex: 0n, newCash: 0n }, metaAt(block), chain);
    store.apply(position(1, 5n, 5n)); // long 5
    store.apply(position(2, -7n, -2n)); // flipped: short 2
    store.apply(mapPositionLiquidated({ account: ACCOUNTS[0], marketId: 1, liquidator: LIQ, sizeClosed: -2n, executionPrice: 9n, realizedPnl: 0n, fundingPaid: 0n, newCash: 0n }, metaAt(3), chain));
    const market = replay(store).state.markets.get("1337001:1");
    expect([market?.openInterestLongRaw, market?.openInterestShortRaw]).toEqual([0n, 0n]);
    expectSameState(store);
  });

  test("behavior: rows handed out earlier are not changed by later rows", () => {
    const state = createReplayState();
    const tokens = tokenDirectory(TOKEN_ROWS);
    const store = new MemoryStore();
    store.apply(mapMarketListed({ marketId: 1, feed: FEEDS[0], maxLeverage: 10n }, metaAt(1), chain));
    store.apply(mapMarketModeChanged({ marketId: 1, mode: 2 }, metaAt(2), chain));
    const [listed, mode] = store.rows("ledger").map(asReaderRow);
    applyLedgerRow(state, listed, tokens);
    const before = state.markets.get("1337001:1")!;
    applyLedgerRow(state, mode, tokens);
    expect(before.mode).toBe(0);
    expect(state.markets.get("1337001:1")!.mode).toBe(2);
  });

  test("property: the ledger alone rebuilds every state table, at the end and at every earlier moment", () => {
    const choice = fc.record({ kind: fc.nat(), a: fc.nat(), t: fc.nat(), x: fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }) });
    fc.assert(
      fc.property(fc.array(choice, { minLength: 1, maxLength: 60 }), fc.nat(), (choices, cut) => {
        const events = history(choices);
        const store = new MemoryStore();
        const at = cut % events.length;
        events.forEach((ops, i) => {
          store.apply(ops);
          if (i === at) expectSameState(store); // time travel: a prefix
        });
        expectSameState(store);
        expect(store.rows("ledger")).toHaveLength(events.length);
      }),
      { numRuns: 150 },
    );
  });
});
