/**
 * The reference MarginVault and its PriceFeeds as a protocol adapter (README.md beside this file):
 * Ponder contracts from the config's `vault` and `feeds`, the tables in schema.ts, handlers.ts /
 * priceFeedHandlers.ts → pure mappers (mappers/) → write.ts. The ABIs are the committed ones of
 * contracts/ in abis/ (shared with the devnet and the tests).
 */
import { marginVaultAbi, priceFeedAbi } from "../../abis/index.js";
import { toPonderInput } from "../../config/toPonderInput.js";
import type { XmarginConfig } from "../../config/types.js";
import type { ProtocolAdapter } from "../types.js";

function marginVaultPonderContracts(config: XmarginConfig) {
  const input = toPonderInput(config);
  return {
    MarginVault: { abi: marginVaultAbi, chain: input.vaults },
    PriceFeed: { abi: priceFeedAbi, chain: input.feeds },
  };
}

export const marginVaultAdapter = {
  id: "marginVault",
  description: "xmargin's reference MarginVault (collateral, debt, perps, insurance) and the PriceFeeds its config names",
  ponderContracts: marginVaultPonderContracts,
} satisfies ProtocolAdapter;
