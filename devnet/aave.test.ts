import { describe, expect, it } from "vitest";
import { exampleRawConfig } from "../config/fixtures.js";
import { validateConfig } from "../config/validateConfig.js";
import { AAVE_DEVNET_ADAPTER_PRICED, aaveConfigEntry, aavePriceReadsEntry, type DevnetAaveMarket, type DevnetAaveReserve } from "./aave.js";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;
const reserve = (symbol: string, n: number, adapter: boolean): DevnetAaveReserve => ({
  symbol,
  asset: symbol === "WBTC" ? "BTC" : symbol === "WETH" ? "ETH" : "USDC",
  decimals: 8,
  underlying: A(n),
  aToken: A(n + 1),
  variableDebtToken: A(n + 2),
  priceSource: adapter ? A(n + 3) : A(n + 4),
  ...(adapter ? { priceAdapter: { address: A(n + 3), underlyingFeed: A(n + 4) } } : {}),
});

describe("devnet Aave config entry", () => {
  it("reads every block the reserves priced by an adapter (WBTC), follows the rest; none → no priceReads key", () => {
    expect(AAVE_DEVNET_ADAPTER_PRICED).toEqual(["WBTC"]);
    const reserves = [reserve("USDC", 0x100, false), reserve("WETH", 0x200, false), reserve("WBTC", 0x300, true)];
    expect(aavePriceReadsEntry({ reserves })).toEqual({ priceReads: { everyBlocks: 1, assets: ["WBTC"] } });
    expect(aavePriceReadsEntry({ reserves: reserves.slice(0, 2) })).toEqual({});
  });

  it("the entry is a valid aaveV3 config whose priceReads resolves to WBTC's underlying", () => {
    const market: DevnetAaveMarket = {
      startBlock: 10,
      poolAddressesProvider: A(1),
      pool: A(2),
      poolConfigurator: A(3),
      oracle: A(4),
      dataProvider: A(5),
      reserves: [reserve("USDC", 0x100, false), reserve("WBTC", 0x300, true)],
    };
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = aaveConfigEntry(market);
    expect(validateConfig(raw).chains.l1!.aaveV3!.priceReads).toEqual({ everyBlocks: 1, assets: ["0x0000000000000000000000000000000000000300"] });
  });
});
