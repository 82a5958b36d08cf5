import Decimal from "decimal.js";
import { describe, expect, test } from "vitest";
import { serializeDecimal } from "./scalars.js";
import { floatToDecimal } from "./format.js";

describe("serializeDecimal", () => {
  test("default: decimal.js values print without exponent", () => {
    expect(serializeDecimal(new Decimal("1e-9"))).toBe("0.000000001");
    expect(serializeDecimal(new Decimal("1.5e30"))).toBe("1500000000000000000000000000000");
    expect(serializeDecimal(new Decimal("-0"))).toBe("0");
  });
  test("behavior: bigints and integers are exact; max uint256 survives", () => {
    const max = 2n ** 256n - 1n;
    expect(serializeDecimal(max)).toBe(max.toString());
    expect(serializeDecimal(7)).toBe("7");
  });
  test("behavior: a binary float is refused", () => {
    expect(() => serializeDecimal(0.1)).toThrow(TypeError);
    expect(() => serializeDecimal(new Decimal(Infinity))).toThrow(TypeError);
  });
});

describe("floatToDecimal", () => {
  test("default: fixed digits, no exponent, no negative zero", () => {
    expect(floatToDecimal(1234.5678, 2)).toBe("1234.57");
    expect(floatToDecimal(-0.001, 2)).toBe("0.00");
    expect(floatToDecimal(1e22, 2)).toBe("10000000000000000000000");
    expect(() => floatToDecimal(NaN, 2)).toThrow();
  });
});
