/**
 * The stress library, time-sliced: one scenario per macrotask, so the HTTP requests and pushes that
 * arrive meanwhile are served between scenarios instead of after the whole library (~1–2 s on a
 * 100k-account book). Each scenario is one synchronous call (its cascade rounds cannot be split
 * from outside risk/stress.ts), so the longest pause is one scenario.
 */
import type { ScenarioResult, StressScenario } from "../../risk/types.js";

export interface SlicedRunOptions {
  /** Checked before every scenario: true abandons the run (it resolves to null). */
  isCancelled?: () => boolean;
  /** Yields to the event loop; default setImmediate (after pending I/O callbacks). */
  yieldNow?: () => Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `runOne` over the scenarios in order, yielding before each one. `runOne` reads the book as it
 * is at that moment, so each result is consistent in itself (a scenario never straddles an update)
 * while the library as a whole may span several book updates. Resolves to the results in scenario
 * order, or null when cancelled.
 */
export async function runScenariosSliced(
  scenarios: readonly StressScenario[],
  runOne: (scenario: StressScenario) => ScenarioResult,
  options: SlicedRunOptions = {},
): Promise<ScenarioResult[] | null> {
  const yieldNow = options.yieldNow ?? yieldToEventLoop;
  const out: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    await yieldNow();
    if (options.isCancelled?.() === true) return null;
    out.push(runOne(scenario));
  }
  return out;
}
