/** Errors of the margin-domain layer (risk/domains/): inputs the domain model cannot evaluate. */
import { XmarginError } from "../../errors.js";

/** A domain input breaks an invariant (a negative price, an unknown asset symbol, a missing category). */
export class DomainInputError extends XmarginError {
  override name = "DomainInputError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("RISK_DOMAIN_INPUT", message, { details });
  }
}
