/** Typed errors of the Aave v3 adapter: a stable `code`, `details`, and a message saying what would be right. */
import { XmarginError } from "../../errors.js";

export class AaveError extends XmarginError {
  override name = "AaveError";
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { details, cause: options?.cause });
  }
}

/** An artifact is missing, malformed, or its bytecode still holds an unlinked library placeholder. */
export class AaveArtifactError extends AaveError {
  override name = "AaveArtifactError";
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("AAVE_ARTIFACT", message, details, options);
  }
}

/** A market deployment step was refused, reverted, or produced an unexpected address. */
export class AaveDeployError extends AaveError {
  override name = "AaveDeployError";
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("AAVE_DEPLOY_FAILED", message, details, options);
  }
}

/**
 * The contract would revert here: a uint256 overflow, a division by zero, or a timestamp before
 * the last index update. The math module throws instead of returning a number the chain never would.
 */
export class AaveMathError extends AaveError {
  override name = "AaveMathError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("AAVE_MATH", message, details);
  }
}

/** Events folded out of order or against a state they cannot apply to (a missed event, a wrong start block). */
export class AaveLedgerError extends AaveError {
  override name = "AaveLedgerError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("AAVE_LEDGER", message, details);
  }
}

/** The Aave store rows cannot be read or do not form a market (a missing decimals row, a query that failed). */
export class AaveStoreError extends AaveError {
  override name = "AaveStoreError";
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("AAVE_STORE", message, details, options);
  }
}
