/**
 * Errors the API shows to clients: each has a stable `code` and a real HTTP status. Everything
 * else (bugs, database failures) is masked in production by `maskApiError`.
 */
import { GraphQLError } from "graphql/index.js";
import { createGraphQLError } from "graphql-yoga";
import { isXmarginError } from "../errors.js";

export type ApiErrorCode =
  | "BAD_ADDRESS"
  | "BAD_SCENARIO"
  | "BAD_TIME"
  | "BAD_DECIMAL"
  | "BAD_CURSOR"
  | "LIMIT_EXCEEDED"
  | "NOT_FOUND"
  | "DEPTH_LIMIT"
  | "ALIAS_LIMIT"
  | "DIRECTIVE_LIMIT"
  | "TOKEN_LIMIT"
  | "COST_LIMIT"
  | "BODY_LIMIT"
  | "TIMEOUT"
  | "NOT_READY"
  | "GRAPHQL_PARSE_FAILED"
  | "GRAPHQL_VALIDATION_FAILED"
  | "INTERNAL";

/**
 * GraphQLError by shape, not by class: inside Ponder, vite-node may load a second copy of
 * graphql-js for our modules while yoga uses Node's, so `instanceof` cannot be trusted here.
 */
export function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && (error instanceof GraphQLError || (error.name === "GraphQLError" && "extensions" in error));
}

/** HTTP status per code; what a client should do differs by status (fix the request vs retry). */
export const API_ERROR_STATUS: Record<ApiErrorCode, number> = {
  BAD_ADDRESS: 400,
  BAD_SCENARIO: 400,
  BAD_TIME: 400,
  BAD_DECIMAL: 400,
  BAD_CURSOR: 400,
  LIMIT_EXCEEDED: 400,
  NOT_FOUND: 404,
  DEPTH_LIMIT: 400,
  ALIAS_LIMIT: 400,
  DIRECTIVE_LIMIT: 400,
  TOKEN_LIMIT: 400,
  COST_LIMIT: 400,
  BODY_LIMIT: 413,
  TIMEOUT: 504,
  NOT_READY: 503,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  INTERNAL: 500,
};

/**
 * The HTTP side of a coded error, as the GraphQL-over-HTTP spec gives it per media type: a
 * client's mistake (4xx) is `spec: true`, so yoga answers it with its real status under
 * `Accept: application/graphql-response+json` and with 200 under `application/json` (where the
 * spec asks 200 for every well-formed request). Server conditions (503, 504, 500) keep their
 * status under both.
 */
export function httpOf(status: number): { status: number; spec?: true } {
  return status < 500 ? { status, spec: true } : { status };
}

/** A GraphQL error a client can act on: message + `extensions.code` + `extensions.http.status`. */
export function apiError(code: ApiErrorCode, message: string, details?: Record<string, unknown>): GraphQLError {
  return createGraphQLError(message, {
    extensions: { code, http: httpOf(API_ERROR_STATUS[code]), ...(details ? { details: jsonSafe(details) } : {}) },
  });
}

/** Codes raised by other modules (risk/scenarios.ts, api/book) that are safe to show as they are. */
const PASS_THROUGH: Record<string, ApiErrorCode> = {
  BAD_SCENARIO: "BAD_SCENARIO",
  BAD_ADDRESS: "BAD_ADDRESS",
  BAD_TIME: "BAD_TIME",
  BAD_CURSOR: "BAD_CURSOR",
  LIMIT_EXCEEDED: "LIMIT_EXCEEDED",
  NOT_FOUND: "NOT_FOUND",
  NOT_READY: "NOT_READY",
  BOOK_NOT_READY: "NOT_READY",
  BOOK_TOO_MANY_BUCKETS: "LIMIT_EXCEEDED",
  BOOK_INVALID_RANGE: "BAD_TIME",
  BOOK_INVALID_CURSOR: "BAD_CURSOR",
  BOOK_ABORTED: "TIMEOUT",
};

/**
 * Maps an error thrown in a resolver to what the client sees: our own GraphQL errors and known
 * xmargin errors keep their message and code; anything else becomes "Unexpected error." (code
 * INTERNAL) when `production`, or keeps its message (still code INTERNAL) in development.
 */
export function maskApiError(error: unknown, message: string, production: boolean): Error {
  const original = unwrap(error);
  if (isGraphQLError(original) && typeof original.extensions?.code === "string") {
    return isGraphQLError(error) && error.path ? withPath(original, error) : original;
  }
  if (hasCode(original) && PASS_THROUGH[original.code] !== undefined) {
    const code = PASS_THROUGH[original.code]!;
    const details = isXmarginError(original) ? original.details : undefined;
    return withPath(apiError(code, original.message, details), error);
  }
  if (isGraphQLError(error) && !error.path && (original === error || isGraphQLError(original))) {
    // Request-level errors graphql-js raised (validation, variable coercion) are the client's own.
    // Execution errors without a code (they carry a path) are the server's and fall through.
    return createGraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { ...error.extensions, code: "GRAPHQL_VALIDATION_FAILED", http: httpOf(400) },
    });
  }
  const shown = production ? message : original instanceof Error ? original.message : String(original);
  return withPath(
    createGraphQLError(shown, { extensions: { code: "INTERNAL", http: { status: 500 } } }),
    error,
  );
}

function unwrap(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 5; i++) {
    if (isGraphQLError(current) && current.originalError) current = current.originalError;
    else break;
  }
  return current;
}

function hasCode(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

function withPath(error: GraphQLError, from: unknown): GraphQLError {
  if (!isGraphQLError(from) || !from.path || error.path) return error;
  const located = createGraphQLError(error.message, {
    nodes: from.nodes,
    source: from.source,
    positions: from.positions,
    path: from.path,
    extensions: error.extensions,
  });
  // compiled execution (graphql-jit) reports where the field is as `locations`, without AST nodes
  if (located.locations === undefined && from.locations !== undefined && from.locations.length > 0) {
    (located as { locations?: GraphQLError["locations"] }).locations = from.locations;
  }
  return located;
}

/** Details go to JSON: bigints become decimal strings. */
function jsonSafe(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}
