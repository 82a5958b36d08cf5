/**
 * The risk API for Ponder's HTTP app: the risk book over Ponder's store, its GraphQL API at
 * /graphql and its metrics. api/app.ts (which Ponder loads through vite-node) imports this module
 * natively (see there), so the hot path of every request runs as plain Node ESM.
 *
 * Every process that mounts it (`ponder start`, or each `ponder serve` replica) runs its own risk
 * book over the store it reads: nothing here assumes it is the indexing process.
 */
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { redactUrlsInText } from "../config/redactUrl.js";
import { XmarginError } from "../errors.js";
import { createRiskBook, createSqlReader } from "./book/index.js";
import { ponderRunner, ponderSchemaName } from "./book/ponderRunner.js";
import { createApi, mountApi } from "./createApi.js";
import { createLazyBook, type LazyBook } from "./lazyBook.js";
import { mountDashboard } from "../web/server.js";

/**
 * Optional tuning of the book's background work (milliseconds; unset = the book's defaults):
 * XMARGIN_BOOK_POLL_MS (ledger poll), XMARGIN_BOOK_STRESS_MS (stress library). With ~100k accounts
 * the stress library takes hundreds of ms of the thread that also answers HTTP (run in slices).
 * Time alone re-prices accounts only when a chain's data lag crosses a step of risk.lagStepSeconds.
 */
function msFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new XmarginError("CONFIG_INVALID", `${name} is '${raw}'; expected a whole number of milliseconds ≥ 0.`, { details: { name, value: raw } });
  }
  return value;
}

/**
 * Mounts /graphql, /metrics/risk and the dashboard (/, /account/0x…) on `app`, answering from a risk book over Ponder's `db`.
 * `loadedBy` says how api/app.ts loaded this module; it is logged once.
 */
export function mountRiskApi(app: Hono, db: unknown, { loadedBy = "node" }: { loadedBy?: "node" | "vite-node" } = {}): void {
  const config = loadConfig({ env: process.env, readFile: (path) => readFileSync(path, "utf8") });
  const riskConfig = toRiskConfig(config);

  // `ponder dev` reloads api/app.ts (and with it this module) on change: stop the previous book so it does not keep polling.
  const holder = globalThis as { __xmarginBook?: LazyBook };
  void holder.__xmarginBook?.close();

  const bookTiming = {
    pollIntervalMs: msFromEnv("XMARGIN_BOOK_POLL_MS"),
    stressIntervalMs: msFromEnv("XMARGIN_BOOK_STRESS_MS"),
  };

  const storeReader = createSqlReader(ponderRunner(db), { schema: ponderSchemaName() });
  const book = createLazyBook({
    // The book loads after Ponder's historical backfill (GET /ready): see LazyBookOptions.whenReady.
    whenReady: () => storeReader.historicalReady(),
    create: () =>
      createRiskBook({
        reader: storeReader,
        config: riskConfig,
        ...bookTiming,
        onError: (error) => console.error("[xmargin risk book]", redactUrlsInText(error instanceof Error ? (error.stack ?? error.message) : String(error))),
      }),
    onError: (error, attempt) => {
      if (attempt === 1 || attempt % 30 === 0) {
        console.warn(`[xmargin risk book] load attempt ${attempt} failed, retrying: ${redactUrlsInText(error instanceof Error ? error.message : String(error))}`);
      }
    },
  });
  holder.__xmarginBook = book;

  const api = createApi({ book });
  mountApi(app, api);
  mountDashboard(app, { graphqlPath: "/graphql" });
  console.info(`[xmargin] risk API mounted at /graphql (modules loaded by ${loadedBy === "node" ? "Node natively" : "vite-node"})`);
}
