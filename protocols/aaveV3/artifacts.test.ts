import { describe, expect, test } from "vitest";
import { AAVE_ARTIFACT_PATHS, linkBytecode, loadAaveArtifact, requiredLibraries, type AaveArtifactName } from "./artifacts.js";
import { AaveArtifactError } from "./errors.js";

const LIB = "0x00000000000000000000000000000000000000aa" as const;

describe("loadAaveArtifact", () => {
  test("default: every artifact a market needs loads with an ABI and creation bytecode", () => {
    for (const name of Object.keys(AAVE_ARTIFACT_PATHS) as AaveArtifactName[]) {
      const a = loadAaveArtifact(name);
      expect(a.abi.length, name).toBeGreaterThan(0);
      expect(a.bytecode.length, name).toBeGreaterThan(100);
    }
  });

  test("behavior: the Pool links 7 libraries, FlashLoanLogic links BorrowLogic, the configurator ConfiguratorLogic", () => {
    expect(requiredLibraries(loadAaveArtifact("Pool"))).toEqual([
      "BorrowLogic",
      "BridgeLogic",
      "EModeLogic",
      "FlashLoanLogic",
      "LiquidationLogic",
      "PoolLogic",
      "SupplyLogic",
    ]);
    expect(requiredLibraries(loadAaveArtifact("FlashLoanLogic"))).toEqual(["BorrowLogic"]);
    expect(requiredLibraries(loadAaveArtifact("PoolConfigurator"))).toEqual(["ConfiguratorLogic"]);
    expect(requiredLibraries(loadAaveArtifact("AToken"))).toEqual([]);
  });

  test("behavior: an unknown name is refused with the list of known ones", () => {
    expect(() => loadAaveArtifact("Poool" as AaveArtifactName)).toThrow(/unknown Aave artifact 'Poool'; expected one of .*Pool,/);
  });
});

describe("linkBytecode", () => {
  test("default: every placeholder is replaced by the address at its offset", () => {
    const a = loadAaveArtifact("FlashLoanLogic");
    expect(a.bytecode).toContain("__$");
    const linked = linkBytecode(a, { BorrowLogic: LIB });
    expect(linked).not.toContain("__$");
    expect(linked.length).toBe(a.bytecode.length);
    const start = a.linkReferences[Object.keys(a.linkReferences)[0]!]!.BorrowLogic![0]!.start;
    expect(linked.slice(2 + start * 2, 2 + start * 2 + 40)).toBe(LIB.slice(2));
  });

  test("behavior: a missing library is named", () => {
    expect(() => linkBytecode(loadAaveArtifact("Pool"), { BorrowLogic: LIB })).toThrow(
      /Pool needs the addresses of BridgeLogic, EModeLogic, FlashLoanLogic, LiquidationLogic, PoolLogic, SupplyLogic/,
    );
  });

  test("behavior: a bad address, a range without a placeholder, a placeholder left over", () => {
    const a = loadAaveArtifact("FlashLoanLogic");
    expect(() => linkBytecode(a, { BorrowLogic: "0x1234" })).toThrow(/expected 0x and 40 hex digits/);
    const shifted = { ...a, linkReferences: { f: { BorrowLogic: [{ start: 0, length: 20 }] } } };
    expect(() => linkBytecode(shifted, { BorrowLogic: LIB })).toThrow(AaveArtifactError);
    expect(() => linkBytecode(shifted, { BorrowLogic: LIB })).toThrow(/should hold the placeholder of BorrowLogic/);
    const incomplete = { ...a, linkReferences: {} };
    expect(() => linkBytecode(incomplete, {})).toThrow(/unlinked library placeholder remains at byte \d+/);
  });
});
