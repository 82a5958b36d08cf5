import { readFileSync } from "node:fs";
import { toEventSelector } from "viem";
import { describe, expect, test } from "vitest";
import { aaveATokenAbi, aavePoolAbi, aaveVariableDebtTokenAbi } from "./abis.js";
import { ABIS_FILE, renderAbis } from "./buildAbis.js";

describe("abis.ts", () => {
  test("is what the installed @aave/core-v3 artifacts give (run `npx tsx protocols/aaveV3/buildAbis.ts` after an upgrade)", () => {
    expect(readFileSync(ABIS_FILE, "utf8")).toBe(renderAbis());
  });

  test("the aToken and the variable debt token share Mint/Burn but not Initialized", () => {
    const sel = (abi: readonly { type: string; name?: string }[], name: string) =>
      toEventSelector(abi.find((x) => x.type === "event" && x.name === name) as never);
    expect(sel(aaveATokenAbi, "Mint")).toBe(sel(aaveVariableDebtTokenAbi, "Mint"));
    expect(sel(aaveATokenAbi, "Burn")).toBe(sel(aaveVariableDebtTokenAbi, "Burn"));
    expect(sel(aaveATokenAbi, "Initialized")).not.toBe(sel(aaveVariableDebtTokenAbi, "Initialized"));
    // Known topic of Aave v3's ReserveDataUpdated (the same on every v3 deployment).
    expect(sel(aavePoolAbi, "ReserveDataUpdated")).toBe("0x804c9b842b2748a22bb64b345453a3de7ca54a6ca45ce00d415894979e22897a");
  });
});
