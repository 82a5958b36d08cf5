/**
 * The risk model's default parameters (docs/risk-model.md §3–§6); config/defaults.ts re-exports them
 * as the config file's defaults.
 */
import type { RiskParams } from "./types.js";

/**
 * zM 2.326 (99% one-sided), zI 2.576 (99.5%), maxOracleDeviation 2%, Y = 31,536,000 s (365 d),
 * EWMA half-life 86,400 s, 60 s grid, data lag in 5 s steps, margin mode "standard", portfolio floor 0.2, ≤ 10 cascade
 * rounds, RAISE_MARGINS at CR < 2, REDUCE_MAX_LEVERAGE at CR < 1.25 or liquidatable notional > 10%
 * of pool collateral, 20% hysteresis.
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
