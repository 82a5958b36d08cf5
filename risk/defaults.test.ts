import { expect, test } from "vitest";
import { DEFAULT_RISK_PARAMS } from "./defaults.js";
import { DEFAULT_RISK_PARAMS as CONFIG_DEFAULTS } from "../config/defaults.js";

test("default: the model's values", () => {
  expect(DEFAULT_RISK_PARAMS.zMaintenance).toBe("2.326");
  expect(DEFAULT_RISK_PARAMS.zInitial).toBe("2.576");
  expect(DEFAULT_RISK_PARAMS.maxOracleDeviation).toBe("0.02");
  expect(DEFAULT_RISK_PARAMS.yearSeconds).toBe(31_536_000);
  expect(DEFAULT_RISK_PARAMS.portfolioFloor).toBe("0.2");
  expect(DEFAULT_RISK_PARAMS.cascadeMaxRounds).toBe(10);
});

test("behavior: the config layer uses the risk core's defaults (one definition)", () => {
  expect(CONFIG_DEFAULTS).toBe(DEFAULT_RISK_PARAMS);
});
