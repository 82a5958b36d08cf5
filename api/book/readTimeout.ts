/**
 * A StoreReader whose every call fails with BOOK_STORE_TIMEOUT after `timeoutMs`: a store that
 * stops answering (a hung connection, a locked PGlite) must not stop the book's clock. The call
 * itself is not cancelled (no driver here can); its late answer is dropped.
 */
import type { StoreReader } from "./reader.js";
import { BookError } from "./errors.js";

export function withReadTimeout<R extends StoreReader>(reader: R, timeoutMs: number): R {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return reader;
  return new Proxy(reader, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => timed(String(key), (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), timeoutMs);
    },
  });
}

function timed<T>(label: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BookError("BOOK_STORE_TIMEOUT", `Store read "${label}" gave no answer within ${timeoutMs} ms; the book keeps its last frame and lets time run (chains turn stale by their lag).`, { label, timeoutMs })),
      timeoutMs,
    );
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
