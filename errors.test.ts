import { describe, expect, test } from "vitest";
import { XmarginError, isXmarginError } from "./errors.js";

describe("XmarginError", () => {
  test("default: carries code, message, details and cause", () => {
    const cause = new Error("socket hang up");
    const error = new XmarginError("RPC_UNREACHABLE", "Chain 'l1' refused the connection.", {
      details: { chain: "l1" },
      cause,
    });
    expect(error.code).toBe("RPC_UNREACHABLE");
    expect(error.message).toBe("Chain 'l1' refused the connection.");
    expect(error.details).toEqual({ chain: "l1" });
    expect(error.cause).toBe(cause);
    expect(isXmarginError(error)).toBe(true);
  });

  test("behavior: plain errors are not xmargin errors", () => {
    expect(isXmarginError(new Error("x"))).toBe(false);
    expect(isXmarginError("x")).toBe(false);
  });
});
