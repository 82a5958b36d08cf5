import { describe, expect, test } from "vitest";
import { ADDR } from "../../../config/fixtures.js";
import { mapCollateralDeposited, mapCollateralSeized, mapCollateralWithdrawn, mapDebtBorrowed, mapDebtRepaid } from "./balances.js";
import { MemoryStore, l1Lookup, metaAt } from "./testing.js";

const ALICE = "0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa" as const;
const alice = ALICE.toLowerCase();
const LIQ = "0x00000000000000000000000000000000000000Cc" as const;
const UNKNOWN = "0x9999999999999999999999999999999999999999" as const;
const MAX_UINT256 = 2n ** 256n - 1n;
const chain = l1Lookup();

describe("collateral mappers", () => {
  test("default: deposit writes account, collateral = newBalance, ledger DEPOSIT", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ALICE, token: ADDR.wethL1, amount: 5n * 10n ** 18n, newBalance: 5n * 10n ** 18n }, metaAt(10, 3), chain));
    expect(store.get("collateral", { chainId: 1337001, account: alice, token: ADDR.wethL1.toLowerCase() })).toMatchObject({
      asset: "ETH",
      decimals: 18,
      amountRaw: 5n * 10n ** 18n,
      flag: null,
      updatedBlock: 10n,
    });
    expect(store.get("account", { chainId: 1337001, address: alice })).toMatchObject({ firstSeenBlock: 10n, lastActivityBlock: 10n });
    const [ledger] = store.rows("ledger");
    expect(ledger).toMatchObject({ kind: "DEPOSIT", account: alice, token: ADDR.wethL1.toLowerCase(), asset: "ETH", decimals: 18, amountRaw: 5n * 10n ** 18n, newValueRaw: 5n * 10n ** 18n, logIndex: 3, blockNumber: 10n });
    expect(ledger.txHash).toBe(metaAt(10, 3).txHash);
  });

  test("behavior: withdraw then seize keep the newest balance; first seen stays", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ALICE, token: ADDR.wethL1, amount: 10n, newBalance: 10n }, metaAt(1), chain));
    store.apply(mapCollateralWithdrawn({ account: ALICE, token: ADDR.wethL1, amount: 3n, newBalance: 7n }, metaAt(2), chain));
    store.apply(mapCollateralSeized({ account: ALICE, token: ADDR.wethL1, liquidator: LIQ, amount: 7n, newBalance: 0n }, metaAt(3, 1), chain));
    expect(store.get("collateral", { chainId: 1337001, account: alice, token: ADDR.wethL1.toLowerCase() })).toMatchObject({ amountRaw: 0n, updatedBlock: 3n });
    expect(store.get("account", { chainId: 1337001, address: alice })).toMatchObject({ firstSeenBlock: 1n, lastActivityBlock: 3n });
    expect(store.rows("ledger").map((r) => r.kind)).toEqual(["DEPOSIT", "WITHDRAW", "SEIZE"]);
    expect(store.rows("ledger")[2]).toMatchObject({ counterparty: LIQ.toLowerCase(), amountRaw: 7n, newValueRaw: 0n });
    expect(store.rows("liquidation")).toEqual([
      expect.objectContaining({ id: "3-1", kind: "collateral", account: alice, liquidator: LIQ.toLowerCase(), asset: "ETH", amountRaw: 7n, marketId: null }),
    ]);
  });

  test("boundary: max uint256 and zero amounts are stored exactly", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ALICE, token: ADDR.wethL1, amount: MAX_UINT256, newBalance: MAX_UINT256 }, metaAt(1), chain));
    store.apply(mapCollateralDeposited({ account: ALICE, token: ADDR.usdcL1, amount: 0n, newBalance: 0n }, metaAt(2), chain));
    expect(store.get("collateral", { chainId: 1337001, account: alice, token: ADDR.wethL1.toLowerCase() })?.amountRaw).toBe(MAX_UINT256);
    expect(store.get("collateral", { chainId: 1337001, account: alice, token: ADDR.usdcL1.toLowerCase() })?.amountRaw).toBe(0n);
  });

  test("behavior: unknown token is stored with asset null and UNKNOWN_TOKEN", () => {
    const store = new MemoryStore();
    store.apply(mapCollateralDeposited({ account: ALICE, token: UNKNOWN, amount: 1n, newBalance: 1n }, metaAt(1), chain));
    expect(store.get("collateral", { chainId: 1337001, account: alice, token: UNKNOWN })).toMatchObject({ asset: null, decimals: null, flag: "UNKNOWN_TOKEN", amountRaw: 1n });
    expect(store.rows("ledger")[0]).toMatchObject({ asset: null, flag: "UNKNOWN_TOKEN" });
  });
});

describe("debt mappers", () => {
  test("default: borrow then repay by a liquidator", () => {
    const store = new MemoryStore();
    store.apply(mapDebtBorrowed({ account: ALICE, token: ADDR.usdcL1, amount: 1_000_000n, newDebt: 1_000_000n }, metaAt(5), chain));
    store.apply(mapDebtRepaid({ account: ALICE, token: ADDR.usdcL1, payer: LIQ, amount: 400_000n, newDebt: 600_000n }, metaAt(6), chain));
    expect(store.get("debt", { chainId: 1337001, account: alice, token: ADDR.usdcL1.toLowerCase() })).toMatchObject({ asset: "USDC", decimals: 6, amountRaw: 600_000n });
    expect(store.rows("ledger")[1]).toMatchObject({ kind: "REPAY", counterparty: LIQ.toLowerCase(), amountRaw: 400_000n, newValueRaw: 600_000n });
  });
});
