/** Margin domains (docs/risk-model.md, "Margin domains"): the vault pool and Aave v3 markets, each with its own rule and xmargin's view. */
export * from "./errors.js";
export * from "./aaveSnapshot.js";
export * from "./aaveRule.js";
export * from "./aaveView.js";
export * from "./domain.js";
export * from "./aaveStress.js";
export * from "./aaveScreen.js";
export * from "./aaveEvaluation.js";
