/** The pure risk core (docs/risk-model.md): every export, one import for the book, API, stress and benches. */
export * from "./types.js";
export * from "./decimal.js";
export * from "./defaults.js";
export * from "./errors.js";
export * from "./markPrice.js";
export * from "./haircut.js";
export * from "./environment.js";
export * from "./portfolio.js";
export * from "./liquidationPrice.js";
export * from "./evaluateAccount.js";
export * from "./compiled.js";
export * from "./volatility.js";
export * from "./scenarios.js";
export * from "./systemic.js";
export * from "./stress.js";
export * from "./liquidationCurve.js";
export * from "./domains/index.js";
