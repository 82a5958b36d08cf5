/** Typed errors of the devnet: a `code`, `details`, and a message that says what would be right. */
import { XmarginError } from "../errors.js";

export class DevnetError extends XmarginError {
  override name = "DevnetError";
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { details, cause: options?.cause });
  }
}

export class AnvilStartError extends DevnetError {
  override name = "AnvilStartError";
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super("ANVIL_START_FAILED", message, details, options);
  }
}

export class RpcError extends DevnetError {
  override name = "RpcError";
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super("RPC_ERROR", message, details, options);
  }
}

export class DeployError extends DevnetError {
  override name = "DeployError";
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super("DEPLOY_FAILED", message, details, options);
  }
}

