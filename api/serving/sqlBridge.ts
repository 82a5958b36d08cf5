/**
 * SQL across a MessagePort: the serving worker's `SqlRunner` when the store is the embedded
 * PGlite, which lives in the indexing thread and cannot be opened twice. The worker sends
 * `{ text, params }`; the indexing thread runs it on Ponder's read-only handle and answers with
 * the rows (structured clone keeps bigint, Date and strings as they are).
 *
 * A statement that gets no answer within `timeoutMs` fails with SERVING_SQL_TIMEOUT, so a busy
 * or stuck indexing thread makes the book's reads fail (and its chains turn stale) rather than
 * hang the worker. Over Postgres the worker connects itself and this bridge is not used.
 */
import type { SqlRunner } from "../book/reader.js";
import { ServingError } from "./errors.js";

export interface SqlRequestMessage {
  type: "sql";
  id: number;
  text: string;
  params: unknown[];
}

export interface SqlReplyMessage {
  type: "sqlReply";
  id: number;
  rows?: Record<string, unknown>[];
  error?: { message: string; code?: string };
}

/** What both ends need of a MessagePort or a Worker. */
export interface MessageEnd {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
}

export function isSqlRequest(message: unknown): message is SqlRequestMessage {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "sql";
}

function isSqlReply(message: unknown): message is SqlReplyMessage {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "sqlReply";
}

/** The worker's side: a SqlRunner whose statements run on the other end of `port`. */
export function bridgeRunner(port: MessageEnd, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): SqlRunner & { close(): void } {
  let nextId = 1;
  const pending = new Map<number, { resolve: (rows: Record<string, unknown>[]) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  const onMessage = (message: unknown) => {
    if (!isSqlReply(message)) return;
    const waiter = pending.get(message.id);
    if (waiter === undefined) return; // timed out already
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.error !== undefined) {
      waiter.reject(new ServingError("SERVING_SQL_FAILED", `The store query failed in the indexing thread: ${message.error.message}`, { code: message.error.code }));
    } else {
      waiter.resolve(message.rows ?? []);
    }
  };
  port.on("message", onMessage);

  const run = ((text: string, params: readonly unknown[]) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ServingError("SERVING_SQL_TIMEOUT", `The store did not answer within ${timeoutMs} ms (the indexing thread is busy or stuck); the book keeps its last state and its chains age.`, { timeoutMs }));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      port.postMessage({ type: "sql", id, text, params: [...params] } satisfies SqlRequestMessage);
    })) as SqlRunner & { close(): void };
  run.close = () => {
    port.off("message", onMessage);
    for (const [id, waiter] of pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new ServingError("SERVING_CLOSED", "The SQL bridge was closed."));
      pending.delete(id);
    }
  };
  return run;
}

/** The indexing thread's side: answers every SQL request arriving on `port` with `runner`. */
export function answerSql(port: MessageEnd, runner: SqlRunner): () => void {
  const onMessage = (message: unknown) => {
    if (!isSqlRequest(message)) return;
    runner(message.text, message.params).then(
      (rows) => port.postMessage({ type: "sqlReply", id: message.id, rows } satisfies SqlReplyMessage),
      (error: unknown) =>
        port.postMessage({
          type: "sqlReply",
          id: message.id,
          error: { message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code },
        } satisfies SqlReplyMessage),
    );
  };
  port.on("message", onMessage);
  return () => port.off("message", onMessage);
}
