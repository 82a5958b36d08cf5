import { describe, expect, it } from "vitest";
import { AaveConfigError, parseAaveMarketConfig } from "./config.js";
import { AbiDecodingZeroDataError, ContractFunctionExecutionError, ContractFunctionRevertedError, ContractFunctionZeroDataError, HttpRequestError } from "viem";
import { isNoPriceAtBlock, isPriceRead, parsePriceReads } from "./priceReads.js";
import { aaveOracleAbi } from "./abis.js";
import { exampleRawAaveMarket } from "../../config/fixtures.js";

const WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const WSTETH = "0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0";
const reserves = [
  { symbol: "WETH", underlying: WETH },
  { symbol: "wstETH", underlying: WSTETH },
] as const;

const parse = (v: unknown, r: readonly { symbol: string; underlying: `0x${string}` }[] = reserves) => {
  const problems: string[] = [];
  return { value: parsePriceReads(v, r, problems), problems };
};

describe("priceReads", () => {
  it("absent: nothing is read", () => {
    expect(parse(undefined)).toEqual({ value: undefined, problems: [] });
    expect(isPriceRead(undefined, WETH)).toBe(false);
  });

  it("symbols and addresses (any case) resolve to checksummed underlyings; everyBlocks defaults to 1", () => {
    expect(parse({ assets: ["wstETH", WETH.toLowerCase()] })).toEqual({ value: { everyBlocks: 1, assets: [WSTETH, WETH] }, problems: [] });
    expect(parse({ everyBlocks: 5, assets: [WSTETH], $comment: "why" }).value).toEqual({ everyBlocks: 5, assets: [WSTETH] });
    expect(isPriceRead({ everyBlocks: 1, assets: [WSTETH] }, WSTETH.toLowerCase() as `0x${string}`)).toBe(true);
    expect(isPriceRead({ everyBlocks: 1, assets: [WSTETH] }, WETH)).toBe(false);
  });

  it("without listed reserves, addresses only", () => {
    expect(parse({ assets: [WSTETH] }, []).value).toEqual({ everyBlocks: 1, assets: [WSTETH] });
    expect(parse({ assets: ["wstETH"] }, []).problems).toEqual([`'priceReads.assets[0]' is "wstETH"; expected an underlying address (list the market's reserves to name assets by symbol)`]);
  });

  it("every problem, saying what is wrong and what would be right", () => {
    expect(parse([WETH]).problems).toEqual([`'priceReads' is ["${WETH}"]; expected { "everyBlocks": 1, "assets": ["<reserve symbol or underlying address>", …] }`]);
    const { value, problems } = parse({ everyBlocks: 0, assets: ["stETH", "0x0000000000000000000000000000000000000001", "WETH", WETH], colour: 1 });
    expect(value).toBeUndefined();
    expect(problems).toEqual([
      "'priceReads.colour' is not a known key; expected everyBlocks, assets ($comment allowed)",
      "'priceReads.everyBlocks' is 0; expected a whole number of blocks 1–100000 (1 = read at every block, the only exact choice)",
      `'priceReads.assets[0]' is "stETH"; expected an underlying address or a listed reserve's symbol (WETH, wstETH)`,
      `'priceReads.assets[1]' is 0x0000000000000000000000000000000000000001, which is not the underlying of any listed reserve (WETH ${WETH}, wstETH ${WSTETH}); expected one of them`,
      `'priceReads.assets[3]' is "${WETH}", which names ${WETH} a second time; expected each asset once`,
    ]);
    expect(parse({ everyBlocks: 1.5, assets: [] }).problems).toEqual([
      "'priceReads.everyBlocks' is 1.5; expected a whole number of blocks 1–100000 (1 = read at every block, the only exact choice)",
      "'priceReads.assets' is []; expected a non-empty list of reserve symbols or underlying addresses (leave 'priceReads' out to read nothing)",
    ]);
  });

  it("is part of the market config", () => {
    const market = { protocol: "aaveV3", chain: "ethereum", chainId: 1, ...exampleRawAaveMarket() };
    expect(parseAaveMarketConfig(market).priceReads).toBeUndefined();
    expect(parseAaveMarketConfig({ ...market, priceReads: { everyBlocks: 2, assets: [WSTETH.toLowerCase()] } }).priceReads).toEqual({ everyBlocks: 2, assets: [WSTETH] });
    expect(() => parseAaveMarketConfig({ ...market, priceReads: { assets: "wstETH" } })).toThrow(AaveConfigError);
  });

  it("isNoPriceAtBlock: a revert or an empty answer means no price; RPC failures do not (Ponder retries the handler)", () => {
    const wrap = (cause: Error) => new ContractFunctionExecutionError(cause as never, { abi: aaveOracleAbi, functionName: "getAssetPrice", args: [WETH], contractAddress: WETH });
    expect(isNoPriceAtBlock(wrap(new ContractFunctionRevertedError({ abi: aaveOracleAbi, functionName: "getAssetPrice", message: "execution reverted" })))).toBe(true);
    expect(isNoPriceAtBlock(wrap(new ContractFunctionZeroDataError({ functionName: "getAssetPrice" })))).toBe(true);
    expect(isNoPriceAtBlock(new AbiDecodingZeroDataError())).toBe(false);
    expect(isNoPriceAtBlock(wrap(new HttpRequestError({ url: "http://127.0.0.1:1", status: 502 })))).toBe(false);
    expect(isNoPriceAtBlock(new Error("socket hang up"))).toBe(false);
  });
});
