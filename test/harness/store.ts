/**
 * Read the indexer's store tables directly with SQL: Postgres through `pg`, PGlite by opening
 * Ponder's directory with @electric-sql/pglite (a dependency of ponder) once Ponder has stopped.
 * Rows come back with the schema's camelCase names and string values, as ground truth has them.
 */
import pg from "pg";

export type StoreRow = Record<string, string | null>;
export type StoreTables = Record<string, StoreRow[]>;

/** Store tables, JS name → SQL name (ponder.schema.ts). */
export const STORE_TABLES: Record<string, string> = {
  account: "account",
  collateral: "collateral",
  debt: "debt",
  cash: "cash",
  position: "position",
  market: "market",
  priceRound: "price_round",
  latestPrice: "latest_price",
  liquidation: "liquidation",
  insuranceFund: "insurance_fund",
  liquidator: "liquidator",
  ledger: "ledger",
};

export type StoreLocation =
  | { kind: "postgres"; url: string; schema: string }
  | { kind: "pglite"; directory: string; schema: string };

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function normalize(row: Record<string, unknown>): StoreRow {
  const out: StoreRow = {};
  for (const [k, v] of Object.entries(row)) {
    out[camel(k)] = v === null || v === undefined ? null : typeof v === "string" && /^0x[0-9a-f]*$/i.test(v) ? v.toLowerCase() : String(v);
  }
  return out;
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

async function readAll(query: Query, schema: string, tables: string[]): Promise<StoreTables> {
  const out: StoreTables = {};
  for (const name of tables) {
    const sqlName = STORE_TABLES[name] ?? name;
    // Cast every column to text: numeric(78) arrives exact, booleans as true/false.
    const cols = await query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${sqlName}' ORDER BY ordinal_position`,
    );
    if (cols.length === 0) throw new Error(`Store table "${schema}"."${sqlName}" does not exist (is the schema name right, has ponder started?).`);
    const select = cols.map((c) => `"${c.column_name}"::text AS "${c.column_name}"`).join(", ");
    out[name] = (await query(`SELECT ${select} FROM "${schema}"."${sqlName}"`)).map(normalize);
  }
  return out;
}

/** Read store tables (all of STORE_TABLES by default). For PGlite, Ponder must not be running. */
export async function readStore(location: StoreLocation, tables: string[] = Object.keys(STORE_TABLES)): Promise<StoreTables> {
  if (location.kind === "postgres") {
    const client = new pg.Client({ connectionString: location.url });
    await client.connect();
    try {
      return await readAll(async (sql) => (await client.query(sql)).rows, location.schema, tables);
    } finally {
      await client.end();
    }
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(location.directory);
  try {
    return await readAll(async (sql) => (await db.query<Record<string, unknown>>(sql)).rows, location.schema, tables);
  } finally {
    await db.close();
  }
}

/** Count rows of one table (Postgres only: usable while Ponder runs). */
export async function countRows(url: string, schema: string, table: string, where = "TRUE"): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query(`SELECT count(*)::int AS n FROM "${schema}"."${STORE_TABLES[table] ?? table}" WHERE ${where}`);
    return res.rows[0].n as number;
  } finally {
    await client.end();
  }
}
