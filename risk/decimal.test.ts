import { describe, expect, test } from "vitest";
import fc from "fast-check";
import Decimal from "decimal.js";
import { formatUnits } from "viem";
import { D, fromRaw, PRECISION, roundDownUsd, roundUpUsd, toDecimal } from "./decimal.js";

const MAX_UINT256 = 2n ** 256n - 1n;

describe("fromRaw", () => {
  test("boundary: zero", () => {
    expect(fromRaw(0n, 0).toString()).toBe("0");
    expect(fromRaw(0n, 18).toString()).toBe("0");
  });
  test("boundary: dust 1 wei at 0/6/8/18 decimals", () => {
    expect(fromRaw(1n, 0).toString()).toBe("1");
    expect(fromRaw(1n, 6).toString()).toBe("0.000001");
    expect(fromRaw(1n, 8).toFixed()).toBe("0.00000001");
    expect(fromRaw(1n, 18).toFixed()).toBe("0.000000000000000001");
  });
  test("boundary: 2^256 − 1 keeps all 78 digits", () => {
    expect(fromRaw(MAX_UINT256, 0).toFixed()).toBe(MAX_UINT256.toString());
    const s = MAX_UINT256.toString();
    expect(fromRaw(MAX_UINT256, 18).toFixed()).toBe(`${s.slice(0, s.length - 18)}.${s.slice(s.length - 18)}`);
  });
  test("negative values (signed perp sizes)", () => {
    expect(fromRaw(-1_500_000n, 6).toString()).toBe("-1.5");
  });
  test("rejects negative decimals", () => {
    expect(() => fromRaw(1n, -1)).toThrow(/decimals/);
  });
  test("property: exact, equal to viem's formatUnits (independent string formatting)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_UINT256, max: MAX_UINT256 }), fc.constantFrom(0, 6, 8, 18), (raw, dec) => {
        expect(fromRaw(raw, dec).toFixed()).toBe(new D(formatUnits(raw, dec)).toFixed());
        expect(new D(formatUnits(raw, dec)).eq(fromRaw(raw, dec))).toBe(true);
      }),
    );
  });
});

describe("rounding", () => {
  test("collateral rounds down, liabilities round up (toward −∞ / +∞ at 18 dp)", () => {
    const x = new D("1.0000000000000000001");
    expect(roundDownUsd(x).toString()).toBe("1");
    expect(roundUpUsd(x).toString()).toBe("1.000000000000000001");
    const y = new D("-1.0000000000000000001");
    expect(roundDownUsd(y).toString()).toBe("-1.000000000000000001");
    expect(roundUpUsd(y).toString()).toBe("-1");
  });
  test("the clone has the fixed precision; the global Decimal is untouched", () => {
    expect(D.precision).toBe(PRECISION);
    expect(Decimal.precision).toBe(20);
    expect(new D(1).div(3).toString().replace("0.", "").length).toBe(PRECISION);
  });
  test("toDecimal rejects non-finite numbers", () => {
    expect(() => toDecimal(Number.NaN)).toThrow(/finite/);
    expect(toDecimal(0.1).toString()).toBe("0.1");
    expect(toDecimal(5n).toString()).toBe("5");
  });
});
