/**
 * The configuration of one Aave v3 market on one chain (the adapter's config schema): the
 * contracts to index from `startBlock` and, optionally, the reserves expected there. Validated
 * once; every problem is listed in one error.
 */
import { getAddress, isAddress, type Address } from "viem";
import { AaveError } from "./errors.js";
import { parsePriceReads, type AavePriceReadsConfig } from "./priceReads.js";

export type { AavePriceReadsConfig } from "./priceReads.js";

export interface AaveReserveConfig {
  symbol: string;
  underlying: Address;
  decimals: number;
  aToken: Address;
  variableDebtToken: Address;
  /** AaveOracle.getSourceOfAsset(underlying): an aggregator or an adapter (see README.md, prices). */
  priceSource: Address;
}

export interface AaveMarketConfig {
  protocol: "aaveV3";
  chain: string;
  chainId: number;
  /** Name of the market in @bgd-labs/aave-address-book, when it comes from there. */
  addressBookMarket?: string;
  poolAddressesProvider: Address;
  pool: Address;
  poolConfigurator: Address;
  oracle: Address;
  dataProvider?: Address;
  /** First block to index: at or before the PoolConfigurator's first ReserveInitialized. */
  startBlock: number;
  /** Reserves expected (documentation and cross-checks); the indexer learns them from ReserveInitialized. */
  reserves: AaveReserveConfig[];
  /**
   * Seconds a liquidator needs to act on this market's own chain (finality + execution, no
   * messaging): the horizon of xmargin's haircut view. Absent: the chain's
   * liquidationLatencySeconds (an upper bound, so the view errs on the safe side).
   */
  finalitySeconds?: number;
  /**
   * Assets whose price is read (AaveOracle.getAssetPrice every `everyBlocks` blocks) instead of
   * followed through their source's AnswerUpdated events: sources that emit no events (adapters).
   * Absent: nothing is read (see priceReads.ts).
   */
  priceReads?: AavePriceReadsConfig;
}

export class AaveConfigError extends AaveError {
  override name = "AaveConfigError";
  constructor(message: string, readonly problems: string[]) {
    super("AAVE_CONFIG_INVALID", message, { problems });
  }
}

const ADDRESS_KEYS = ["poolAddressesProvider", "pool", "poolConfigurator", "oracle"] as const;
const RESERVE_ADDRESS_KEYS = ["underlying", "aToken", "variableDebtToken", "priceSource"] as const;

/**
 * Validate an Aave market config (parsed JSON); returns it with checksummed addresses.
 * @example parseAaveMarketConfig(JSON.parse(readFileSync("protocols/aaveV3/examples/base.json", "utf8")))
 */
export function parseAaveMarketConfig(input: unknown, where = "Aave market config"): AaveMarketConfig {
  const problems: string[] = [];
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new AaveConfigError(`${where}: expected an object, got ${Array.isArray(input) ? "an array" : typeof input}`, ["not an object"]);
  }
  const o = input as Record<string, unknown>;
  const address = (v: unknown, key: string): Address => {
    if (typeof v !== "string" || !isAddress(v, { strict: false })) {
      problems.push(`'${key}' is ${JSON.stringify(v)}; expected a 0x-prefixed 20-byte address`);
      return "0x0000000000000000000000000000000000000000";
    }
    return getAddress(v);
  };
  if (o.protocol !== "aaveV3") problems.push(`'protocol' is ${JSON.stringify(o.protocol)}; expected "aaveV3"`);
  if (typeof o.chain !== "string" || o.chain === "") problems.push(`'chain' is ${JSON.stringify(o.chain)}; expected a chain name`);
  if (!Number.isSafeInteger(o.chainId) || (o.chainId as number) <= 0) problems.push(`'chainId' is ${JSON.stringify(o.chainId)}; expected a positive integer`);
  if (!Number.isSafeInteger(o.startBlock) || (o.startBlock as number) < 0) problems.push(`'startBlock' is ${JSON.stringify(o.startBlock)}; expected a block number ≥ 0`);
  const addresses = Object.fromEntries(ADDRESS_KEYS.map((k) => [k, address(o[k], k)])) as Record<(typeof ADDRESS_KEYS)[number], Address>;
  const dataProvider = o.dataProvider === undefined ? undefined : address(o.dataProvider, "dataProvider");
  const reserves: AaveReserveConfig[] = [];
  if (!Array.isArray(o.reserves)) problems.push(`'reserves' is ${JSON.stringify(o.reserves)}; expected a list (it may be empty)`);
  else {
    o.reserves.forEach((r: unknown, i) => {
      const rr = (typeof r === "object" && r !== null ? r : {}) as Record<string, unknown>;
      const at = `reserves[${i}]`;
      if (typeof rr.symbol !== "string" || rr.symbol === "") problems.push(`'${at}.symbol' is ${JSON.stringify(rr.symbol)}; expected a symbol`);
      if (!Number.isInteger(rr.decimals) || (rr.decimals as number) < 0 || (rr.decimals as number) > 77) {
        problems.push(`'${at}.decimals' is ${JSON.stringify(rr.decimals)}; expected an integer 0–77`);
      }
      const a = Object.fromEntries(RESERVE_ADDRESS_KEYS.map((k) => [k, address(rr[k], `${at}.${k}`)])) as Record<(typeof RESERVE_ADDRESS_KEYS)[number], Address>;
      reserves.push({ symbol: String(rr.symbol), decimals: rr.decimals as number, ...a });
    });
  }
  if (o.finalitySeconds !== undefined && (typeof o.finalitySeconds !== "number" || !Number.isInteger(o.finalitySeconds) || o.finalitySeconds < 0 || o.finalitySeconds > 86_400)) {
    problems.push(`'finalitySeconds' is ${JSON.stringify(o.finalitySeconds)}; expected whole seconds 0–86400 (the chain's finality + execution)`);
  }
  const priceReads = parsePriceReads(o.priceReads, reserves, problems);
  const known = new Set(["$comment", "protocol", "chain", "chainId", "addressBookMarket", "startBlock", "dataProvider", "reserves", "finalitySeconds", "priceReads", ...ADDRESS_KEYS]);
  for (const k of Object.keys(o)) if (!known.has(k)) problems.push(`unknown key '${k}'; expected one of ${[...known].join(", ")}`);
  if (problems.length > 0) throw new AaveConfigError(`${where} is invalid:\n- ${problems.join("\n- ")}`, problems);
  return {
    protocol: "aaveV3",
    chain: o.chain as string,
    chainId: o.chainId as number,
    ...(typeof o.addressBookMarket === "string" ? { addressBookMarket: o.addressBookMarket } : {}),
    ...addresses,
    ...(dataProvider ? { dataProvider } : {}),
    startBlock: o.startBlock as number,
    reserves,
    ...(typeof o.finalitySeconds === "number" ? { finalitySeconds: o.finalitySeconds } : {}),
    ...(priceReads !== undefined ? { priceReads } : {}),
  };
}
