/**
 * A stack of teardown steps for a suite: push as you start things, run in afterAll. Runs every
 * step (reverse order) even when one fails, then SIGKILLs anything still tracked, so a beforeAll
 * that failed half-way leaves no chain, ponder or postgres behind.
 */
import { killAllPonders } from "../../devnet/ponderProcess.js";
import { killAllTracked } from "./processes.js";

export class Cleanup {
  private steps: { label: string; fn: () => unknown }[] = [];

  /** Register a teardown step; returns the value passed for chaining (`const pg = cleanup.add(await startPostgres(), (p) => p.stop())`). */
  add<T>(value: T, fn: (value: T) => unknown, label = "step"): T {
    this.steps.push({ label, fn: () => fn(value) });
    return value;
  }

  defer(fn: () => unknown, label = "step"): void {
    this.steps.push({ label, fn });
  }

  async run(): Promise<string[]> {
    const errors: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (error) {
        errors.push(`${step.label}: ${String(error)}`);
      }
    }
    killAllPonders();
    killAllTracked();
    return errors;
  }
}

/** A Ponder schema name unique to this run (≤ 45 characters, [a-z0-9_]). */
export function uniqueSchema(label: string): string {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
  return `${label.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 30)}_${suffix}`;
}
