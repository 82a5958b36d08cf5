/**
 * The reference MarginVault and its PriceFeeds as a protocol adapter. The vault's mappers and
 * handlers stay where they were (indexer/, abis/): this entry only builds its Ponder contracts,
 * exactly as ponder.config.ts did before the registry existed.
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
