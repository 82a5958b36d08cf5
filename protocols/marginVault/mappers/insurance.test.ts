import { describe, expect, test } from "vitest";
import { ADDR } from "../../../config/fixtures.js";
import { mapInsuranceFunded, mapInsurancePaidOut, mapLiquidatorSet } from "./insurance.js";
import { MemoryStore, l1Lookup, metaAt } from "./testing.js";

const chain = l1Lookup();
const ALICE = "0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa" as const;
const FUNDER = "0x00000000000000000000000000000000000000Ff" as const;
const LIQ = "0x00000000000000000000000000000000000000Cc" as const;

describe("insurance and liquidator mappers", () => {
  test("default: fund, then pay out into an account's cash", () => {
    const store = new MemoryStore();
    store.apply(mapInsuranceFunded({ token: ADDR.usdcL1, from: FUNDER, amount: 1_000n, newBalance: 1_000n }, metaAt(1), chain));
    store.apply(mapInsurancePaidOut({ account: ALICE, token: ADDR.usdcL1, amount: 300n, newFundBalance: 700n, newCash: 50n }, metaAt(2), chain));
    expect(store.get("insuranceFund", { chainId: 1337001, token: ADDR.usdcL1.toLowerCase() })).toMatchObject({ asset: "USDC", decimals: 6, balanceRaw: 700n, updatedBlock: 2n });
    expect(store.get("cash", { chainId: 1337001, account: ALICE.toLowerCase() })?.amountRaw).toBe(50n);
    expect(store.rows("account")).toHaveLength(1); // the funder is not an account
    expect(store.rows("ledger")).toEqual([
      expect.objectContaining({ kind: "INSURANCE_FUNDED", counterparty: FUNDER.toLowerCase(), amountRaw: 1_000n, newValueRaw: 1_000n }),
      expect.objectContaining({ kind: "INSURANCE_PAID", account: ALICE.toLowerCase(), amountRaw: 300n, newValueRaw: 700n, cashRaw: 50n }),
    ]);
    expect(store.rows("ledger")[0].account ?? null).toBeNull();
  });

  test("behavior: liquidator allowed then revoked", () => {
    const store = new MemoryStore();
    store.apply(mapLiquidatorSet({ liquidator: LIQ, allowed: true }, metaAt(1)));
    store.apply(mapLiquidatorSet({ liquidator: LIQ, allowed: false }, metaAt(2)));
    expect(store.rows("liquidator")).toEqual([{ chainId: 1337001, address: LIQ.toLowerCase(), allowed: false, updatedBlock: 2n }]);
    expect(store.rows("ledger").map((r) => r.newValueRaw)).toEqual([1n, 0n]);
  });
});
