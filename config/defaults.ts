/**
 * Defaults of the risk model (docs/risk-model.md, /work/shared/reference/risk-model.md) and of the
 * config file's optional keys. `risk` in the config file overrides any of these key by key.
 */
import type { RiskParams } from "../risk/types.js";
import type { DatabaseConfig, Ordering } from "./types.js";

/**
 * The model's starting values: zM 2.326 (99%), zI 2.576 (99.5%), oracle deviation 2%,
 * Y = 31,536,000 s, EWMA half-life 1 day, 60 s grid, standard margin, portfolio floor 0.2,
 * cascade ≤ 10 rounds, actions at CR < 2 / CR < 1.25 / liquidatable notional > 10%, hysteresis 20%.
 */
export const DEFAULT_RISK_PARAMS: RiskParams = Object.freeze({
  zMaintenance: "2.326",
  zInitial: "2.576",
  maxOracleDeviation: "0.02",
  yearSeconds: 31_536_000,
  ewmaHalfLifeSeconds: 86_400,
  gridSeconds: 60,
  lagStepSeconds: 5,
  marginMode: "standard",
  portfolioFloor: "0.2",
  cascadeMaxRounds: 10,
  thresholds: Object.freeze({
    raiseMarginsCoverage: "2",
    reduceLeverageCoverage: "1.25",
    liquidatableNotionalShare: "0.10",
    hysteresis: "0.2",
  }),
}) as RiskParams;

export const DEFAULT_START_BLOCK = 0;
export const DEFAULT_POLLING_INTERVAL_MS = 1000;
export const DEFAULT_IMF = "0";
export const DEFAULT_PGLITE_DIRECTORY = ".xmargin/pglite";
export const DEFAULT_DATABASE: DatabaseConfig = { kind: "pglite", directory: DEFAULT_PGLITE_DIRECTORY };
export const DEFAULT_ORDERING: Ordering = "multichain";
export const DEFAULT_API_PORT = 4000;
