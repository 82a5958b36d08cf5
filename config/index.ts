export { ConfigError, type ConfigIssue } from "./ConfigError.js";
export { chainLookup, chainLookups, type ChainLookup } from "./chainLookup.js";
export { DEFAULT_RISK_PARAMS } from "./defaults.js";
export { applyEnvOverrides, loadConfig, rpcEnvName, type Env, type LoadConfigOptions } from "./loadConfig.js";
export { checkRpcs, type CheckRpcsOptions } from "./preflight.js";
export { redactUrl } from "./redactUrl.js";
export { toRiskConfig } from "./toRiskConfig.js";
export type * from "./types.js";
export { validateConfig, type ValidateOptions } from "./validateConfig.js";
