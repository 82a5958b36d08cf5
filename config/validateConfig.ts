/**
 * Validates a parsed config file (docs/config.md) into an `XmarginConfig`, reporting every
 * mistake at once in one `ConfigError`. Pure: no env, no file system (loadConfig does those).
 */
import Decimal from "decimal.js";
import type { RiskParams } from "../risk/types.js";
import { ConfigError, type ConfigIssue } from "./ConfigError.js";
import {
  DEFAULT_API_PORT,
  DEFAULT_DATABASE,
  DEFAULT_IMF,
  DEFAULT_ORDERING,
  DEFAULT_PGLITE_DIRECTORY,
  DEFAULT_POLLING_INTERVAL_MS,
  DEFAULT_RISK_PARAMS,
  DEFAULT_START_BLOCK,
} from "./defaults.js";
import { didYouMean } from "./didYouMean.js";
import {
  IssueList,
  checkKeys,
  isAddress,
  list,
  readAddress,
  readBoolean,
  readDecimal,
  readEnum,
  readInteger,
  readNumber,
  readObject,
  readRpc,
  show,
} from "./readers.js";
import { redactUrl } from "./redactUrl.js";
import { readAaveMarket } from "./readAaveMarket.js";
import type {
  AssetConfig,
  ChainConfig,
  ChainMarketConfig,
  DatabaseConfig,
  FeedConfig,
  Hex,
  MarketParamsConfig,
  Ordering,
  TokenConfig,
  XmarginConfig,
} from "./types.js";

const TOP_KEYS = ["chains", "assets", "markets", "risk", "database", "ordering", "api"] as const;
const CHAIN_KEYS = [
  "chainId",
  "rpc",
  "startBlock",
  "pollingIntervalMs",
  "liquidationLatencySeconds",
  "maxDataLagSeconds",
  "settlement",
  "vault",
  "quoteToken",
  "tokens",
  "feeds",
  "markets",
  "aaveV3",
] as const;
const ASSET_KEYS = ["cfMaintenance", "cfInitial", "volFloorAnnual", "maxOracleAgeSeconds", "impactKappa", "depthUsd", "group"] as const;
const GROUPS = ["stable", "btc", "eth", "alt"] as const;
const MARKET_KEYS = ["mmr", "imr", "imf"] as const;
const ORDERINGS: readonly Ordering[] = ["multichain", "omnichain", "experimental_isolated"];
const RISK_KEYS = [
  "zMaintenance",
  "zInitial",
  "maxOracleDeviation",
  "yearSeconds",
  "ewmaHalfLifeSeconds",
  "gridSeconds",
  "lagStepSeconds",
  "marginMode",
  "portfolioFloor",
  "cascadeMaxRounds",
  "thresholds",
] as const;
const THRESHOLD_KEYS = ["raiseMarginsCoverage", "reduceLeverageCoverage", "liquidatableNotionalShare", "hysteresis"] as const;
const CHAIN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const ASSET_SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const MAX_UINT32 = 4_294_967_295;

export interface ValidateOptions {
  /** shown in the error header, e.g. the file path */
  source?: string;
  /** chain name → env var that set its rpc, for messages */
  rpcSources?: Record<string, string>;
  /** problems found before validation (env overrides), reported in the same error */
  priorIssues?: ConfigIssue[];
}

/**
 * Validates and normalizes a parsed config: fills defaults, lowercases addresses, turns decimal
 * numbers into exact strings. Throws one `ConfigError` listing every problem.
 * Example: `validateConfig(JSON.parse(text), { source: "xmargin.config.json" })`.
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): XmarginConfig {
  const issues = new IssueList();
  issues.issues.push(...(options.priorIssues ?? []));
  const header = `Invalid xmargin config${options.source ? ` '${options.source}'` : ""}`;
  const root = readObject(issues, raw, "", "a JSON object");
  if (!root) throw new ConfigError(header, issues.issues);
  checkKeys(issues, root, TOP_KEYS, "");

  const { assets, assetNames } = readAssets(issues, root.assets);
  const markets = readMarketParams(issues, root.markets, assetNames);
  const chains = readChains(issues, root.chains, assetNames, markets, options.rpcSources ?? {});
  const risk = readRisk(issues, root.risk);
  const database = readDatabase(issues, root.database);
  const ordering = readEnum(issues, root.ordering, "ordering", ORDERINGS, DEFAULT_ORDERING) ?? DEFAULT_ORDERING;
  const api = readApi(issues, root.api);

  if (issues.issues.length > 0) throw new ConfigError(header, issues.issues);
  return { chains, assets, markets, risk, database, ordering, api };
}

function unknownAssetMessage(asset: unknown, assetNames: string[]): string {
  const hint = typeof asset === "string" ? didYouMean(asset, assetNames) : null;
  return `${show(asset)} is not a configured asset; expected one of ${list(assetNames)} (a key of 'assets')${hint ? `; did you mean '${hint}'?` : ""}`;
}

/** `assetNames` holds every symbol, also the invalid ones, so references to them add no noise. */
function readAssets(issues: IssueList, value: unknown): { assets: Record<string, AssetConfig>; assetNames: string[] } {
  const object = readObject(issues, value, "assets", "an object of assets (symbol → risk parameters)");
  const assets: Record<string, AssetConfig> = {};
  if (!object) return { assets, assetNames: [] };
  if (Object.keys(object).length === 0) issues.add("assets", "empty; expected at least one asset");
  for (const [symbol, entry] of Object.entries(object)) {
    const path = `assets.${symbol}`;
    if (!ASSET_SYMBOL.test(symbol)) issues.add(path, `'${symbol}' is not an asset symbol; expected 1-32 letters, digits, '.', '_' or '-'`);
    const fields = readObject(issues, entry, path, "an object of risk parameters");
    if (!fields) continue;
    checkKeys(issues, fields, ASSET_KEYS, path);
    const cfMaintenance = readDecimal(issues, fields.cfMaintenance, `${path}.cfMaintenance`, { above: "0", max: "1" });
    const cfInitial = readDecimal(issues, fields.cfInitial, `${path}.cfInitial`, { min: "0", max: "1" });
    if (cfMaintenance !== undefined && cfInitial !== undefined && new Decimal(cfInitial).gt(cfMaintenance)) {
      issues.add(`${path}.cfInitial`, `${cfInitial} > cfMaintenance ${cfMaintenance}; expected cfInitial ≤ cfMaintenance`);
    }
    const volFloorAnnual = readDecimal(issues, fields.volFloorAnnual, `${path}.volFloorAnnual`, { min: "0" });
    const maxOracleAgeSeconds = readInteger(issues, fields.maxOracleAgeSeconds, `${path}.maxOracleAgeSeconds`, {
      min: 1,
      what: "a whole number of seconds",
    });
    const impactKappa = readDecimal(issues, fields.impactKappa, `${path}.impactKappa`, { min: "0" });
    const depthUsd = readDecimal(issues, fields.depthUsd, `${path}.depthUsd`, { above: "0" });
    const group = readEnum(issues, fields.group, `${path}.group`, GROUPS);
    if (
      cfMaintenance !== undefined &&
      cfInitial !== undefined &&
      volFloorAnnual !== undefined &&
      maxOracleAgeSeconds !== undefined &&
      impactKappa !== undefined &&
      depthUsd !== undefined &&
      group !== undefined
    ) {
      assets[symbol] = { cfMaintenance, cfInitial, volFloorAnnual, maxOracleAgeSeconds, impactKappa, depthUsd, group };
    }
  }
  return { assets, assetNames: Object.keys(object) };
}

function readMarketParams(issues: IssueList, value: unknown, assetNames: string[]): Record<string, MarketParamsConfig> {
  const object = readObject(issues, value, "markets", "an object of market parameters (asset → mmr/imr/imf)", false);
  const markets: Record<string, MarketParamsConfig> = {};
  if (!object) return markets;
  for (const [asset, entry] of Object.entries(object)) {
    const path = `markets.${asset}`;
    if (!assetNames.includes(asset)) issues.add(path, `Invalid asset for '${path}': ${unknownAssetMessage(asset, assetNames)}`);
    const fields = readObject(issues, entry, path, "an object with mmr, imr and imf");
    if (!fields) continue;
    checkKeys(issues, fields, MARKET_KEYS, path);
    const mmr = readDecimal(issues, fields.mmr, `${path}.mmr`, { above: "0", below: "1" });
    const imr = readDecimal(issues, fields.imr, `${path}.imr`, { above: "0", max: "1" });
    if (mmr !== undefined && imr !== undefined && new Decimal(imr).lt(mmr)) {
      issues.add(`${path}.imr`, `${imr} < mmr ${mmr}; expected imr ≥ mmr`);
    }
    const imf = readDecimal(issues, fields.imf, `${path}.imf`, { min: "0", default: DEFAULT_IMF });
    if (mmr !== undefined && imr !== undefined && imf !== undefined) markets[asset] = { mmr, imr, imf };
  }
  return markets;
}

function readChains(
  issues: IssueList,
  value: unknown,
  assetNames: string[],
  marketParams: Record<string, MarketParamsConfig>,
  rpcSources: Record<string, string>,
): Record<string, ChainConfig> {
  const object = readObject(issues, value, "chains", "an object of chains (name → chain)");
  const chains: Record<string, ChainConfig> = {};
  if (!object) return chains;
  const names = Object.keys(object);
  if (names.length === 0) issues.add("chains", "empty; expected at least one chain");
  const byChainId = new Map<number, string>();
  const settlementChains: string[] = [];

  for (const [name, entry] of Object.entries(object)) {
    const path = `chains.${name}`;
    if (!CHAIN_NAME.test(name)) {
      issues.add(path, `'${name}' is not a chain name; expected a letter then letters, digits or '_' (it names XMARGIN_RPC_<NAME>)`);
    }
    const fields = readObject(issues, entry, path, "an object describing the chain");
    if (!fields) continue;
    checkKeys(issues, fields, CHAIN_KEYS, path);

    const chainId = readInteger(issues, fields.chainId, `${path}.chainId`, { min: 1, what: "a chain id" });
    if (chainId !== undefined) {
      const other = byChainId.get(chainId);
      if (other !== undefined) {
        issues.add(`${path}.chainId`, `${chainId} is also the chainId of 'chains.${other}'; expected a distinct chainId per chain`);
      } else byChainId.set(chainId, name);
    }
    const rpc = readRpc(issues, fields.rpc, `${path}.rpc`, rpcSources[name]);
    const startBlock = readInteger(issues, fields.startBlock, `${path}.startBlock`, {
      min: 0,
      default: DEFAULT_START_BLOCK,
      what: "a block number",
    });
    const pollingIntervalMs = readInteger(issues, fields.pollingIntervalMs, `${path}.pollingIntervalMs`, {
      min: 10,
      default: DEFAULT_POLLING_INTERVAL_MS,
      what: "a whole number of milliseconds",
    });
    const liquidationLatencySeconds = readNumber(issues, fields.liquidationLatencySeconds, `${path}.liquidationLatencySeconds`, {
      min: 0,
      what: "a number of seconds",
    });
    const maxDataLagSeconds = readNumber(issues, fields.maxDataLagSeconds, `${path}.maxDataLagSeconds`, {
      min: 0,
      what: "a number of seconds",
    });
    const settlement = readBoolean(issues, fields.settlement, `${path}.settlement`, false);
    if (settlement) settlementChains.push(name);
    const vault = readAddress(issues, fields.vault, `${path}.vault`);
    const quoteToken = readAddress(issues, fields.quoteToken, `${path}.quoteToken`);
    const tokens = readAssetMap<TokenConfig>(issues, fields.tokens, `${path}.tokens`, assetNames, "tokens");
    const feeds = readAssetMap<FeedConfig>(issues, fields.feeds, `${path}.feeds`, assetNames, "feeds");
    const markets = readChainMarkets(issues, fields.markets, `${path}.markets`, assetNames, marketParams);
    const aaveV3 = readAaveMarket(issues, fields.aaveV3, `${path}.aaveV3`, name, chainId);
    if (quoteToken !== undefined && tokens !== undefined && !(quoteToken in tokens)) {
      issues.add(`${path}.quoteToken`, `'${quoteToken}' is not in ${path}.tokens; expected the quote token to be listed in tokens (with its asset and decimals)`);
    }

    if (
      chainId !== undefined &&
      rpc !== undefined &&
      startBlock !== undefined &&
      pollingIntervalMs !== undefined &&
      liquidationLatencySeconds !== undefined &&
      maxDataLagSeconds !== undefined &&
      settlement !== undefined &&
      vault !== undefined &&
      quoteToken !== undefined &&
      tokens !== undefined &&
      feeds !== undefined &&
      markets !== undefined
    ) {
      chains[name] = {
        name,
        chainId,
        rpc,
        startBlock,
        pollingIntervalMs,
        liquidationLatencySeconds,
        maxDataLagSeconds,
        settlement,
        vault,
        quoteToken,
        tokens,
        feeds,
        markets,
        ...(aaveV3 !== undefined ? { aaveV3 } : {}),
      };
    }
  }
  if (names.length > 0 && settlementChains.length !== 1) {
    issues.add(
      "chains",
      settlementChains.length === 0
        ? `no settlement chain; expected exactly one chain with "settlement": true`
        : `${settlementChains.length} settlement chains (${list(settlementChains)}); expected exactly one chain with "settlement": true`,
    );
  }
  return chains;
}

/** tokens / feeds: address → { asset, decimals }. */
function readAssetMap<T extends TokenConfig>(
  issues: IssueList,
  value: unknown,
  path: string,
  assetNames: string[],
  what: "tokens" | "feeds",
): Record<Hex, T> | undefined {
  const object = readObject(issues, value, path, `an object of ${what} (address → { asset, decimals })`, false);
  if (!object) return undefined;
  const result: Record<Hex, T> = {};
  let ok = true;
  for (const [address, entry] of Object.entries(object)) {
    const at = `${path}.${address}`;
    if (!isAddress(address)) {
      issues.add(at, `'${address}' is not an address; expected 0x + 40 hex digits as the key`);
      ok = false;
      continue;
    }
    const key = address.toLowerCase() as Hex;
    if (key in result) {
      issues.add(at, `'${address}' is listed twice (addresses are case-insensitive); expected each address once`);
      ok = false;
      continue;
    }
    const fields = readObject(issues, entry, at, "an object with asset and decimals");
    if (!fields) {
      ok = false;
      continue;
    }
    checkKeys(issues, fields, ["asset", "decimals"], at);
    const asset = fields.asset;
    if (typeof asset !== "string" || !assetNames.includes(asset)) {
      issues.add(`${at}.asset`, unknownAssetMessage(asset, assetNames));
      ok = false;
    }
    const decimals = readInteger(issues, fields.decimals, `${at}.decimals`, { min: 0, max: 36, what: "a whole number of decimals" });
    if (decimals === undefined) ok = false;
    if (ok) result[key] = { asset: asset as string, decimals: decimals as number } as T;
  }
  return ok ? result : undefined;
}

function readChainMarkets(
  issues: IssueList,
  value: unknown,
  path: string,
  assetNames: string[],
  marketParams: Record<string, MarketParamsConfig>,
): Record<string, ChainMarketConfig> | undefined {
  const object = readObject(issues, value, path, "an object of markets (vault marketId → { asset })", false);
  if (!object) return undefined;
  const result: Record<string, ChainMarketConfig> = {};
  let ok = true;
  for (const [marketId, entry] of Object.entries(object)) {
    const at = `${path}.${marketId}`;
    const id = /^(0|[1-9]\d*)$/.test(marketId) ? Number(marketId) : Number.NaN;
    if (!(id >= 0 && id <= MAX_UINT32)) {
      issues.add(at, `'${marketId}' is not a marketId; expected a uint32 in decimal (0..${MAX_UINT32}) as the key`);
      ok = false;
      continue;
    }
    const fields = readObject(issues, entry, at, "an object with asset");
    if (!fields) {
      ok = false;
      continue;
    }
    checkKeys(issues, fields, ["asset"], at);
    const asset = fields.asset;
    if (typeof asset !== "string" || !assetNames.includes(asset)) {
      issues.add(`${at}.asset`, `Invalid asset for '${at}': ${unknownAssetMessage(asset, assetNames)}`);
      ok = false;
      continue;
    }
    if (!(asset in marketParams)) {
      issues.add(`${at}.asset`, `'${asset}' has no entry in 'markets'; expected markets.${asset} with mmr and imr`);
      ok = false;
      continue;
    }
    result[marketId] = { asset };
  }
  return ok ? result : undefined;
}

function readRisk(issues: IssueList, value: unknown): RiskParams {
  const d = DEFAULT_RISK_PARAMS;
  const object = readObject(issues, value, "risk", "an object of risk parameters", false);
  if (!object) return { ...d, thresholds: { ...d.thresholds } };
  checkKeys(issues, object, RISK_KEYS, "risk");
  const thresholdsObject = readObject(issues, object.thresholds, "risk.thresholds", "an object of thresholds", false) ?? {};
  checkKeys(issues, thresholdsObject, THRESHOLD_KEYS, "risk.thresholds");
  const dt = d.thresholds;
  const thresholds = {
    raiseMarginsCoverage:
      readDecimal(issues, thresholdsObject.raiseMarginsCoverage, "risk.thresholds.raiseMarginsCoverage", { above: "0", default: dt.raiseMarginsCoverage }) ??
      dt.raiseMarginsCoverage,
    reduceLeverageCoverage:
      readDecimal(issues, thresholdsObject.reduceLeverageCoverage, "risk.thresholds.reduceLeverageCoverage", { above: "0", default: dt.reduceLeverageCoverage }) ??
      dt.reduceLeverageCoverage,
    liquidatableNotionalShare:
      readDecimal(issues, thresholdsObject.liquidatableNotionalShare, "risk.thresholds.liquidatableNotionalShare", {
        above: "0",
        max: "1",
        default: dt.liquidatableNotionalShare,
      }) ?? dt.liquidatableNotionalShare,
    hysteresis:
      readDecimal(issues, thresholdsObject.hysteresis, "risk.thresholds.hysteresis", { min: "0", below: "1", default: dt.hysteresis }) ?? dt.hysteresis,
  };
  if (new Decimal(thresholds.reduceLeverageCoverage).gt(thresholds.raiseMarginsCoverage)) {
    issues.add(
      "risk.thresholds.reduceLeverageCoverage",
      `${thresholds.reduceLeverageCoverage} > raiseMarginsCoverage ${thresholds.raiseMarginsCoverage}; expected reduceLeverageCoverage ≤ raiseMarginsCoverage`,
    );
  }
  return {
    zMaintenance: readDecimal(issues, object.zMaintenance, "risk.zMaintenance", { above: "0", default: d.zMaintenance }) ?? d.zMaintenance,
    zInitial: readDecimal(issues, object.zInitial, "risk.zInitial", { above: "0", default: d.zInitial }) ?? d.zInitial,
    maxOracleDeviation:
      readDecimal(issues, object.maxOracleDeviation, "risk.maxOracleDeviation", { above: "0", below: "1", default: d.maxOracleDeviation }) ??
      d.maxOracleDeviation,
    yearSeconds: readInteger(issues, object.yearSeconds, "risk.yearSeconds", { min: 1, default: d.yearSeconds, what: "a whole number of seconds" }) ?? d.yearSeconds,
    ewmaHalfLifeSeconds:
      readNumber(issues, object.ewmaHalfLifeSeconds, "risk.ewmaHalfLifeSeconds", { min: Number.MIN_VALUE, default: d.ewmaHalfLifeSeconds, what: "a positive number of seconds" }) ??
      d.ewmaHalfLifeSeconds,
    gridSeconds: readInteger(issues, object.gridSeconds, "risk.gridSeconds", { min: 1, default: d.gridSeconds, what: "a whole number of seconds" }) ?? d.gridSeconds,
    lagStepSeconds:
      readInteger(issues, object.lagStepSeconds, "risk.lagStepSeconds", { min: 0, max: 3600, default: d.lagStepSeconds, what: "a whole number of seconds (0 = the exact lag)" }) ??
      d.lagStepSeconds,
    marginMode: readEnum(issues, object.marginMode, "risk.marginMode", ["standard", "portfolio"] as const, d.marginMode) ?? d.marginMode,
    portfolioFloor: readDecimal(issues, object.portfolioFloor, "risk.portfolioFloor", { min: "0", max: "1", default: d.portfolioFloor }) ?? d.portfolioFloor,
    cascadeMaxRounds:
      readInteger(issues, object.cascadeMaxRounds, "risk.cascadeMaxRounds", { min: 1, max: 1000, default: d.cascadeMaxRounds, what: "a whole number of rounds" }) ??
      d.cascadeMaxRounds,
    thresholds,
  };
}

function readDatabase(issues: IssueList, value: unknown): DatabaseConfig {
  const object = readObject(issues, value, "database", "an object with kind and directory/connectionString", false);
  if (!object || value === undefined) return { ...DEFAULT_DATABASE };
  const kind = readEnum(issues, object.kind, "database.kind", ["pglite", "postgres"] as const);
  if (kind === "postgres") {
    checkKeys(issues, object, ["kind", "connectionString"], "database");
    const connectionString = object.connectionString;
    if (typeof connectionString !== "string" || !/^postgres(ql)?:\/\//.test(connectionString)) {
      issues.add(
        "database.connectionString",
        `${typeof connectionString === "string" ? `'${redactUrl(connectionString)}'` : show(connectionString)} is not a Postgres URL; expected postgresql://user:password@host:port/db`,
      );
      return { ...DEFAULT_DATABASE };
    }
    return { kind, connectionString };
  }
  if (kind === "pglite") {
    checkKeys(issues, object, ["kind", "directory"], "database");
    const directory = object.directory === undefined ? DEFAULT_PGLITE_DIRECTORY : object.directory;
    if (typeof directory !== "string" || directory.trim() === "") {
      issues.add("database.directory", `${show(directory)} is not a directory; expected a directory path for PGlite`);
      return { ...DEFAULT_DATABASE };
    }
    if (directory.startsWith("memory://")) {
      issues.add("database.directory", `'${directory}' crashes 'ponder start' on ponder 0.16.10; expected a directory path (use a temp directory)`);
    }
    return { kind, directory };
  }
  return { ...DEFAULT_DATABASE };
}

function readApi(issues: IssueList, value: unknown): { port: number } {
  const object = readObject(issues, value, "api", "an object with port", false);
  if (!object) return { port: DEFAULT_API_PORT };
  checkKeys(issues, object, ["port"], "api");
  const port = readInteger(issues, object.port, "api.port", { min: 1, max: 65_535, default: DEFAULT_API_PORT, what: "a TCP port" });
  return { port: port ?? DEFAULT_API_PORT };
}
