import { describe, expect, test } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { exampleRawAaveMarket, exampleRawConfig } from "./fixtures.js";
import { validateConfig } from "./validateConfig.js";

const market = exampleRawAaveMarket;

describe("chains.<name>.aaveV3", () => {
  test("default: absent is fine and leaves the chain without a market", () => {
    expect(validateConfig(exampleRawConfig()).chains.l1!.aaveV3).toBeUndefined();
  });

  test("behavior: a market takes protocol, chain and chainId from its chain; addresses checksummed", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = { ...market(), pool: market().pool.toLowerCase() };
    const m = validateConfig(raw).chains.l1!.aaveV3!;
    expect(m).toMatchObject({ protocol: "aaveV3", chain: "l1", chainId: 1337001, pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2", startBlock: 16291127 });
  });

  test("behavior: every problem at once, each under its key, beside the other config mistakes", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = { ...market(), pool: "0x12", startBlock: -1, chainId: 1, colour: "red" };
    raw.chains.l2a.vault = "nope";
    let error: unknown;
    try {
      validateConfig(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(["chains.l1.aaveV3.chainId", "chains.l1.aaveV3.pool", "chains.l1.aaveV3.startBlock", "chains.l1.aaveV3", "chains.l2a.vault"]),
    );
    expect((error as ConfigError).message).toContain("unknown key 'colour'");
  });

  test("behavior: priceReads problems are filed under their own keys", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = { ...market(), priceReads: { everyBlocks: 0, assets: ["wstETH"] } };
    let error: unknown;
    try {
      validateConfig(raw);
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(["chains.l1.aaveV3.priceReads.everyBlocks", "chains.l1.aaveV3.priceReads.assets[0]"]);
    raw.chains.l1.aaveV3 = { ...market(), priceReads: { assets: ["0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0"] } };
    expect(validateConfig(raw).chains.l1!.aaveV3!.priceReads).toEqual({ everyBlocks: 1, assets: ["0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0"] });
  });

  test("behavior: not an object", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2";
    expect(() => validateConfig(raw)).toThrow(/chains\.l1\.aaveV3: '0x8787.*' is not an Aave v3 market/);
  });
});
