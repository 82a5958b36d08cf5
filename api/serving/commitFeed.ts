/**
 * Committed checkpoints, pushed: the book follows the indexer on commit instead of polling.
 *
 * Once Ponder indexes live blocks it keeps a statement trigger on `_ponder_checkpoint` that calls
 * `pg_notify('<schema>_live_query', …)` inside the transaction that indexes a block (Ponder's
 * own live queries use it). Postgres and PGlite deliver a notification only when that
 * transaction commits, and never for one rolled back, so each notification means "a checkpoint
 * was committed": the rows it covers can be read, and no row Ponder may still roll back inside
 * that transaction is ever seen. Reorgs commit too (the reverted checkpoint), so they arrive the
 * same way and the book's reorg check handles them.
 *
 * - PGlite (one instance, in the indexing thread): `LISTEN` on Ponder's instance; the supervisor
 *   forwards each notification to the serving worker.
 * - Postgres (the worker, every `ponder serve` replica): a dedicated connection that `LISTEN`s,
 *   reconnecting after a failure.
 */
import pg from "pg";

/** Ponder 0.16's live-query channel for a schema (ponder/dist/esm/drizzle/onchain.js). */
export function liveQueryChannel(schema: string): string {
  return `${schema}_live_query`;
}

/** Quotes a Postgres identifier (channel names may hold upper case or dashes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The two methods of a PGlite instance this needs. */
export interface PgliteLike {
  query(text: string): Promise<unknown>;
  onNotification(callback: (channel: string, payload: string) => void): () => void;
}

/** Calls `onCommit` for every committed checkpoint of `schema` on a PGlite instance. */
export async function listenPglite(instance: PgliteLike, schema: string, onCommit: () => void): Promise<() => Promise<void>> {
  const channel = liveQueryChannel(schema);
  const off = instance.onNotification((ch) => {
    if (ch === channel) onCommit();
  });
  await instance.query(`LISTEN ${quoteIdent(channel)}`);
  return async () => {
    off();
  };
}

export interface PostgresListenOptions {
  connectionString: string;
  schema: string;
  onCommit: () => void;
  /** Connection failures (each is retried after `retryMs`). */
  onError?: (error: unknown) => void;
  retryMs?: number;
}

/**
 * Listens on a dedicated Postgres connection; after a failure it reconnects and calls
 * `onCommit` once (commits may have been missed while it was away).
 */
export function listenPostgres(options: PostgresListenOptions): { close(): Promise<void> } {
  const channel = liveQueryChannel(options.schema);
  const retryMs = options.retryMs ?? 1000;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: options.connectionString, application_name: `${options.schema}_xmargin_commits` });
    client = c;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed || closed) return;
      failed = true;
      options.onError?.(error);
      void c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(), retryMs);
    };
    c.on("error", fail);
    c.on("end", () => fail(new Error("the commit-notification connection ended")));
    c.on("notification", (message) => {
      if (message.channel === channel) options.onCommit();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(channel)}`);
      options.onCommit(); // catch up on anything committed before LISTEN took effect
    } catch (error) {
      fail(error);
    }
  };
  void connect();

  return {
    async close() {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Runs `work` once per burst of notifications: a commit arriving while `work` runs schedules
 * exactly one more run, so the book never falls behind and never runs twice for one commit.
 */
export function coalesce(work: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void work()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}
