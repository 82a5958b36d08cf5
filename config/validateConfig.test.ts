import { describe, expect, test } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { DEFAULT_RISK_PARAMS } from "./defaults.js";
import { ADDR, exampleRawConfig } from "./fixtures.js";
import { validateConfig } from "./validateConfig.js";

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  }
  throw new Error("expected a ConfigError");
}

describe("validateConfig", () => {
  test("default: the example config is valid, normalized and defaulted", () => {
    const config = validateConfig(exampleRawConfig());
    const l1 = config.chains.l1;
    expect(l1.name).toBe("l1");
    expect(l1.rpc).toEqual(["http://127.0.0.1:18545"]);
    expect(l1.quoteToken).toBe(ADDR.usdcL1.toLowerCase());
    expect(Object.keys(l1.tokens)).toEqual([ADDR.usdcL1.toLowerCase(), ADDR.wethL1.toLowerCase()]);
    expect(config.chains.l2a.startBlock).toBe(0);
    expect(config.chains.l2a.pollingIntervalMs).toBe(1000);
    expect(config.chains.l2a.settlement).toBe(false);
    expect(config.chains.l2a.rpc).toHaveLength(2);
    expect(config.markets.BTC.imf).toBe("0");
    expect(config.risk).toEqual(DEFAULT_RISK_PARAMS);
    expect(config.database).toEqual({ kind: "pglite", directory: ".xmargin/pglite" });
    expect(config.ordering).toBe("multichain");
    expect(config.api).toEqual({ port: 4000 });
  });

  test("default: risk defaults are the model's", () => {
    const { risk } = validateConfig(exampleRawConfig());
    expect(risk.zMaintenance).toBe("2.326");
    expect(risk.zInitial).toBe("2.576");
    expect(risk.maxOracleDeviation).toBe("0.02");
    expect(risk.yearSeconds).toBe(31_536_000);
    expect(risk.ewmaHalfLifeSeconds).toBe(86_400);
    expect(risk.gridSeconds).toBe(60);
    expect(risk.marginMode).toBe("standard");
    expect(risk.portfolioFloor).toBe("0.2");
    expect(risk.cascadeMaxRounds).toBe(10);
    expect(risk.thresholds).toEqual({ raiseMarginsCoverage: "2", reduceLeverageCoverage: "1.25", liquidatableNotionalShare: "0.10", hysteresis: "0.2" });
  });

  test("behavior: risk overrides key by key, numbers become exact strings", () => {
    const raw = exampleRawConfig();
    raw.risk = { zMaintenance: 3, thresholds: { hysteresis: "0.1" }, marginMode: "portfolio" };
    const { risk } = validateConfig(raw);
    expect(risk.zMaintenance).toBe("3");
    expect(risk.zInitial).toBe("2.576");
    expect(risk.marginMode).toBe("portfolio");
    expect(risk.thresholds.hysteresis).toBe("0.1");
    expect(risk.thresholds.raiseMarginsCoverage).toBe("2");
  });

  test("behavior: several mistakes are reported at once", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.vault = "0x12";
    delete raw.chains.l2a.rpc;
    raw.assets.ETH.cfInitial = "0.9";
    raw.chains.l1.tokens[ADDR.wethL1].decimals = 40;
    raw.chains.l2a.liquidationLatencySeconds = -5;
    const issues = issuesOf(raw);
    expect(issues).toEqual(
      expect.arrayContaining([
        "chains.l1.vault: '0x12' is not an address; expected 0x + 40 hex digits",
        "chains.l2a.rpc: missing; expected an http(s) or ws(s) URL (there is no public fallback)",
        "assets.ETH.cfInitial: 0.9 > cfMaintenance 0.85; expected cfInitial ≤ cfMaintenance",
        `chains.l1.tokens.${ADDR.wethL1}.decimals: 40 is out of range; expected a whole number of decimals in 0..36`,
        "chains.l2a.liquidationLatencySeconds: -5 is out of range; expected a number of seconds ≥ 0",
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  test("behavior: the message lists every problem, one per line", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.vault = "0x12";
    raw.ordering = "omnichian";
    try {
      validateConfig(raw, { source: "/tmp/x.json" });
      throw new Error("unreachable");
    } catch (error) {
      expect((error as Error).message).toBe(
        "Invalid xmargin config '/tmp/x.json' (2 problems):\n" +
          "  - chains.l1.vault: '0x12' is not an address; expected 0x + 40 hex digits\n" +
          "  - ordering: 'omnichian' is not allowed; expected one of ['multichain', 'omnichain', 'experimental_isolated'] (did you mean 'omnichain'?)",
      );
      expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    }
  });

  test("behavior: unknown keys with a did-you-mean", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.pollingInterval = 500;
    raw.assets.ETH.cfMaintenace = "0.8";
    raw.databse = {};
    const issues = issuesOf(raw);
    expect(issues).toContain("chains.l1.pollingInterval: unknown key; did you mean 'pollingIntervalMs'?");
    expect(issues).toContain("assets.ETH.cfMaintenace: unknown key; did you mean 'cfMaintenance'?");
    expect(issues).toContain("databse: unknown key; did you mean 'database'?");
  });

  test("behavior: unknown asset references", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.feeds[ADDR.ethFeedL1].asset = "ETHH";
    raw.chains.l1.markets["3"] = { asset: "SOL" };
    raw.markets.DOGE = { mmr: "0.05", imr: "0.1" };
    const issues = issuesOf(raw);
    expect(issues).toContain(
      `chains.l1.feeds.${ADDR.ethFeedL1}.asset: 'ETHH' is not a configured asset; expected one of ['ETH', 'BTC', 'USDC'] (a key of 'assets'); did you mean 'ETH'?`,
    );
    expect(issues).toContain(
      "chains.l1.markets.3.asset: Invalid asset for 'chains.l1.markets.3': 'SOL' is not a configured asset; expected one of ['ETH', 'BTC', 'USDC'] (a key of 'assets')",
    );
    expect(issues.some((i) => i.startsWith("markets.DOGE: Invalid asset for 'markets.DOGE'"))).toBe(true);
  });

  test("behavior: a chain market whose asset has no market params", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.markets["3"] = { asset: "USDC" };
    expect(issuesOf(raw)).toEqual(["chains.l1.markets.3.asset: 'USDC' has no entry in 'markets'; expected markets.USDC with mmr and imr"]);
  });

  test("behavior: duplicate chain ids", () => {
    const raw = exampleRawConfig();
    raw.chains.l2a.chainId = 1337001;
    expect(issuesOf(raw)).toEqual(["chains.l2a.chainId: 1337001 is also the chainId of 'chains.l1'; expected a distinct chainId per chain"]);
  });

  test("behavior: exactly one settlement chain", () => {
    const none = exampleRawConfig();
    none.chains.l1.settlement = false;
    expect(issuesOf(none)).toEqual([`chains: no settlement chain; expected exactly one chain with "settlement": true`]);
    const two = exampleRawConfig();
    two.chains.l2a.settlement = true;
    expect(issuesOf(two)).toEqual([`chains: 2 settlement chains (['l1', 'l2a']); expected exactly one chain with "settlement": true`]);
  });

  test("behavior: quoteToken must be listed in tokens", () => {
    const raw = exampleRawConfig();
    raw.chains.l2a.quoteToken = ADDR.wethL1;
    expect(issuesOf(raw)).toEqual([
      `chains.l2a.quoteToken: '${ADDR.wethL1.toLowerCase()}' is not in chains.l2a.tokens; expected the quote token to be listed in tokens (with its asset and decimals)`,
    ]);
  });

  test("boundary: decimals 0 and 36 are fine, -1 and 37 are not", () => {
    const ok = exampleRawConfig();
    ok.chains.l1.tokens[ADDR.wethL1].decimals = 0;
    ok.chains.l1.feeds[ADDR.ethFeedL1].decimals = 36;
    expect(() => validateConfig(ok)).not.toThrow();
    const bad = exampleRawConfig();
    bad.chains.l1.tokens[ADDR.wethL1].decimals = -1;
    bad.chains.l1.feeds[ADDR.ethFeedL1].decimals = 37;
    bad.chains.l1.feeds[ADDR.btcFeedL1].decimals = 8.5;
    expect(issuesOf(bad)).toHaveLength(3);
  });

  test("boundary: risk.lagStepSeconds 0 (exact lag) is fine; negative or fractional is not", () => {
    const raw = exampleRawConfig();
    expect(validateConfig(raw).risk.lagStepSeconds).toBe(5);
    raw.risk = { lagStepSeconds: 0 };
    expect(validateConfig(raw).risk.lagStepSeconds).toBe(0);
    raw.risk = { lagStepSeconds: -1 };
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^risk\.lagStepSeconds: -1 is out of range; expected a whole number of seconds \(0 = the exact lag\)/)]);
    raw.risk = { lagStepSeconds: 2.5 };
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^risk\.lagStepSeconds: 2\.5 is not a whole number of seconds/)]);
  });

  test("boundary: zero latency is fine, negative is not", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.liquidationLatencySeconds = 0;
    expect(validateConfig(raw).chains.l1.liquidationLatencySeconds).toBe(0);
    raw.chains.l1.maxDataLagSeconds = -1;
    expect(issuesOf(raw)).toEqual(["chains.l1.maxDataLagSeconds: -1 is out of range; expected a number of seconds ≥ 0"]);
  });

  test("behavior: rpc must be http(s) or ws(s); shown redacted", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.rpc = "ftp://eth.example/v2/abcdef123456";
    raw.chains.l2a.rpc = [];
    const issues = issuesOf(raw);
    expect(issues).toContain(
      "chains.l1.rpc: 'ftp://eth.example/v2/***' is not an http(s) or ws(s) URL; expected an http(s) or ws(s) URL, or a list of them (there is no public fallback)",
    );
    expect(issues).toContain("chains.l2a.rpc: missing; expected an http(s) or ws(s) URL (there is no public fallback)");
    expect(issues.join("\n")).not.toContain("abcdef123456");
  });

  test("behavior: the same token twice in different case", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.tokens[ADDR.usdcL1.toLowerCase()] = { asset: "USDC", decimals: 6 };
    expect(issuesOf(raw)).toEqual([
      `chains.l1.tokens.${ADDR.usdcL1.toLowerCase()}: '${ADDR.usdcL1.toLowerCase()}' is listed twice (addresses are case-insensitive); expected each address once`,
    ]);
  });

  test("behavior: market params and asset bounds", () => {
    const raw = exampleRawConfig();
    raw.markets.ETH.imr = "0.02";
    raw.assets.BTC.cfMaintenance = "1.5";
    raw.assets.BTC.group = "crypto";
    raw.assets.USDC.depthUsd = "0";
    raw.chains.l1.markets["4294967296"] = { asset: "ETH" };
    const issues = issuesOf(raw);
    expect(issues).toContain("markets.ETH.imr: 0.02 < mmr 0.03; expected imr ≥ mmr");
    expect(issues).toContain(`assets.BTC.cfMaintenance: 1.5 is out of range; expected a decimal number > 0 and ≤ 1, e.g. "0.85"`);
    expect(issues).toContain("assets.BTC.group: 'crypto' is not allowed; expected one of ['stable', 'btc', 'eth', 'alt']");
    expect(issues).toContain(`assets.USDC.depthUsd: 0 is out of range; expected a decimal number > 0, e.g. "0.85"`);
    expect(issues).toContain("chains.l1.markets.4294967296: '4294967296' is not a marketId; expected a uint32 in decimal (0..4294967295) as the key");
    expect(issues).toHaveLength(5);
  });

  test("behavior: database", () => {
    const raw = exampleRawConfig();
    raw.database = { kind: "postgres", connectionString: "postgresql://u:p@127.0.0.1:5432/x" };
    expect(validateConfig(raw).database).toEqual({ kind: "postgres", connectionString: "postgresql://u:p@127.0.0.1:5432/x" });
    raw.database = { kind: "pglite", directory: "memory://" };
    expect(issuesOf(raw)).toEqual(["database.directory: 'memory://' crashes 'ponder start' on ponder 0.16.10; expected a directory path (use a temp directory)"]);
    raw.database = { kind: "postgres", connectionString: "mysql://u:secretpassword1@h/x" };
    const issues = issuesOf(raw);
    expect(issues[0]).toMatch(/^database\.connectionString: '.*' is not a Postgres URL/);
    expect(issues[0]).not.toContain("secretpassword1");
  });

  test("behavior: not an object at all", () => {
    expect(issuesOf([])).toEqual(["an array is not a JSON object; expected a JSON object"]);
    expect(issuesOf({})).toEqual([
      "assets: missing; expected an object of assets (symbol → risk parameters)",
      "chains: missing; expected an object of chains (name → chain)",
    ]);
  });
});
