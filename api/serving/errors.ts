/** Errors of the serving worker and its supervisor. */
import { XmarginError } from "../../errors.js";

export type ServingErrorCode =
  | "SERVING_SQL_TIMEOUT"
  | "SERVING_SQL_FAILED"
  | "SERVING_CLOSED"
  | "SERVING_BAD_SETTING"
  | "SERVING_LISTEN_FAILED";

export class ServingError extends XmarginError {
  override name = "ServingError";
  declare readonly code: ServingErrorCode;

  constructor(code: ServingErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { details, cause });
  }
}
