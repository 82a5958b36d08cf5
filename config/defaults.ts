/**
 * Defaults of the risk model (docs/risk-model.md, /work/shared/reference/risk-model.md) and of the
 * config file's optional keys. `risk` in the config file overrides any of these key by key.
 */
import type { DatabaseConfig, Ordering } from "./types.js";

/** The model's starting values: one definition, in the risk core (risk/defaults.ts). */
export { DEFAULT_RISK_PARAMS } from "../risk/defaults.js";

export const DEFAULT_START_BLOCK = 0;
export const DEFAULT_POLLING_INTERVAL_MS = 1000;
export const DEFAULT_IMF = "0";
export const DEFAULT_PGLITE_DIRECTORY = ".xmargin/pglite";
export const DEFAULT_DATABASE: DatabaseConfig = { kind: "pglite", directory: DEFAULT_PGLITE_DIRECTORY };
export const DEFAULT_ORDERING: Ordering = "multichain";
export const DEFAULT_API_PORT = 4000;
