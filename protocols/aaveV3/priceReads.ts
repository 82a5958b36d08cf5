/**
 * `priceReads`: which assets' Aave prices the indexer READS (AaveOracle.getAssetPrice at a block)
 * instead of following their price source's AnswerUpdated events. Needed where AaveOracle's source
 * is an adapter that emits no event (wstETH = ratio × ETH/USD, capped stablecoin adapters…): its
 * price moves while no log says so. Pure: parsing (with the config's problem style) and the
 * block schedule; the block handler is in handlers.ts, the Ponder source in ponder.ts.
 *
 * Default (no `priceReads`): nothing is read; every asset is priced by its source's events, which
 * is exact for plain Chainlink aggregators and nothing else.
 */
import { BaseError, ContractFunctionRevertedError, ContractFunctionZeroDataError, getAddress, isAddress, type Address } from "viem";

export interface AavePriceReadsConfig {
  /** Read every N blocks from the market's startBlock (1 = every block: exact at every block). */
  everyBlocks: number;
  /** The assets (reserve underlyings, checksummed) whose price is read; their sources' events are ignored. */
  assets: Address[];
}

/** Longest schedule accepted: ~2 weeks of 12 s blocks; anything slower is not a price feed. */
export const MAX_EVERY_BLOCKS = 100_000;

/**
 * Validate `priceReads` (parsed JSON). `assets` entries are addresses or symbols of `reserves`;
 * when reserves are listed, every asset must be one of them. Problems are pushed in the config's
 * "'key' is …; expected …" form and the value returned is undefined when any was found.
 * @example parsePriceReads({ everyBlocks: 1, assets: ["wstETH"] }, reserves, problems)
 */
export function parsePriceReads(input: unknown, reserves: readonly { symbol: string; underlying: Address }[], problems: string[]): AavePriceReadsConfig | undefined {
  if (input === undefined) return undefined;
  const before = problems.length;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    problems.push(`'priceReads' is ${JSON.stringify(input)}; expected { "everyBlocks": 1, "assets": ["<reserve symbol or underlying address>", …] }`);
    return undefined;
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== "everyBlocks" && k !== "assets" && k !== "$comment") problems.push(`'priceReads.${k}' is not a known key; expected everyBlocks, assets ($comment allowed)`);
  const everyBlocks = o.everyBlocks === undefined ? 1 : o.everyBlocks;
  if (typeof everyBlocks !== "number" || !Number.isInteger(everyBlocks) || everyBlocks < 1 || everyBlocks > MAX_EVERY_BLOCKS) {
    problems.push(`'priceReads.everyBlocks' is ${JSON.stringify(o.everyBlocks)}; expected a whole number of blocks 1–${MAX_EVERY_BLOCKS} (1 = read at every block, the only exact choice)`);
  }
  const assets: Address[] = [];
  if (!Array.isArray(o.assets) || o.assets.length === 0) {
    problems.push(`'priceReads.assets' is ${JSON.stringify(o.assets)}; expected a non-empty list of reserve symbols or underlying addresses (leave 'priceReads' out to read nothing)`);
  } else {
    const bySymbol = new Map(reserves.map((r) => [r.symbol, r.underlying]));
    const listed = new Set(reserves.map((r) => r.underlying));
    o.assets.forEach((a: unknown, i) => {
      const at = `priceReads.assets[${i}]`;
      let asset: Address | undefined;
      if (typeof a === "string" && isAddress(a, { strict: false })) {
        asset = getAddress(a);
        if (reserves.length > 0 && !listed.has(asset)) {
          problems.push(`'${at}' is ${a}, which is not the underlying of any listed reserve (${reserves.map((r) => `${r.symbol} ${r.underlying}`).join(", ")}); expected one of them`);
          return;
        }
      } else if (typeof a === "string" && bySymbol.has(a)) {
        asset = bySymbol.get(a)!;
      } else {
        const symbols = reserves.map((r) => r.symbol);
        problems.push(`'${at}' is ${JSON.stringify(a)}; expected an underlying address${symbols.length > 0 ? ` or a listed reserve's symbol (${symbols.join(", ")})` : " (list the market's reserves to name assets by symbol)"}`);
        return;
      }
      if (assets.includes(asset)) problems.push(`'${at}' is ${JSON.stringify(a)}, which names ${asset} a second time; expected each asset once`);
      else assets.push(asset);
    });
  }
  return problems.length === before ? { everyBlocks: everyBlocks as number, assets } : undefined;
}

/** Whether `asset`'s price is read (and its source's events ignored) under `reads`. */
export function isPriceRead(reads: AavePriceReadsConfig | undefined, asset: Address): boolean {
  return reads !== undefined && reads.assets.includes(getAddress(asset));
}

/**
 * Whether a failed getAssetPrice read means "AaveOracle has no price for the asset at this
 * block" (so nothing is written): the call reverted (no source and no fallback oracle) or the
 * oracle had no code yet (reads start at the market's startBlock, before its deployment). Any
 * other failure (RPC, timeouts) is not this and must fail the handler so Ponder retries it.
 */
export function isNoPriceAtBlock(error: unknown): boolean {
  return error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError || e instanceof ContractFunctionZeroDataError) !== null;
}
