import { describe, expect, test } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { exampleRawConfig } from "./fixtures.js";
import { applyEnvOverrides, loadConfig, rpcEnvName } from "./loadConfig.js";

const files = (content: string) => (path: string) => {
  if (path !== "/cfg/xmargin.json") throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  return content;
};

function load(env: Record<string, string | undefined>, raw: unknown = exampleRawConfig()) {
  return loadConfig({ env: { XMARGIN_CONFIG: "/cfg/xmargin.json", ...env }, readFile: files(JSON.stringify(raw)) });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  test("default: reads, validates, no overrides", () => {
    const config = load({});
    expect(config.chains.l1.rpc).toEqual(["http://127.0.0.1:18545"]);
    expect(config.database).toEqual({ kind: "pglite", directory: ".xmargin/pglite" });
  });

  test("behavior: XMARGIN_CONFIG missing says how to get one", () => {
    const error = errorOf(() => loadConfig({ env: {}, readFile: files("{}") }));
    expect(error.code).toBe("CONFIG_MISSING");
    expect(error.message).toContain("XMARGIN_CONFIG: not set");
    expect(error.message).toContain("npm start");
  });

  test("behavior: unreadable file and bad JSON", () => {
    const unreadable = errorOf(() => loadConfig({ env: { XMARGIN_CONFIG: "/nope.json" }, readFile: files("{}") }));
    expect(unreadable.message).toContain("cannot read '/nope.json' (ENOENT");
    const bad = errorOf(() => loadConfig({ env: { XMARGIN_CONFIG: "/cfg/xmargin.json" }, readFile: files("{ chains: ") }));
    expect(bad.message).toMatch(/^Invalid xmargin config '\/cfg\/xmargin.json' \(1 problem\):\n {2}- not valid JSON/);
  });

  test("behavior: XMARGIN_RPC_<NAME> overrides one chain, commas give a list", () => {
    const config = load({ XMARGIN_RPC_L1: "http://10.0.0.1:8545", XMARGIN_RPC_L2A: "http://a:1, ws://b:2" });
    expect(config.chains.l1.rpc).toEqual(["http://10.0.0.1:8545"]);
    expect(config.chains.l2a.rpc).toEqual(["http://a:1", "ws://b:2"]);
  });

  test("behavior: an override for no chain and a bad override URL are reported with the env var", () => {
    const error = errorOf(() => load({ XMARGIN_RPC_L2B: "http://x:1", XMARGIN_RPC_L1: "localhost:8545" }));
    expect(error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "XMARGIN_RPC_L2B: no chain is named 'l2b'; expected one of ['XMARGIN_RPC_L1', 'XMARGIN_RPC_L2A']",
      "chains.l1.rpc: 'localhost:8545' is not an http(s) or ws(s) URL (set by XMARGIN_RPC_L1); expected an http(s) or ws(s) URL, or a list of them (there is no public fallback)",
    ]);
  });

  test("behavior: a libpq keyword DATABASE_URL is refused without printing its password", () => {
    const error = errorOf(() => load({ DATABASE_URL: "host=db.internal dbname=xmargin user=app password=hunter2" }));
    expect(error.message).toContain("is not a Postgres URL");
    expect(error.message).toContain("host=db.internal");
    expect(error.message).toContain("password=***");
    expect(`${error.message} ${JSON.stringify(error.details ?? {})}`).not.toContain("hunter2");
  });

  test("behavior: DATABASE_URL wins over XMARGIN_PGLITE_DIR", () => {
    expect(load({ XMARGIN_PGLITE_DIR: "/tmp/pg1" }).database).toEqual({ kind: "pglite", directory: "/tmp/pg1" });
    expect(load({ XMARGIN_PGLITE_DIR: "/tmp/pg1", DATABASE_URL: "postgresql://x@127.0.0.1:5433/db" }).database).toEqual({
      kind: "postgres",
      connectionString: "postgresql://x@127.0.0.1:5433/db",
    });
  });

  test("behavior: overrides do not mutate the input", () => {
    const raw = exampleRawConfig();
    const before = JSON.stringify(raw);
    applyEnvOverrides(raw, { XMARGIN_RPC_L1: "http://y:1", DATABASE_URL: "postgresql://h/db" });
    expect(JSON.stringify(raw)).toBe(before);
  });

  test("rpcEnvName", () => {
    expect(rpcEnvName("l2b")).toBe("XMARGIN_RPC_L2B");
    expect(rpcEnvName("base_sepolia")).toBe("XMARGIN_RPC_BASE_SEPOLIA");
  });
});
