import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { DEFAULT_SERVING } from "./settings.js";
import { superviseServing, type Supervisor } from "./supervisor.js";

const OOM_WORKER = new URL("./testing/oomWorker.mjs", import.meta.url);
let supervisor: Supervisor | null = null;
let dir: string | null = null;

afterEach(async () => {
  await supervisor?.stop();
  supervisor = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  delete process.env.XMARGIN_TEST_OOM_MARKER;
});

describe("superviseServing", () => {
  test("behavior: a worker that runs out of heap is restarted; this thread keeps running meanwhile", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "xmargin-oom-"));
    process.env.XMARGIN_TEST_OOM_MARKER = path.join(dir, "marker");
    const lines: string[] = [];
    // The indexing thread's stand-in: a timer that must keep ticking while the worker dies.
    let ticks = 0;
    const ticker = setInterval(() => void ticks++, 10);
    const heapBefore = process.memoryUsage().heapUsed;
    supervisor = superviseServing({
      settings: { ...DEFAULT_SERVING, port: 1, heapMb: 64, restartMs: 50 },
      schema: "test",
      store: { kind: "pglite" },
      ponderPort: () => undefined,
      entry: OOM_WORKER,
      log: (line) => void lines.push(line),
    });
    const url = await supervisor.listening;
    clearInterval(ticker);
    expect(url).toBe("http://127.0.0.1:1");
    expect(supervisor.starts()).toBe(2);
    expect(lines.some((l) => l.includes("out of memory (heap cap 64 MB"))).toBe(true);
    expect(lines.some((l) => l.includes("restarting in 50 ms. Indexing goes on."))).toBe(true);
    expect(ticks).toBeGreaterThan(0);
    // The worker's heap was its own: this thread's did not grow by the worker's ~64 MB.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });
});
