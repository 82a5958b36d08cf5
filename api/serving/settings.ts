/**
 * The serving worker's settings, from the environment, validated once with errors that say what
 * would be accepted:
 *   XMARGIN_API_HOST        address the API binds (default 127.0.0.1; 0.0.0.0 or :: to expose it)
 *   XMARGIN_API_PORT        the API's port (default: the config's api.port, 4000; Ponder itself
 *                           listens on its --port)
 *   XMARGIN_API_STRICT_PORT "true": fail when the port is taken instead of trying the next ones
 *   XMARGIN_API_HEAP_MB     the serving worker's V8 old-space cap in MB (default 768, ≥ 64)
 *   XMARGIN_API_RESTART_MS  first restart delay after the worker stops (default 1000, doubling to 30 s)
 */
import { isIP } from "node:net";
import { ServingError } from "./errors.js";

export interface ServingSettings {
  host: string;
  port: number;
  strictPort: boolean;
  heapMb: number;
  restartMs: number;
}

export const DEFAULT_SERVING: ServingSettings = { host: "127.0.0.1", port: 4000, strictPort: false, heapMb: 768, restartMs: 1000 };

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} is '${raw}'; expected a whole number from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

/** Reads and validates the settings; every bad variable is reported at once. */
export function servingSettings(env: NodeJS.ProcessEnv, defaults: Partial<ServingSettings> = {}): ServingSettings {
  const base = { ...DEFAULT_SERVING, ...defaults };
  const problems: string[] = [];
  const host = env.XMARGIN_API_HOST === undefined || env.XMARGIN_API_HOST === "" ? base.host : env.XMARGIN_API_HOST;
  if (host !== "localhost" && isIP(host) === 0) problems.push(`XMARGIN_API_HOST is '${host}'; expected an IP address such as 127.0.0.1 (default), 0.0.0.0 or ::, or localhost`);
  const port = int(env, "XMARGIN_API_PORT", base.port, 1, 65_535, problems);
  const strictRaw = env.XMARGIN_API_STRICT_PORT;
  if (strictRaw !== undefined && strictRaw !== "" && strictRaw !== "true" && strictRaw !== "false") {
    problems.push(`XMARGIN_API_STRICT_PORT is '${strictRaw}'; expected true or false`);
  }
  const heapMb = int(env, "XMARGIN_API_HEAP_MB", base.heapMb, 64, 65_536, problems);
  const restartMs = int(env, "XMARGIN_API_RESTART_MS", base.restartMs, 10, 600_000, problems);
  if (problems.length > 0) {
    throw new ServingError("SERVING_BAD_SETTING", `Invalid serving settings (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n  - ${problems.join("\n  - ")}`, { problems });
  }
  return { host, port, strictPort: strictRaw === undefined || strictRaw === "" ? base.strictPort : strictRaw === "true", heapMb, restartMs };
}
