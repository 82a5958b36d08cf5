import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ABIS_DIR, BUILT_CONTRACTS, compileContracts, renderAbiModules } from "./build.js";
import { marginVaultAbi } from "../abis/index.js";

describe("contracts build", () => {
  const compiled = compileContracts();

  it("committed abis/ modules equal a fresh compile (run `npm run build:contracts` if this fails)", () => {
    const fresh = renderAbiModules(compiled);
    expect(Object.keys(fresh).sort()).toEqual(["bytecode.ts", "index.ts", ...BUILT_CONTRACTS.map((c) => c.abiFile)].sort());
    for (const [name, content] of Object.entries(fresh)) {
      expect(readFileSync(join(ABIS_DIR, name), "utf8"), `abis/${name} is stale`).toBe(content);
    }
  });

  it("compiling twice gives identical bytecode", () => {
    const again = compileContracts();
    expect(again.map((c) => c.bytecode)).toEqual(compiled.map((c) => c.bytecode));
    for (const c of compiled) expect(c.bytecode.length).toBeGreaterThan(1000);
  });

  it("MarginVault implements every event and function of IMarginVault", () => {
    const iface = readFileSync(join(ABIS_DIR, "..", "contracts", "src", "IMarginVault.sol"), "utf8");
    const declared = [...iface.matchAll(/^\s*(event|function)\s+(\w+)\s*\(/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(declared.length).toBeGreaterThan(30);
    const inAbi = new Set(marginVaultAbi.map((item) => `${item.type} ${"name" in item ? item.name : ""}`));
    for (const d of declared) expect(inAbi.has(d), d).toBe(true);
  });
});
