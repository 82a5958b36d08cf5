/**
 * Per-request time limit for queries: execution races a timer; on expiry the client gets a
 * TIMEOUT error (HTTP 504) and the late result is dropped. Subscriptions are long-lived and not
 * limited. On expiry the context's `abort()` is called, so resolvers that yield (history, time
 * travel) stop their work instead of finishing it for nobody. Synchronous resolvers cannot be
 * interrupted, which is why the cost limit exists too.
 */
import type { ExecutionResult } from "graphql/index.js";
import type { Plugin } from "graphql-yoga";
import { apiError } from "../errors.js";

export function useTimeLimit(timeoutMs: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const result = executeFn(args) as ExecutionResult | Promise<ExecutionResult>;
        const abort = (args.contextValue as { abort?: () => void } | undefined)?.abort;
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(
            () => {
              abort?.();
              resolve({
                errors: [apiError("TIMEOUT", `The request took longer than ${timeoutMs} ms and was stopped; narrow it (smaller window or page).`, { timeoutMs })],
              });
            },
            timeoutMs,
          );
          timer.unref?.();
        });
        return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
      });
    },
  };
}
