/**
 * The risk API on a Hono app: the risk book over the store, its GraphQL API at /graphql and its
 * metrics at /metrics/risk. The serving worker (api/serving/worker.ts) mounts it on its own HTTP
 * server, off the indexing thread; it reads the store through the `SqlRunner` it is given (its
 * own Postgres pool, or the SQL bridge to the indexing thread's PGlite).
 *
 * Every process that runs it (`ponder start`, or each `ponder serve` replica) has its own risk
 * book over the store it reads: nothing here assumes it is the indexing process.
 */
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { redactUrlsInText } from "../config/redactUrl.js";
import { XmarginError } from "../errors.js";
import { createRiskBook, createSqlReader, type RiskBook, type SqlRunner } from "./book/index.js";
import { createSqlTierLog } from "./book/sqlTierLog.js";
import { createFileTierLog, type TierLog } from "./book/tierLog.js";
import type { TierLogAccess } from "./serving/protocol.js";
import { createApi, mountApi, type XmarginApi } from "./createApi.js";
import { createLazyBook, type LazyBook } from "./lazyBook.js";
import { mountDashboard } from "../web/server.js";
import { domainSources } from "../protocols/registry.js";
import { createDomainView, type DomainView } from "./domains/domainView.js";

/**
 * Optional tuning of the book's background work (milliseconds; unset = the book's defaults):
 * XMARGIN_BOOK_POLL_MS (ledger poll; with commit notifications only a fallback),
 * XMARGIN_BOOK_STRESS_MS (stress library), XMARGIN_DOMAINS_READ_MS (the protocol markets'
 * store reads, at most one per this many ms; default 1000).
 */
export function msFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new XmarginError("CONFIG_INVALID", `${name} is '${raw}'; expected a whole number of milliseconds ≥ 0.`, { details: { name, value: raw } });
  }
  return value;
}

export interface RiskApiOptions {
  /** Runs SQL against the store (Postgres pool, or the bridge to the indexing thread). */
  runner: SqlRunner;
  /** The Postgres schema Ponder writes (`--schema`). */
  schema: string;
  /**
   * True when committed checkpoints are pushed (the book's own poll is then only a fallback,
   * default 1000 ms instead of 100 ms).
   */
  commitsPushed?: boolean;
  /** Where tier changes are kept across restarts (default: in memory only). */
  tierLog?: TierLogAccess;
  /** Runs the tier log's SQL (a connection that may write, for the writer); default `runner`. */
  tierLogRunner?: SqlRunner;
  env?: NodeJS.ProcessEnv;
}

export interface RiskApi {
  api: XmarginApi;
  book: LazyBook;
  /** the protocols' margin domains; null when the config deploys none */
  domains: DomainView | null;
  /** Brings the book up to the store's latest committed checkpoint (coalesce the calls). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

function openTierLog(options: RiskApiOptions): TierLog | undefined {
  const access = options.tierLog ?? { kind: "none" };
  if (access.kind === "file") return createFileTierLog(access.path);
  if (access.kind === "sql") return createSqlTierLog(options.tierLogRunner ?? options.runner, { ponderSchema: options.schema, mode: access.mode });
  return undefined;
}

/** Mounts /graphql and /metrics/risk on `app`, answering from a risk book over the store. */
export function mountRiskApi(app: Hono, options: RiskApiOptions): RiskApi {
  const env = options.env ?? process.env;
  const config = loadConfig({ env, readFile: (path) => readFileSync(path, "utf8") });
  const riskConfig = toRiskConfig(config);
  const pollIntervalMs = msFromEnv(env, "XMARGIN_BOOK_POLL_MS") ?? (options.commitsPushed ? 1000 : undefined);
  const stressIntervalMs = msFromEnv(env, "XMARGIN_BOOK_STRESS_MS");

  const storeReader = createSqlReader(options.runner, { schema: options.schema });
  const tierLog = openTierLog(options);
  let current: RiskBook | null = null;
  const book = createLazyBook({
    // The book loads after Ponder's historical backfill (GET /ready): see LazyBookOptions.whenReady.
    whenReady: () => storeReader.historicalReady(),
    create: () =>
      (current = createRiskBook({
        reader: storeReader,
        config: riskConfig,
        tierLog,
        pollIntervalMs,
        stressIntervalMs,
        onError: (error) => console.error("[xmargin risk book]", redactUrlsInText(error instanceof Error ? (error.stack ?? error.message) : String(error))),
      })),
    onError: (error, attempt) => {
      if (attempt === 1 || attempt % 30 === 0) {
        console.warn(`[xmargin risk book] load attempt ${attempt} failed, retrying: ${redactUrlsInText(error instanceof Error ? error.message : String(error))}`);
      }
    },
  });

  // The protocols' margin domains (Aave markets) beside the vault, read on the same commits.
  const sources = domainSources({ config, riskConfig, query: options.runner, schema: options.schema });
  const domains: DomainView | null =
    sources.length === 0
      ? null
      : createDomainView({
          book: { environment: () => book.environment?.() ?? null, system: () => book.system(), account: (a) => book.account(a) },
          sources,
          checkpoints: () => storeReader.checkpoints(),
          config: riskConfig,
          vaultChainIds: Object.values(config.chains).map((c) => c.chainId).sort((a, b) => a - b),
          minIntervalMs: msFromEnv(env, "XMARGIN_DOMAINS_READ_MS"),
          onError: (error) => console.error("[xmargin domains]", redactUrlsInText(error instanceof Error ? (error.stack ?? error.message) : String(error))),
        });
  const api = createApi({ book, domains });
  mountApi(app, api, { intoPonderRegistry: false });
  mountDashboard(app, { graphqlPath: "/graphql" });
  return {
    api,
    book,
    domains,
    async sync() {
      if (current !== null && book.current() === current) await current.sync();
      void domains?.sync();
    },
    async close() {
      domains?.close();
      api.close();
      await book.close();
    },
  };
}
