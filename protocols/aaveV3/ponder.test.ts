import { describe, expect, it } from "vitest";
import { exampleRawAaveMarket, exampleRawConfig } from "../../config/fixtures.js";
import { validateConfig } from "../../config/validateConfig.js";
import { ponderBlocks } from "../registry.js";
import { aaveV3PonderBlocks } from "./ponder.js";

const market = exampleRawAaveMarket;
const WSTETH = "0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0";

describe("aaveV3PonderBlocks", () => {
  it("default: the entry exists (its handler registers) with no chain when nothing is read", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = market();
    expect(aaveV3PonderBlocks(validateConfig(raw))).toEqual({ AavePriceReads: { chain: {} } });
  });

  it("a chain whose market reads prices gets the market's start block, every N blocks, and the assets (in Ponder's build id)", () => {
    const raw = exampleRawConfig();
    raw.chains.l1.aaveV3 = { ...market(), priceReads: { everyBlocks: 3, assets: [WSTETH] } };
    raw.chains.l2a.aaveV3 = { ...market(), startBlock: 5 };
    const blocks = ponderBlocks(validateConfig(raw));
    expect(blocks).toEqual({ AavePriceReads: { chain: { l1: { startBlock: 16291127, interval: 3, readAssets: [WSTETH] } } } });
  });
});
