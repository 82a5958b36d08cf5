/**
 * Argument checks shared by resolvers: each turns a bad value into a coded error that says what
 * was got and what is expected.
 */
import type { Hex } from "../risk/types.js";
import { apiError } from "./errors.js";
import { API_LIMITS } from "./limits.js";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const DECIMAL_RE = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** "0xAbC…" (40 hex digits, any case) → lowercase Hex, the form the store keeps. */
export function parseAddress(value: string, argName = "address"): Hex {
  if (typeof value !== "string" || !ADDRESS_RE.test(value)) {
    const shown = typeof value === "string" ? (value.length > 60 ? `${value.slice(0, 60)}…` : value) : String(value);
    throw apiError(
      "BAD_ADDRESS",
      `Address "${shown}" in '${argName}' is invalid; expected 0x followed by 40 hex digits.`,
      { argument: argName },
    );
  }
  return value.toLowerCase() as Hex;
}

/** A page size: 1 ≤ first ≤ max, else LIMIT_EXCEEDED (above) or LIMIT_EXCEEDED (below 1). */
export function parseFirst(value: number | null | undefined, fallback: number, max = API_LIMITS.maxPageSize): number {
  const first = value ?? fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw apiError("LIMIT_EXCEEDED", `'first' is ${first}; expected an integer from 1 to ${max}.`, {
      argument: "first",
      max,
    });
  }
  return first;
}

/** A unix time in seconds: a non-negative integer, not later than `now` + `slackSeconds`. */
export function parseTime(value: number, argName: string, now: number, slackSeconds = 300): number {
  if (!Number.isInteger(value) || value < 0) {
    throw apiError("BAD_TIME", `'${argName}' is ${value}; expected a unix time in seconds ≥ 0.`, { argument: argName });
  }
  if (value > now + slackSeconds) {
    throw apiError(
      "BAD_TIME",
      `'${argName}' is ${value}, which is in the future (now is ${now}); expected a unix time ≤ ${now}.`,
      { argument: argName, now },
    );
  }
  return value;
}

/** A history window: from ≤ to, bucket > 0, at most `maxBuckets` buckets. */
export function parseWindow(
  from: number,
  to: number,
  bucketSeconds: number,
  now: number,
  maxBuckets = API_LIMITS.maxHistoryBuckets,
): { from: number; to: number; bucketSeconds: number } {
  parseTime(from, "from", now);
  parseTime(to, "to", now);
  if (from > to) {
    throw apiError("BAD_TIME", `'from' (${from}) is after 'to' (${to}); expected from ≤ to.`);
  }
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1) {
    throw apiError("BAD_TIME", `'bucketSeconds' is ${bucketSeconds}; expected an integer ≥ 1.`);
  }
  const buckets = Math.floor((to - from) / bucketSeconds) + 1;
  if (buckets > maxBuckets) {
    throw apiError(
      "LIMIT_EXCEEDED",
      `The window asks for ${buckets} buckets; at most ${maxBuckets} are served. Use bucketSeconds ≥ ${Math.ceil(
        (to - from) / (maxBuckets - 1),
      )} or a shorter window.`,
      { buckets, maxBuckets },
    );
  }
  return { from, to, bucketSeconds };
}

/** A decimal string ("0.95", "-0.35") → the same string; BAD_DECIMAL otherwise. */
export function parseDecimalString(value: string, argName: string): string {
  if (typeof value !== "string" || !DECIMAL_RE.test(value.trim()) || value.trim().length > 80) {
    throw apiError("BAD_DECIMAL", `'${argName}' is "${String(value).slice(0, 80)}"; expected a decimal number such as "1.05".`, {
      argument: argName,
    });
  }
  return value.trim();
}

/** A positive health-factor threshold as a float for ranking (ranking is float; tiers are exact). */
export function parseHealthFactorThreshold(value: string | null | undefined, fallback: number, argName: string): number {
  if (value === null || value === undefined) return fallback;
  const n = Number(parseDecimalString(value, argName));
  if (!Number.isFinite(n) || n <= 0 || n > 1e6) {
    throw apiError("BAD_DECIMAL", `'${argName}' is "${value}"; expected a health factor > 0 and ≤ 1000000, e.g. "1.1".`, {
      argument: argName,
    });
  }
  return n;
}
