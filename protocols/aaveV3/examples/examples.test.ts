/**
 * The example market configs for Ethereum, Arbitrum and Base: valid, and every address equal to
 * what @bgd-labs/aave-address-book (the registry Aave's contributors keep) lists for that market.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as addressBook from "@bgd-labs/aave-address-book";
import { describe, expect, test } from "vitest";
import { AaveConfigError, parseAaveMarketConfig } from "../config.js";

const DIR = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();

interface BookMarket {
  CHAIN_ID: number;
  POOL: string;
  POOL_CONFIGURATOR: string;
  ORACLE: string;
  POOL_ADDRESSES_PROVIDER: string;
  AAVE_PROTOCOL_DATA_PROVIDER: string;
  ASSETS: Record<string, { UNDERLYING: string; decimals: number; A_TOKEN: string; V_TOKEN: string; ORACLE: string }>;
}

describe("Aave v3 example configs", () => {
  test("there is one for Ethereum, Arbitrum and Base", () => {
    expect(files).toEqual(["arbitrum.json", "base.json", "ethereum.json"]);
  });

  for (const file of files) {
    test(`${file}: valid, and its addresses are the address book's`, () => {
      const config = parseAaveMarketConfig(JSON.parse(readFileSync(join(DIR, file), "utf8")), file);
      const book = (addressBook as unknown as Record<string, BookMarket>)[config.addressBookMarket!]!;
      expect(book, `${config.addressBookMarket} in the address book`).toBeDefined();
      expect(config.chainId).toBe(book.CHAIN_ID);
      expect({ provider: config.poolAddressesProvider, pool: config.pool, configurator: config.poolConfigurator, oracle: config.oracle, dataProvider: config.dataProvider }).toEqual({
        provider: book.POOL_ADDRESSES_PROVIDER,
        pool: book.POOL,
        configurator: book.POOL_CONFIGURATOR,
        oracle: book.ORACLE,
        dataProvider: book.AAVE_PROTOCOL_DATA_PROVIDER,
      });
      expect(config.reserves.length).toBeGreaterThanOrEqual(3);
      for (const r of config.reserves) {
        const a = book.ASSETS[r.symbol]!;
        expect(a, `${r.symbol} in ${config.addressBookMarket}`).toBeDefined();
        expect(r).toEqual({ symbol: r.symbol, underlying: a.UNDERLYING, decimals: a.decimals, aToken: a.A_TOKEN, variableDebtToken: a.V_TOKEN, priceSource: a.ORACLE });
      }
      expect(config.startBlock).toBeGreaterThan(0);
      // real sources (Chainlink proxies, Aave's adapters) emit no AnswerUpdated themselves: every reserve is read
      expect(config.priceReads).toEqual({ everyBlocks: 1, assets: config.reserves.map((r) => r.underlying) });
    });
  }

  test("behavior: a bad config lists every problem at once", () => {
    const good = JSON.parse(readFileSync(join(DIR, "base.json"), "utf8"));
    const bad = { ...good, protocol: "aave", pool: "0x12", startBlock: -1, reserves: [{ ...good.reserves[0], decimals: 6.5 }], priceReads: undefined, extra: 1 };
    let error: unknown;
    try {
      parseAaveMarketConfig(bad, "bad.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AaveConfigError);
    expect((error as AaveConfigError).problems).toEqual([
      `'protocol' is "aave"; expected "aaveV3"`,
      "'startBlock' is -1; expected a block number ≥ 0",
      `'pool' is "0x12"; expected a 0x-prefixed 20-byte address`,
      "'reserves[0].decimals' is 6.5; expected an integer 0–77",
      expect.stringContaining("unknown key 'extra'"),
    ]);
  });
});
