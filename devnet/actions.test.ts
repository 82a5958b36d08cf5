import { describe, expect, it } from "vitest";
import { applyAction, chooseActions, createAccount, emptyBook, tokensToRaw, type SimAccount } from "./actions.js";
import type { Prices } from "./prices.js";
import { createRng } from "./random.js";

const P: Prices = { USDC: 1, BTC: 60_000, ETH: 3_000, ARB: 1 };
const ADDR = "0x0000000000000000000000000000000000000001" as const;

describe("tokensToRaw", () => {
  it("boundary: 0, 6, 8 and 18 decimals", () => {
    expect(tokensToRaw(0, 6)).toBe(0n);
    expect(tokensToRaw(1.5, 6)).toBe(1_500_000n);
    expect(tokensToRaw(0.01, 8)).toBe(1_000_000n);
    expect(tokensToRaw(2, 18)).toBe(2n * 10n ** 18n);
    expect(tokensToRaw(1, 0)).toBe(1n);
    expect(tokensToRaw(-5, 6)).toBe(0n);
  });
});

describe("createAccount", () => {
  it("default: 1–3 distinct chains starting at its home chain, leverage in [1, 15)", () => {
    const rng = createRng(1);
    for (let i = 0; i < 300; i++) {
      const a = createAccount(i, ADDR, 3, rng);
      expect(a.chains[0]).toBe(i % 3);
      expect(new Set(a.chains).size).toBe(a.chains.length);
      expect(a.profile.leverage).toBeGreaterThanOrEqual(1);
      expect(a.profile.leverage).toBeLessThan(15);
      if (a.chains.length === 1) expect(a.profile.hedgeProbability).toBe(0);
    }
  });
});

describe("chooseActions", () => {
  it("behavior: an empty account deposits first", () => {
    const a = createAccount(0, ADDR, 3, createRng(2));
    const [action] = chooseActions(createRng(3), a, P);
    expect(action!.kind).toBe("deposit");
  });

  it("behavior: a long random history never withdraws or repays more than the books hold, and opens hedges across chains", () => {
    const rng = createRng(4);
    const accounts: SimAccount[] = Array.from({ length: 50 }, (_, i) => createAccount(i, ADDR, 3, rng));
    const kinds = new Map<string, number>();
    let hedges = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = accounts[rng.int(accounts.length)]!;
      const actions = chooseActions(rng, a, P);
      if (actions.length === 2) {
        const [x, y] = actions as [Extract<(typeof actions)[0], { kind: "trade" }>, Extract<(typeof actions)[0], { kind: "trade" }>];
        expect(x.chain).not.toBe(y.chain);
        expect(y.sizeDelta).toBe(-x.sizeDelta);
        hedges++;
      }
      for (const action of actions) {
        kinds.set(action.kind, (kinds.get(action.kind) ?? 0) + 1);
        expect(a.chains).toContain(action.chain);
        a.books[action.chain] = applyAction(a.books[action.chain]!, action);
        const book = a.books[action.chain]!;
        for (const v of [...Object.values(book.collateral), ...Object.values(book.debt)]) expect(v >= 0n).toBe(true);
        if (action.kind !== "trade") expect(action.amountRaw > 0n).toBe(true);
        else expect(action.sizeDelta).not.toBe(0n);
      }
    }
    for (const k of ["deposit", "withdraw", "borrow", "repay", "trade"]) expect(kinds.get(k) ?? 0, k).toBeGreaterThan(200);
    expect(hedges).toBeGreaterThan(50);
  });
});

describe("applyAction", () => {
  it("default: updates one field and leaves the input untouched", () => {
    const book = emptyBook();
    const next = applyAction(book, { kind: "trade", chain: 0, marketId: 2, sizeDelta: -5n });
    expect(next.positions[2]).toBe(-5n);
    expect(book.positions[2]).toBe(0n);
    expect(applyAction(next, { kind: "deposit", chain: 0, asset: "ETH", amountRaw: 7n }).collateral.ETH).toBe(7n);
  });
});
