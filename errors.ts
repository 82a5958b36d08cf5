/**
 * The base of every error xmargin raises on purpose: a short message that says what is wrong and
 * what would be right, a stable `code` the API and logs can key on, structured `details`, and a
 * cause chain (viem's BaseError shape).
 */
export class XmarginError extends Error {
  override name = "XmarginError";
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True for errors raised on purpose by xmargin (safe to show; everything else is masked). */
export function isXmarginError(error: unknown): error is XmarginError {
  return error instanceof XmarginError;
}
