/**
 * The longest time the event loop was blocked while a piece of work ran, measured two ways: the
 * gap between the ticks of a 5 ms interval (what a request waiting on the loop would see), and
 * `perf_hooks.monitorEventLoopDelay` (its max, which under-reports a single long block on Node 20:
 * it samples on its own timer).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LoopBlock {
  /** longest gap between interval ticks, beyond the interval, in ms */
  maxGapMs: number;
  /** monitorEventLoopDelay's max, ms */
  histogramMaxMs: number;
}

export async function measureLoopBlock<T>(work: () => Promise<T>): Promise<{ result: T; block: LoopBlock; elapsedMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last - 5);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    const elapsedMs = performance.now() - started;
    // let the interval observe the last stretch
    await new Promise((resolve) => setTimeout(resolve, 15));
    return { result, elapsedMs, block: { maxGapMs: Math.max(0, maxGapMs), histogramMaxMs: histogram.max / 1e6 } };
  } finally {
    clearInterval(timer);
    histogram.disable();
  }
}
