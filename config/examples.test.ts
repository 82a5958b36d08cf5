import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { loadConfig } from "./loadConfig.js";
import { toRiskConfig } from "./toRiskConfig.js";

describe("config/examples", () => {
  test("realchains.example.json is a valid config", () => {
    const path = new URL("./examples/realchains.example.json", import.meta.url).pathname;
    const config = loadConfig({ env: { XMARGIN_CONFIG: path }, readFile: (p) => readFileSync(p, "utf8") });
    expect(Object.keys(config.chains)).toEqual(["mainnet", "arbitrum", "base"]);
    expect(config.chains.mainnet.settlement).toBe(true);
    expect(Object.keys(toRiskConfig(config).markets)).toEqual(["1:1", "1:2", "42161:1", "8453:1"]);
  });

  test("behavior: env keeps the keys out of the file", () => {
    const path = new URL("./examples/realchains.example.json", import.meta.url).pathname;
    const config = loadConfig({ env: { XMARGIN_CONFIG: path, XMARGIN_RPC_BASE: "https://base.example/rpc" }, readFile: (p) => readFileSync(p, "utf8") });
    expect(config.chains.base.rpc).toEqual(["https://base.example/rpc"]);
  });
});
