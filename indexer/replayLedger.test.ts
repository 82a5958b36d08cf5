import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ADDR } from "../config/fixtures.js";
import { mapCollateralDeposited, mapCollateralSeized, mapCollateralWithdrawn, mapDebtBorrowed, mapDebtRepaid } from "./mappers/balances.js";
import { mapInsuranceFunded, mapInsurancePaidOut, mapLiquidatorSet } from "./mappers/insurance.js";
import { mapFundingUpdated, mapMarketListed, mapMarketModeChanged, mapMaxLeverageChanged } from "./mappers/markets.js";
import { mapPositionLiquidated, mapPositionUpdated } from "./mappers/positions.js";
import { mapAnswerUpdated } from "./mappers/prices.js";
import { MemoryStore, l1Lookup, metaAt, type Row } from "./mappers/testing.js";
import type { Hex, LedgerRow, StoreOp } from "./mappers/types.js";
import { replayLedger } from "./replayLedger.js";

const chain = l1Lookup();
const ACCOUNTS: Hex[] = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"];
const TOKENS: Hex[] = [ADDR.usdcL1, ADDR.wethL1, "0x9999999999999999999999999999999999999999"];
const FEEDS: Hex[] = [ADDR.ethFeedL1, ADDR.btcFeedL1];
const LIQ: Hex = "0x00000000000000000000000000000000000000cc";

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

function pick(row: Row | undefined, keys: string[]): Row | undefined {
  return row && Object.fromEntries(keys.map((k) => [k, row[k]]));
}

/** The state columns of the store, in the replay's shape. */
function expectSameState(store: MemoryStore, ledger: LedgerRow[]): void {
  const replay = replayLedger(ledger);
  const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v))).sort();
  expect(sorted(store.rows("collateral").map((r) => pick(r, ["chainId", "account", "token", "asset", "amountRaw"])))).toEqual(sorted([...replay.collateral.values()]));
  expect(sorted(store.rows("debt").map((r) => pick(r, ["chainId", "account", "token", "asset", "amountRaw"])))).toEqual(sorted([...replay.debt.values()]));
  expect(sorted(store.rows("cash").map((r) => [`${r.chainId}:${r.account}`, r.amountRaw]))).toEqual(sorted([...replay.cash.entries()]));
  const positionKeys = ["chainId", "account", "marketId", "asset", "sizeRaw", "entryPriceRaw", "fundingIndexX18", "realizedPnlRaw"];
  expect(sorted(store.rows("position").map((r) => pick(r, positionKeys)))).toEqual(sorted([...replay.position.values()].map((p) => pick(p as unknown as Row, positionKeys))));
  const marketKeys = ["chainId", "marketId", "asset", "mode", "maxLeverageX18", "fundingRateX18", "cumulativeFundingX18", "openInterestLongRaw", "openInterestShortRaw"];
  expect(sorted(store.rows("market").map((r) => pick(r, marketKeys)))).toEqual(sorted([...replay.market.values()].map((m) => pick(m as unknown as Row, marketKeys))));
  expect(sorted(store.rows("insuranceFund").map((r) => [`${r.chainId}:${r.token}`, r.balanceRaw]))).toEqual(sorted([...replay.insuranceFund.entries()]));
  expect(sorted(store.rows("liquidator").map((r) => [`${r.chainId}:${r.address}`, r.allowed]))).toEqual(sorted([...replay.liquidator.entries()]));
  const priceKeys = ["chainId", "asset", "feed", "answerRaw", "roundId", "updatedAt"];
  expect(sorted(store.rows("latestPrice").map((r) => pick(r, priceKeys)))).toEqual(sorted([...replay.latestPrice.values()].map((p) => pick(p as unknown as Row, priceKeys))));
}

describe("replayLedger", () => {
  test("default: deposit then withdraw", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ACCOUNTS[0], token: ADDR.wethL1, amount: 5n, newBalance: 5n }, metaAt(1), chain));
    store.apply(mapCollateralWithdrawn({ account: ACCOUNTS[0], token: ADDR.wethL1, amount: 3n, newBalance: 2n }, metaAt(2), chain));
    const replay = replayLedger(store.rows("ledger") as LedgerRow[]);
    expect([...replay.collateral.values()]).toEqual([{ chainId: 1337001, account: ACCOUNTS[0], token: ADDR.wethL1.toLowerCase(), asset: "ETH", amountRaw: 2n }]);
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
          if (i === at) expectSameState(store, store.rows("ledger") as LedgerRow[]); // time travel: a prefix
        });
        expectSameState(store, store.rows("ledger") as LedgerRow[]);
        expect(store.rows("ledger")).toHaveLength(events.length);
      }),
      { numRuns: 150 },
    );
  });
});
