import { describe, expect, test } from "vitest";
import { didYouMean } from "./didYouMean.js";

describe("didYouMean", () => {
  test("default: closest key", () => {
    expect(didYouMean("cfMaintenace", ["cfMaintenance", "cfInitial"])).toBe("cfMaintenance");
    expect(didYouMean("bsae", ["base", "mainnet"])).toBe("base");
  });
  test("behavior: nothing close gives null", () => {
    expect(didYouMean("zzzzzz", ["base", "mainnet"])).toBeNull();
    expect(didYouMean("x", [])).toBeNull();
  });
});
