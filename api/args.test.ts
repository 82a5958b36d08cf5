import { GraphQLError } from "graphql/index.js";
import { describe, expect, test } from "vitest";
import { parseAddress, parseDecimalString, parseFirst, parseHealthFactorThreshold, parseTime, parseWindow } from "./args.js";

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return (error as GraphQLError).extensions.code;
  }
  throw new Error("expected an error");
}

describe("parseAddress", () => {
  test("default: lowercases a checksummed address", () => {
    expect(parseAddress("0xAbCdEf0123456789abcdef0123456789ABCDEF01")).toBe("0xabcdef0123456789abcdef0123456789abcdef01");
  });
  test("behavior: 39 or 41 digits, no prefix, non-hex are BAD_ADDRESS", () => {
    for (const bad of ["0x12", "0x" + "a".repeat(39), "0x" + "a".repeat(41), "a".repeat(42), "0x" + "g".repeat(40), ""]) {
      expect(codeOf(() => parseAddress(bad))).toBe("BAD_ADDRESS");
    }
  });
});

describe("parseFirst", () => {
  test("default: the fallback when omitted", () => {
    expect(parseFirst(undefined, 50, 500)).toBe(50);
    expect(parseFirst(500, 50, 500)).toBe(500);
    expect(parseFirst(1, 50, 500)).toBe(1);
  });
  test("behavior: 0, 501 and 1000000 are LIMIT_EXCEEDED", () => {
    expect(codeOf(() => parseFirst(0, 50, 500))).toBe("LIMIT_EXCEEDED");
    expect(codeOf(() => parseFirst(501, 50, 500))).toBe("LIMIT_EXCEEDED");
    expect(codeOf(() => parseFirst(1_000_000, 50, 500))).toBe("LIMIT_EXCEEDED");
  });
});

describe("parseTime / parseWindow", () => {
  test("default: 0 and now are valid", () => {
    expect(parseTime(0, "at", 1000)).toBe(0);
    expect(parseTime(1000, "at", 1000)).toBe(1000);
  });
  test("behavior: negative and far future are BAD_TIME", () => {
    expect(codeOf(() => parseTime(-1, "at", 1000))).toBe("BAD_TIME");
    expect(codeOf(() => parseTime(100_000, "at", 1000))).toBe("BAD_TIME");
  });
  test("behavior: from > to is BAD_TIME, too many buckets LIMIT_EXCEEDED", () => {
    expect(codeOf(() => parseWindow(10, 5, 1, 1000))).toBe("BAD_TIME");
    expect(codeOf(() => parseWindow(0, 1000, 0, 1000))).toBe("BAD_TIME");
    expect(codeOf(() => parseWindow(0, 100_000, 1, 100_000, 2000))).toBe("LIMIT_EXCEEDED");
    expect(parseWindow(0, 1999, 1, 100_000, 2000)).toEqual({ from: 0, to: 1999, bucketSeconds: 1 });
  });
});

describe("decimals", () => {
  test("default: plain decimals pass", () => {
    expect(parseDecimalString("-0.35", "pct")).toBe("-0.35");
    expect(parseHealthFactorThreshold("1.05", 1.1, "hf")).toBe(1.05);
    expect(parseHealthFactorThreshold(null, 1.1, "hf")).toBe(1.1);
  });
  test("behavior: exponent, words and non-positive thresholds are BAD_DECIMAL", () => {
    expect(codeOf(() => parseDecimalString("1e5", "pct"))).toBe("BAD_DECIMAL");
    expect(codeOf(() => parseDecimalString("abc", "pct"))).toBe("BAD_DECIMAL");
    expect(codeOf(() => parseHealthFactorThreshold("0", 1.1, "hf"))).toBe("BAD_DECIMAL");
    expect(codeOf(() => parseHealthFactorThreshold("-1", 1.1, "hf"))).toBe("BAD_DECIMAL");
  });
});
