/**
 * The reference a live risk API is compared with: a risk book built from scratch over the same
 * store, frozen at the live answer's frame, answering the same GraphQL document in process (the
 * same schema and formatting as the live /graphql, so answers compare as JSON).
 *
 * The frame is the live answer's `asOf.now` and `system.volatilityAsOf`: the book estimates
 * volatility when new price rounds arrive (at most every few seconds), not at every instant, so a
 * fresh book loads with its clock at the live estimate's time, then moves to `now` and syncs
 * (which rebuilds the environment for the new stepped lags and stale flags, keeping that estimate).
 */
import { createRiskBook, type RiskBook } from "../../api/book/book.js";
import type { SqlRunner, StoreReader } from "../../api/book/reader.js";
import { createSqlReader, toDriverValue } from "../../api/book/reader.js";
import { createApi } from "../../api/createApi.js";
import type { RiskConfig } from "../../risk/types.js";
import type { StoreLocation } from "./store.js";

export interface BookFrame {
  /** asOf.now of the live answer, unix seconds. */
  nowSeconds: number;
  /** system.volatilityAsOf of the live answer (null: estimate at `nowSeconds`). */
  volatilityAsOf: number | null;
}

export interface FreshBookApi {
  book: RiskBook;
  /** One GraphQL document against the fresh book; GraphQL errors are thrown. */
  query<T = any>(document: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/** Build a fresh book over `reader` at `frame` and an in-process API over it. */
export async function freshBookApi(reader: StoreReader, config: RiskConfig, frame: BookFrame): Promise<FreshBookApi> {
  let nowMs = (frame.volatilityAsOf ?? frame.nowSeconds) * 1000;
  const errors: unknown[] = [];
  const book = createRiskBook({ reader, config, clock: () => nowMs, pollIntervalMs: 3_600_000, onError: (e) => errors.push(e) });
  await book.start();
  nowMs = frame.nowSeconds * 1000;
  await book.sync();
  await book.stop();
  if (errors.length > 0) throw new Error(`fresh book: ${errors.map(String).join("; ")}`, { cause: errors[0] });
  const api = createApi({ book, production: true });
  return {
    book,
    async query(document, variables) {
      const response = await api.handle(
        new Request("http://fresh-book/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
          body: JSON.stringify({ query: document, variables }),
        }),
      );
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(`fresh book: GraphQL errors (${response.status}): ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async close() {
      api.close();
    },
  };
}

/**
 * A store reader for a test process: Postgres through a `pg` pool (usable while Ponder runs), PGlite
 * by opening Ponder's directory (only once Ponder has stopped). `close` releases the connection.
 */
export async function openStoreReader(location: StoreLocation): Promise<{ reader: StoreReader; close(): Promise<void> }> {
  let run: SqlRunner;
  let close: () => Promise<void>;
  if (location.kind === "postgres") {
    const pg = await import("pg");
    const pool = new pg.default.Pool({ connectionString: location.url, max: 4 });
    run = async (text, params) => (await pool.query(text, params.map(toDriverValue))).rows;
    close = () => pool.end();
  } else {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite(location.directory);
    run = async (text, params) => (await db.query<Record<string, unknown>>(text, params.map(toDriverValue) as unknown[])).rows;
    close = () => db.close();
  }
  return { reader: createSqlReader(run, { schema: location.schema }), close };
}
