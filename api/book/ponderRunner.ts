/**
 * The SqlRunner inside the API process: Ponder's read-only Drizzle `db` from "ponder:api"
 * (`globalThis.PONDER_DATABASE.readonlyQB.raw`, over PGlite or a Postgres pool whose connections
 * set search_path to the --schema). Statements go through `db.execute`, with parameters bound by
 * Drizzle (`sql.param`), never spliced into the text.
 *
 * Usage in api/riskApp.ts (api/app.ts hands it `db` from "ponder:api"):
 *   import { db } from "ponder:api";
 *   const reader = createSqlReader(ponderRunner(db), { schema: ponderSchemaName() });
 */
import { sql } from "ponder";
import type { SqlRunner } from "./reader.js";
import { toDriverValue } from "./reader.js";
import { BookError } from "./errors.js";

interface ExecutableDb {
  execute(query: ReturnType<typeof sql.join>): PromiseLike<unknown>;
}

export function ponderRunner(db: unknown): SqlRunner {
  const executable = db as ExecutableDb;
  return async (text, params) => {
    // "… $1 … $2 …" → raw chunks and bound parameters, in order.
    const chunks: Parameters<typeof sql.join>[0] = [];
    let last = 0;
    for (const match of text.matchAll(/\$(\d+)/g)) {
      chunks.push(sql.raw(text.slice(last, match.index)));
      chunks.push(sql.param(bindable(params[Number(match[1]) - 1])));
      last = match.index! + match[0].length;
    }
    chunks.push(sql.raw(text.slice(last)));
    const result = (await executable.execute(sql.join(chunks))) as { rows?: Record<string, unknown>[] } | Record<string, unknown>[];
    return Array.isArray(result) ? result : (result.rows ?? []);
  };
}

/**
 * Drizzle spreads a JS array into a list of parameters, so an array parameter (`= ANY($1::text[])`)
 * is sent as one Postgres array literal instead: {"a","b"} with quotes and backslashes escaped.
 */
export function bindable(value: unknown): unknown {
  const v = toDriverValue(value);
  if (!Array.isArray(v)) return v;
  return `{${v.map((x) => (x === null || x === undefined ? "NULL" : `"${String(x).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)).join(",")}}`;
}

/** The Postgres schema this Ponder process writes or serves (`ponder start|serve --schema NAME`). */
export function ponderSchemaName(): string {
  const schema = (globalThis as { PONDER_NAMESPACE_BUILD?: { schema?: string } }).PONDER_NAMESPACE_BUILD?.schema;
  if (typeof schema !== "string" || schema === "") {
    throw new BookError("BOOK_INVALID_SCHEMA", "No Ponder schema is set in this process. Run the API under `ponder start --schema NAME` or `ponder serve --schema NAME`, or pass { schema } to createSqlReader explicitly.");
  }
  return schema;
}
