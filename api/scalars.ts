/**
 * `Decimal` and `BigInt` scalars: exact decimal strings on the wire, never JSON numbers.
 * Output accepts decimal.js values, bigints, integers and decimal strings; a float that is not an
 * integer is refused (it would be a binary approximation passed off as exact).
 */
import { GraphQLScalarType, Kind } from "graphql/index.js";
import { apiError } from "./errors.js";

const DECIMAL_RE = /^-?(\d+(\.\d+)?)$/;
const INTEGER_RE = /^-?\d+$/;
const MAX_INPUT_LENGTH = 100;

interface DecimalLike {
  toFixed(): string;
  isFinite(): boolean;
}

function isDecimalLike(value: unknown): value is DecimalLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as DecimalLike).toFixed === "function" &&
    typeof (value as DecimalLike).isFinite === "function"
  );
}

/** A value for the wire: "123.45", never exponent notation. */
export function serializeDecimal(value: unknown): string {
  if (isDecimalLike(value)) {
    if (!value.isFinite()) throw new TypeError(`Decimal ${String(value)} is not finite.`);
    return normalize(value.toFixed());
  }
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && DECIMAL_RE.test(value)) return normalize(value);
  throw new TypeError(`Decimal cannot represent ${typeof value} ${String(value)}; expected a decimal.js value, bigint or decimal string.`);
}

const NEGATIVE_ZERO_RE = /^-0(\.0*)?$/;

/** "-0" and "-0.00" are "0"/"0.00": a sign on zero carries no information for a reader. */
function normalize(s: string): string {
  // only "-0…" can be a signed zero: skip the regex for everything else (every leaf of every answer)
  return s.charCodeAt(0) === 45 && s.charCodeAt(1) === 48 && NEGATIVE_ZERO_RE.test(s) ? s.slice(1) : s;
}

function parseDecimalInput(value: unknown): string {
  if (typeof value === "string") {
    const s = value.trim();
    if (s.length <= MAX_INPUT_LENGTH && DECIMAL_RE.test(s)) return s;
  }
  if (typeof value === "number" && Number.isFinite(value) && String(value).length <= MAX_INPUT_LENGTH && DECIMAL_RE.test(String(value))) {
    // JSON variables may carry a number; its shortest round-trip form is what the client wrote.
    return String(value);
  }
  throw apiError("BAD_DECIMAL", `Decimal "${String(value).slice(0, MAX_INPUT_LENGTH)}" is invalid; expected a decimal string such as "-0.35" or "1.1".`);
}

export const DecimalScalar = new GraphQLScalarType({
  name: "Decimal",
  description: 'A decimal number as a string (exact, no exponent), e.g. "1234.56".',
  serialize: serializeDecimal,
  parseValue: parseDecimalInput,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return parseDecimalInput(ast.value);
    throw apiError("BAD_DECIMAL", `Decimal literal of kind ${ast.kind} is invalid; expected a string such as "1.1".`);
  },
});

export const BigIntScalar = new GraphQLScalarType({
  name: "BigInt",
  description: "An integer of any size as a decimal string.",
  serialize(value: unknown): string {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    if (typeof value === "string" && INTEGER_RE.test(value)) return value;
    throw new TypeError(`BigInt cannot represent ${typeof value} ${String(value)}.`);
  },
  parseValue(value: unknown): bigint {
    if (typeof value === "string" && value.length <= 80 && INTEGER_RE.test(value)) return BigInt(value);
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    throw apiError("BAD_DECIMAL", `BigInt "${String(value).slice(0, 80)}" is invalid; expected an integer string.`);
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && ast.value.length <= 80 && INTEGER_RE.test(ast.value)) {
      return BigInt(ast.value);
    }
    throw apiError("BAD_DECIMAL", `BigInt literal is invalid; expected an integer string.`);
  },
});
