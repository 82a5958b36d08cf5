import { describe, expect, it } from "vitest";
import { classifyWaiting, describeGap, describeReplacement, replacementFees, type PoolTx } from "./anvilParked.js";

const GWEI = 1_000_000_000n;
const hex = (n: bigint) => `0x${n.toString(16)}` as const;
const poolTx = (nonce: bigint, fees: Partial<PoolTx> = { maxFeePerGas: hex(1000n * GWEI), maxPriorityFeePerGas: hex(GWEI) }): PoolTx => ({
  hash: "0xaa",
  nonce: hex(nonce),
  ...fees,
});

describe("replacementFees", () => {
  it("default: doubles max fee and tip (strictly higher than the parked transaction's)", () => {
    expect(replacementFees(poolTx(0n))).toEqual({ maxFeePerGas: 2000n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
  });
  it("behavior: no tip reported → twice anvil's 1 gwei default", () => {
    expect(replacementFees(poolTx(0n, { maxFeePerGas: hex(10n * GWEI) }))).toEqual({ maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
  });
  it("behavior: the tip never exceeds the max fee", () => {
    expect(replacementFees(poolTx(0n, { maxFeePerGas: hex(1n), maxPriorityFeePerGas: hex(1n) }))).toEqual({ maxFeePerGas: 2n, maxPriorityFeePerGas: 2n });
    expect(replacementFees(poolTx(0n, { maxFeePerGas: hex(1n), maxPriorityFeePerGas: null }))).toEqual({ maxFeePerGas: 2n, maxPriorityFeePerGas: 2n });
  });
  it("behavior: legacy gas price doubles; zero becomes 2 gwei", () => {
    expect(replacementFees(poolTx(0n, { gasPrice: hex(3n * GWEI) }))).toEqual({ gasPrice: 6n * GWEI });
    expect(replacementFees(poolTx(0n, { gasPrice: "0x0" }))).toEqual({ gasPrice: 2n * GWEI });
  });
});

describe("classifyWaiting", () => {
  it("behavior: not in the queued pool → leave alone", () => {
    expect(classifyWaiting(undefined, 5n)).toEqual({ kind: "none" });
  });
  it("behavior: queued at the account's next nonce → parked, replace", () => {
    expect(classifyWaiting(poolTx(5n), 5n).kind).toBe("parked");
    expect(classifyWaiting(poolTx(0n), 0n).kind).toBe("parked");
  });
  it("behavior: queued one nonce ahead → gap, no replacement", () => {
    expect(classifyWaiting(poolTx(6n), 5n)).toEqual({ kind: "gap", accountNonce: 5n });
  });
  it("behavior: queued below the account nonce (nonce used) → leave alone", () => {
    expect(classifyWaiting(poolTx(4n), 5n)).toEqual({ kind: "none" });
  });
});

describe("messages", () => {
  it("describeReplacement redacts the RPC URL and names nonce, hashes and fees", () => {
    const m = describeReplacement({
      rpcUrl: "https://eth-mainnet.g.alchemy.com/v2/kQ3xW9vL2mN8pR5tY7uZ1aB4cD6eF0gH",
      from: "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
      nonce: 7n,
      oldHash: "0x01",
      newHash: "0x02",
      parkedMs: 2100,
      fees: { maxFeePerGas: 2000n * GWEI, maxPriorityFeePerGas: 2n * GWEI },
    });
    expect(m).not.toContain("kQ3xW9vL2mN8pR5tY7uZ1aB4cD6eF0gH");
    expect(m).toContain("https://eth-mainnet.g.alchemy.com/v2/***");
    expect(m).toContain("nonce 7");
    expect(m).toContain("2.1 s");
    expect(m).toContain("max fee 2000 gwei, tip 2 gwei");
    expect(m).toMatch(/0x01.*0x02/);
  });
  it("describeGap names the missing nonce", () => {
    expect(describeGap("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc", 7n, 5n)).toContain("nonce 7 waits in anvil's queued pool behind missing nonce 5");
  });
});
