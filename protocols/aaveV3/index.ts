/** The Aave v3 (3.0 line) adapter: see README.md. */
import type { ProtocolAdapter } from "../types.js";
import { createAaveDomainSource } from "./domainSource.js";
import { aaveV3PonderContracts } from "./ponder.js";

export const aaveV3Adapter = {
  id: "aaveV3",
  description: "Aave v3 markets named by a chain's `aaveV3` config: reserves, indexes, scaled balances, collateral flags, eMode, oracle prices, liquidations",
  ponderContracts: aaveV3PonderContracts,
  domainSource: createAaveDomainSource,
} satisfies ProtocolAdapter;
