/**
 * Small readers the config validator is built from. Each reads one value, records an issue
 * (path, what was got, what is expected) when it is wrong, and returns the value or undefined:
 * validation goes on past the first mistake so that every mistake is reported at once.
 */
import Decimal from "decimal.js";
import type { ConfigIssue } from "./ConfigError.js";
import { didYouMean } from "./didYouMean.js";
import { redactUrl } from "./redactUrl.js";
import type { Hex } from "./types.js";

export class IssueList {
  readonly issues: ConfigIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

/** How a got value reads in a message: strings quoted, objects by kind, absent as "missing". */
export function show(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (typeof value === "string") return `'${value.length > 80 ? `${value.slice(0, 77)}...` : value}'`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

export function list(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(", ")}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** An object, or an issue. `required: false` turns a missing value into `{}`. */
export function readObject(
  issues: IssueList,
  value: unknown,
  path: string,
  what: string,
  required = true,
): Record<string, unknown> | undefined {
  if (value === undefined && !required) return {};
  if (!isPlainObject(value)) {
    issues.add(path, value === undefined ? `missing; expected ${what}` : `${show(value)} is not ${what}; expected ${what}`);
    return undefined;
  }
  return value;
}

/** Flags keys that are not in `allowed`, with the closest allowed key as a hint. */
export function checkKeys(issues: IssueList, object: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const hint = didYouMean(key, allowed);
    issues.add(join(path, key), hint ? `unknown key; did you mean '${hint}'?` : `unknown key; expected one of ${list(allowed)}`);
  }
}

export interface IntegerRule {
  min?: number;
  max?: number;
  default?: number;
  /** the word in the message, e.g. "a block number" */
  what?: string;
}

export function readInteger(issues: IssueList, value: unknown, path: string, rule: IntegerRule = {}): number | undefined {
  const what = rule.what ?? "an integer";
  if (value === undefined && rule.default !== undefined) return rule.default;
  const range = rangeText(rule.min, rule.max);
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    issues.add(path, `${show(value)} is not ${what}; expected ${what}${range}`);
    return undefined;
  }
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    issues.add(path, `${value} is out of range; expected ${what}${range}`);
    return undefined;
  }
  return value;
}

/** A finite number (fractions allowed), e.g. seconds of latency. */
export function readNumber(issues: IssueList, value: unknown, path: string, rule: IntegerRule = {}): number | undefined {
  const what = rule.what ?? "a number";
  if (value === undefined && rule.default !== undefined) return rule.default;
  const range = rangeText(rule.min, rule.max);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    issues.add(path, `${show(value)} is not ${what}; expected ${what}${range}`);
    return undefined;
  }
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    issues.add(path, `${value} is out of range; expected ${what}${range}`);
    return undefined;
  }
  return value;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` in ${min}..${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return "";
}

export interface DecimalRule {
  /** inclusive lower bound */
  min?: string;
  /** exclusive lower bound */
  above?: string;
  /** inclusive upper bound */
  max?: string;
  /** exclusive upper bound */
  below?: string;
  default?: string;
}

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * An exact decimal: a JSON string ("0.85", preferred) or a JSON number (0.85), returned as its
 * canonical string. Bounds are checked exactly with decimal.js.
 */
export function readDecimal(issues: IssueList, value: unknown, path: string, rule: DecimalRule = {}): string | undefined {
  if (value === undefined && rule.default !== undefined) return rule.default;
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value.trim() : undefined;
  const bounds = [
    rule.min !== undefined ? `≥ ${rule.min}` : null,
    rule.above !== undefined ? `> ${rule.above}` : null,
    rule.max !== undefined ? `≤ ${rule.max}` : null,
    rule.below !== undefined ? `< ${rule.below}` : null,
  ]
    .filter((b) => b !== null)
    .join(" and ");
  const expected = `a decimal number${bounds ? ` ${bounds}` : ""}, e.g. "0.85"`;
  if (text === undefined || !DECIMAL.test(text)) {
    issues.add(path, `${show(value)} is not a decimal number; expected ${expected}`);
    return undefined;
  }
  const d = new Decimal(text);
  const broken =
    (rule.min !== undefined && d.lt(rule.min)) ||
    (rule.above !== undefined && d.lte(rule.above)) ||
    (rule.max !== undefined && d.gt(rule.max)) ||
    (rule.below !== undefined && d.gte(rule.below));
  if (broken) {
    issues.add(path, `${text} is out of range; expected ${expected}`);
    return undefined;
  }
  return d.toString();
}

export function readBoolean(issues: IssueList, value: unknown, path: string, defaultValue?: boolean): boolean | undefined {
  if (value === undefined && defaultValue !== undefined) return defaultValue;
  if (typeof value !== "boolean") {
    issues.add(path, `${show(value)} is not a boolean; expected true or false`);
    return undefined;
  }
  return value;
}

export function readEnum<T extends string>(
  issues: IssueList,
  value: unknown,
  path: string,
  allowed: readonly T[],
  defaultValue?: T,
): T | undefined {
  if (value === undefined && defaultValue !== undefined) return defaultValue;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  const hint = typeof value === "string" ? didYouMean(value, allowed) : null;
  issues.add(path, `${show(value)} is not allowed; expected one of ${list(allowed)}${hint ? ` (did you mean '${hint}'?)` : ""}`);
  return undefined;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** An EVM address, returned lowercase (the store's form). */
export function readAddress(issues: IssueList, value: unknown, path: string): Hex | undefined {
  if (typeof value !== "string" || !ADDRESS.test(value)) {
    issues.add(path, `${show(value)} is not an address; expected 0x + 40 hex digits`);
    return undefined;
  }
  return value.toLowerCase() as Hex;
}

export function isAddress(value: string): boolean {
  return ADDRESS.test(value);
}

/** An http(s) or ws(s) URL, or a non-empty list of them. Messages show URLs redacted. */
export function readRpc(issues: IssueList, value: unknown, path: string, source: string | undefined): string[] | undefined {
  const from = source ? ` (set by ${source})` : "";
  const expected = "expected an http(s) or ws(s) URL, or a list of them (there is no public fallback)";
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) {
    issues.add(path, `missing${from}; expected an http(s) or ws(s) URL (there is no public fallback)`);
    return undefined;
  }
  const urls = Array.isArray(value) ? value : [value];
  const good: string[] = [];
  urls.forEach((url, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof url !== "string") {
      issues.add(at, `${show(url)} is not a URL${from}; ${expected}`);
      return;
    }
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    if (!protocol || !["http:", "https:", "ws:", "wss:"].includes(protocol)) {
      issues.add(at, `'${redactUrl(url)}' is not an http(s) or ws(s) URL${from}; ${expected}`);
      return;
    }
    good.push(url);
  });
  return good.length === urls.length ? good : undefined;
}
