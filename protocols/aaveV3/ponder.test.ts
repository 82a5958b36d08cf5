import { describe, expect, it } from "vitest";
import { exampleRawConfig } from "../../config/fixtures.js";
import { validateConfig } from "../../config/validateConfig.js";
import { ponderBlocks } from "../registry.js";
import { aaveV3PonderBlocks } from "./ponder.js";

const market = () => ({
  poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
  pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
  poolConfigurator: "0x64b761D848206f447Fe2dd461b0c635Ec39EbB27",
  oracle: "0x54586bE62E3c3580375aE3723C145253060Ca0C2",
  startBlock: 16291127,
  reserves: [],
});
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
