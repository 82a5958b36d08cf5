/** Errors of the risk book: XmarginError subclasses with a stable code and the details to act on. */
import { XmarginError } from "../../errors.js";

export type BookErrorCode =
  | "BOOK_INVALID_SCHEMA"
  | "BOOK_STORE_QUERY_FAILED"
  | "BOOK_INVALID_CHECKPOINT"
  | "BOOK_INVALID_ROW"
  | "BOOK_NOT_READY"
  | "BOOK_TOO_MANY_BUCKETS"
  | "BOOK_INVALID_RANGE"
  | "BOOK_INVALID_CURSOR"
  | "BOOK_STORE_TIMEOUT"
  | "BOOK_ABORTED";

export class BookError extends XmarginError {
  override name = "BookError";
  declare readonly code: BookErrorCode;

  constructor(code: BookErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { details, cause });
  }
}
