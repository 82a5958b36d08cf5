/**
 * Reads the config file named by XMARGIN_CONFIG, applies the environment's overrides and
 * validates the result. The env and the file system come in as arguments so that tests pass
 * plain objects and the function never touches the process.
 */
import { ConfigError, type ConfigIssue } from "./ConfigError.js";
import { list } from "./readers.js";
import type { XmarginConfig } from "./types.js";
import { validateConfig } from "./validateConfig.js";

export type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  env: Env;
  /** reads a UTF-8 file; throws when it cannot */
  readFile: (path: string) => string;
}

const RPC_PREFIX = "XMARGIN_RPC_";

/** The env var that overrides a chain's rpc: `XMARGIN_RPC_` + the name uppercased ("l2b" → XMARGIN_RPC_L2B). */
export function rpcEnvName(chainName: string): string {
  return RPC_PREFIX + chainName.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/**
 * Loads and validates the config: XMARGIN_CONFIG (path of the JSON file), then overrides
 * XMARGIN_RPC_<NAME> (one URL, or several separated by commas), DATABASE_URL (→ postgres) and
 * XMARGIN_PGLITE_DIR (→ pglite directory, when DATABASE_URL is unset). Throws `ConfigError`.
 * Example: `loadConfig({ env: process.env, readFile: (p) => readFileSync(p, "utf8") })`.
 */
export function loadConfig({ env, readFile }: LoadConfigOptions): XmarginConfig {
  const path = env.XMARGIN_CONFIG?.trim();
  if (!path) {
    throw new ConfigError(
      "No xmargin config",
      [
        {
          path: "XMARGIN_CONFIG",
          message:
            "not set; expected the path of an xmargin config file. Run `npm start` to start the local devnet (it writes .xmargin/devnet/xmargin.config.json), " +
            "or set XMARGIN_CONFIG=path/to/config.json for your own chains (format: docs/config.md, examples: config/examples/)",
        },
      ],
      { code: "CONFIG_MISSING" },
    );
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      "Unreadable xmargin config",
      [{ path: "XMARGIN_CONFIG", message: `cannot read '${path}' (${reason}); expected a readable JSON file (run \`npm start\` to write the devnet's)` }],
      { code: "CONFIG_MISSING" },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Invalid xmargin config '${path}'`, [{ path: "", message: `not valid JSON (${reason}); expected a JSON object (no comments)` }]);
  }
  const { raw: overridden, rpcSources, issues } = applyEnvOverrides(raw, env);
  return validateConfig(overridden, { source: path, rpcSources, priorIssues: issues });
}

/** Returns a copy of the raw config with the env's overrides applied (the input is not mutated). */
export function applyEnvOverrides(
  raw: unknown,
  env: Env,
): { raw: unknown; rpcSources: Record<string, string>; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const rpcSources: Record<string, string> = {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { raw, rpcSources, issues };
  const root: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const chains =
    typeof root.chains === "object" && root.chains !== null && !Array.isArray(root.chains) ? { ...(root.chains as Record<string, unknown>) } : undefined;

  const chainByEnv = new Map(Object.keys(chains ?? {}).map((name) => [rpcEnvName(name), name]));
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(RPC_PREFIX) || value === undefined || value.trim() === "") continue;
    const name = chainByEnv.get(key);
    if (name === undefined || chains === undefined) {
      issues.push({ path: key, message: `no chain is named '${key.slice(RPC_PREFIX.length).toLowerCase()}'; expected one of ${list([...chainByEnv.keys()])}` });
      continue;
    }
    const urls = value
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url.length > 0);
    const chain = chains[name];
    if (typeof chain === "object" && chain !== null && !Array.isArray(chain)) {
      chains[name] = { ...(chain as Record<string, unknown>), rpc: urls.length === 1 ? urls[0] : urls };
      rpcSources[name] = key;
    }
  }
  if (chains !== undefined) root.chains = chains;

  const databaseUrl = env.DATABASE_URL?.trim();
  const pgliteDir = env.XMARGIN_PGLITE_DIR?.trim();
  if (databaseUrl) root.database = { kind: "postgres", connectionString: databaseUrl };
  else if (pgliteDir) root.database = { kind: "pglite", directory: pgliteDir };
  return { raw: root, rpcSources, issues };
}
