import { readFileSync } from "node:fs";
import path from "node:path";
import { getAddress } from "viem";
import { describe, expect, test } from "vitest";
import { exampleRawConfig } from "../../config/fixtures.js";
import { toRiskConfig } from "../../config/toRiskConfig.js";
import { validateConfig } from "../../config/validateConfig.js";
import { prepareEnvironment } from "../../risk/environment.js";
import { envInput } from "../../risk/testing.js";
import { GOLDEN_TIMESTAMP, goldenMarket } from "../../risk/domains/testing.js";
import { aaveMarketSpecs, createAaveDomainSource, evaluationTime } from "./domainSource.js";

const ethereum = JSON.parse(readFileSync(path.join(import.meta.dirname, "examples/ethereum.json"), "utf8")) as Record<string, unknown>;
const WETH = getAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
const USDC = getAddress("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");

function configWith(aave: Record<string, unknown>) {
  const raw = exampleRawConfig();
  const { protocol: _p, chain: _c, chainId: _i, ...market } = aave;
  raw.chains.l1.aaveV3 = market;
  const config = validateConfig(raw);
  return { config, riskConfig: toRiskConfig(config) };
}

describe("aaveMarketSpecs", () => {
  test("default: reserves take the risk asset of the chain's token entry, else their symbol when the risk config lists it; the rest is named", () => {
    const { config, riskConfig } = configWith(ethereum);
    const [spec] = aaveMarketSpecs(config, riskConfig);
    expect(spec!.chainId).toBe(1337001);
    expect(spec!.symbols.get(WETH)).toBe("ETH"); // from chains.l1.tokens, not the reserve's "WETH"
    expect(spec!.symbols.get(USDC)).toBe("USDC");
    expect(spec!.unmapped).toEqual(["WBTC"]); // no token entry, and "WBTC" is not a risk asset
    expect(spec!.finalitySeconds).toBe(60); // the chain's liquidationLatencySeconds
    expect(spec!.maxDataLagSeconds).toBe(120);
  });

  test("default: finalitySeconds overrides the horizon; a chain without aaveV3 has no spec", () => {
    const { config, riskConfig } = configWith({ ...ethereum, finalitySeconds: 13 });
    expect(aaveMarketSpecs(config, riskConfig).map((s) => [s.chainId, s.finalitySeconds])).toEqual([[1337001, 13]]);
  });

  test("error: an out-of-range finalitySeconds is refused at its key", () => {
    expect(() => configWith({ ...ethereum, finalitySeconds: -1 })).toThrow(/chains\.l1\.aaveV3\.finalitySeconds.*expected whole seconds 0–86400/s);
  });

  test("default: the source names the unmapped reserves as a problem of the domain and evaluates nothing before a read", () => {
    const { config, riskConfig } = configWith(ethereum);
    const source = createAaveDomainSource({ config, riskConfig, schema: "xmargin", query: async () => [] })!;
    expect(source.chainIds).toEqual([1337001]);
    expect(source.domains().map((d) => d.id)).toEqual([`aaveV3:1337001:${getAddress(ethereum.pool as string)}`]);
    const env = prepareEnvironment(riskConfig, envInput());
    const e = source.evaluate(env, new Map());
    expect(e.all()).toEqual([]);
    expect(e.totals).toEqual([]);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.message).toMatch(/reserves WBTC have no risk asset/);
    expect(createAaveDomainSource({ config: validateConfig(exampleRawConfig()), riskConfig, schema: "x", query: async () => [] })).toBeNull();
  });

  test("edge: rows newer than the checkpoint row are evaluated at their newest index update, not before it", () => {
    const state = goldenMarket(); // every index updated at GOLDEN_TIMESTAMP
    expect(evaluationTime(state, Number(GOLDEN_TIMESTAMP) - 3)).toBe(GOLDEN_TIMESTAMP);
    expect(evaluationTime(state, Number(GOLDEN_TIMESTAMP) + 5)).toBe(GOLDEN_TIMESTAMP + 5n);
    expect(evaluationTime(state, undefined)).toBe(GOLDEN_TIMESTAMP);
  });
});
