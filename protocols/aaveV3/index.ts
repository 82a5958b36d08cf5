/** The Aave v3 (3.0 line) adapter: see README.md. */
import type { ProtocolAdapter } from "../types.js";
import { createAaveDomainSource } from "./domainSource.js";
import { aaveV3PonderBlocks, aaveV3PonderContracts } from "./ponder.js";

export const aaveV3Adapter = {
  id: "aaveV3",
  description: "Aave v3 markets named by a chain's `aaveV3` config: reserves, indexes, scaled balances, collateral flags, eMode, oracle prices (followed, or read every N blocks for `priceReads` assets), liquidations",
  ponderContracts: aaveV3PonderContracts,
  ponderBlocks: aaveV3PonderBlocks,
  domainSource: createAaveDomainSource,
} satisfies ProtocolAdapter;
