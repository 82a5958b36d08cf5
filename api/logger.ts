/**
 * The API's yoga logger: client mistakes (errors with a known code) are not logged (they are the
 * client's answer, not the operator's problem); everything else is logged with URLs redacted,
 * since RPC URLs often carry API keys.
 */
import type { YogaLogger } from "graphql-yoga";
import { redactUrlsInText } from "../config/redactUrl.js";
import { isGraphQLError } from "./errors.js";

function isClientError(value: unknown): boolean {
  let current: unknown = value;
  for (let i = 0; i < 5 && current; i++) {
    if (isGraphQLError(current)) {
      const code = current.extensions?.code;
      const status = (current.extensions?.http as { status?: number } | undefined)?.status;
      if ((typeof code === "string" && code !== "INTERNAL") || (status !== undefined && status < 500)) return true;
      current = current.originalError;
      continue;
    }
    const code = (current as { code?: unknown }).code;
    return typeof code === "string" && /^(BAD_|LIMIT_EXCEEDED|NOT_FOUND|NOT_READY|BOOK_NOT_READY|BOOK_TOO_MANY_BUCKETS|BOOK_INVALID_RANGE|BOOK_INVALID_CURSOR|BOOK_ABORTED)/.test(code);
  }
  return false;
}

function show(value: unknown): unknown {
  if (typeof value === "string") return redactUrlsInText(value);
  if (value instanceof Error) return redactUrlsInText(value.stack ?? `${value.name}: ${value.message}`);
  return value;
}

export function createApiLogger(level: "debug" | "info" | "warn" | "error", sink: Pick<Console, "debug" | "info" | "warn" | "error"> = console): YogaLogger {
  const order = ["debug", "info", "warn", "error"];
  const enabled = (l: string) => order.indexOf(l) >= order.indexOf(level);
  const emit = (l: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => {
    if (!enabled(l)) return;
    if (args.some(isClientError)) return;
    sink[l]("[xmargin api]", ...args.map(show));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
