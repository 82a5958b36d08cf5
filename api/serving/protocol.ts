/** What the supervisor and the serving worker tell each other (besides the SQL bridge's messages). */

export type StoreAccess = { kind: "pglite" } | { kind: "postgres"; connectionString: string };

/**
 * Where the book keeps tier changes across restarts (api/book/tierLog.ts): a file beside the PGlite
 * directory, or tables in Postgres written by `ponder start` and followed by `ponder serve`.
 */
export type TierLogAccess = { kind: "file"; path: string } | { kind: "sql"; mode: "write" | "follow" } | { kind: "none" };

export interface ServingWorkerData {
  schema: string;
  store: StoreAccess;
  tierLog: TierLogAccess;
  host: string;
  port: number;
  /** Fail instead of moving to the next port when `port` is taken. */
  strictPort: boolean;
  /** Ponder's internal HTTP port once known (else sent later as { type: "ponderPort" }). */
  ponderPort: number | null;
  /** SQL bridge timeout (PGlite), ms. */
  sqlTimeoutMs: number;
}

export type WorkerToSupervisor =
  | { type: "listening"; host: string; port: number; requestedPort: number }
  | { type: "listenFailed"; host: string; port: number; message: string };

export type SupervisorToWorker = { type: "commit" } | { type: "ponderPort"; port: number } | { type: "stop" };
