import { describe, expect, test } from "vitest";
import { exampleRawConfig } from "./fixtures.js";
import { toRiskConfig } from "./toRiskConfig.js";
import { validateConfig } from "./validateConfig.js";

describe("toRiskConfig", () => {
  test("default: one market per (chain, marketId) with its asset's params", () => {
    const risk = toRiskConfig(validateConfig(exampleRawConfig()));
    expect(Object.keys(risk.markets).sort()).toEqual(["1337001:1", "1337001:2", "1337002:1"]);
    expect(risk.markets["1337001:2"]).toEqual({ key: "1337001:2", chainId: 1337001, marketId: 2, asset: "BTC", mmr: "0.03", imr: "0.05", imf: "0" });
    expect(risk.chains[1337002]).toEqual({ chainId: 1337002, name: "l2a", liquidationLatencySeconds: 1020, maxDataLagSeconds: 120 });
    expect(risk.assets.USDC.symbol).toBe("USDC");
    expect(risk.assets.USDC.group).toBe("stable");
    expect(risk.params.zMaintenance).toBe("2.326");
  });

  test("behavior: the result does not share the config's params object", () => {
    const config = validateConfig(exampleRawConfig());
    const risk = toRiskConfig(config);
    risk.params.thresholds.hysteresis = "0.5";
    expect(config.risk.thresholds.hysteresis).toBe("0.2");
  });
});
