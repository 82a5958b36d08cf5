/** Errors the risk core raises for inputs that break its invariants (state that the config does not know). */
import { XmarginError } from "../errors.js";

/** An item or observation names a chain the risk config does not list. */
export class UnknownChainError extends XmarginError {
  override name = "UnknownChainError";
  constructor(chainId: number, known: number[], where: string) {
    super(
      "RISK_UNKNOWN_CHAIN",
      `${where} is on chain ${chainId}, which the risk config does not list; expected one of [${known.join(", ")}].`,
      { details: { chainId, known } },
    );
  }
}

/** An item names an asset the risk config does not list. */
export class UnknownAssetError extends XmarginError {
  override name = "UnknownAssetError";
  constructor(asset: string, known: string[], where: string) {
    super(
      "RISK_UNKNOWN_ASSET",
      `${where} holds asset '${asset}', which the risk config does not list; expected one of [${known.map((k) => `'${k}'`).join(", ")}].`,
      { details: { asset, known } },
    );
  }
}

/** A position names a market the risk config does not list. */
export class UnknownMarketError extends XmarginError {
  override name = "UnknownMarketError";
  constructor(key: string, known: string[], where: string) {
    super(
      "RISK_UNKNOWN_MARKET",
      `${where} is in market '${key}', which the risk config does not list; expected one of [${known.map((k) => `'${k}'`).join(", ")}] (keys are 'chainId:marketId').`,
      { details: { key, known } },
    );
  }
}

/** A numeric input outside its domain (negative amount, negative horizon, …). */
export class RiskInputError extends XmarginError {
  override name = "RiskInputError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("RISK_INPUT_INVALID", message, { details });
  }
}
