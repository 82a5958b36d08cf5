/**
 * Starts the serving worker from inside a Ponder process (api/app.ts calls it once per API build).
 * Everything Ponder-specific is read here, from the globals Ponder sets for its API build: the
 * schema (`--schema`), the database (PGlite instance or Postgres connection string) and, once its
 * server listens, its port. A `ponder dev` reload stops the previous worker first.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/index.js";
import { ponderRunner } from "../book/ponderRunner.js";
import { BookError } from "../book/errors.js";
import type { PgliteLike } from "./commitFeed.js";
import type { StoreAccess, TierLogAccess } from "./protocol.js";
import { servingSettings } from "./settings.js";
import { superviseServing, type Supervisor } from "./supervisor.js";

interface PonderGlobals {
  PONDER_NAMESPACE_BUILD?: { schema?: string };
  PONDER_DATABASE?: { driver?: { dialect?: string; instance?: PgliteLike } };
  PONDER_PRE_BUILD?: { databaseConfig?: { kind?: string; poolConfig?: { connectionString?: string }; options?: { dataDir?: string } } };
  PONDER_COMMON?: { metrics?: { port?: number }; options?: { command?: string } };
  __xmarginServing?: Supervisor;
}

/**
 * PGlite: a file beside the data directory (`<dir>.xmargin-tier-log.<schema>.jsonl`; one process,
 * no replicas). Postgres: tables written by `ponder start` (and `dev`), followed by `ponder serve`.
 */
export function tierLogAccess(store: StoreAccess, pgliteDataDir: string | undefined, schema: string, command: string | undefined): TierLogAccess {
  if (store.kind === "postgres") return { kind: "sql", mode: command === "serve" ? "follow" : "write" };
  if (typeof pgliteDataDir !== "string" || pgliteDataDir === "" || pgliteDataDir.startsWith("memory://")) return { kind: "none" };
  const dir = path.resolve(pgliteDataDir);
  return { kind: "file", path: path.join(path.dirname(dir), `${path.basename(dir)}.xmargin-tier-log.${schema}.jsonl`) };
}

export async function startServingInPonder(db: unknown, env: NodeJS.ProcessEnv = process.env): Promise<Supervisor> {
  const g = globalThis as PonderGlobals;
  const schema = g.PONDER_NAMESPACE_BUILD?.schema;
  if (typeof schema !== "string" || schema === "") {
    throw new BookError("BOOK_INVALID_SCHEMA", "No Ponder schema is set in this process. Run the API under `ponder start --schema NAME` or `ponder serve --schema NAME`.");
  }
  const config = loadConfig({ env, readFile: (file) => readFileSync(file, "utf8") });
  const settings = servingSettings(env, { port: config.api.port });
  const driver = g.PONDER_DATABASE?.driver;
  const connectionString = g.PONDER_PRE_BUILD?.databaseConfig?.poolConfig?.connectionString;
  const pglite = driver?.dialect === "pglite" ? driver.instance : undefined;
  // Over Postgres the worker connects itself; otherwise it reads through the indexing thread.
  const store: StoreAccess = pglite === undefined && typeof connectionString === "string" ? { kind: "postgres", connectionString } : { kind: "pglite" };

  const tierLog = tierLogAccess(store, g.PONDER_PRE_BUILD?.databaseConfig?.options?.dataDir, schema, g.PONDER_COMMON?.options?.command);

  await g.__xmarginServing?.stop(); // a `ponder dev` reload: free the port first
  const supervisor = superviseServing({
    settings,
    schema,
    store,
    tierLog,
    runner: store.kind === "pglite" ? ponderRunner(db) : undefined,
    pglite,
    ponderPort: () => g.PONDER_COMMON?.metrics?.port,
  });
  g.__xmarginServing = supervisor;
  return supervisor;
}
