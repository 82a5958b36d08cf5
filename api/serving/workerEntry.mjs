// Worker threads start from a plain ES module: this one loads the TypeScript worker with tsx's
// loader (the same way api/app.ts loads the risk API natively inside Ponder).
import { tsImport } from "tsx/esm/api";

// XMARGIN_WORKER_CPU_PROF_DIR=DIR: a CPU profile of this thread, written to
// DIR/serving-worker-<pid>-<n>.cpuprofile when the thread exits (bench/tools/profileSummary.ts reads it).
if (process.env.XMARGIN_WORKER_CPU_PROF_DIR) {
  const { Session } = await import("node:inspector");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const path = await import("node:path");
  const dir = process.env.XMARGIN_WORKER_CPU_PROF_DIR;
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  const started = Date.now();
  const dump = () =>
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(path.join(dir, `serving-worker-${process.pid}-${started}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
    });
  process.on("exit", dump);
  // a worker is terminated without 'exit' when the process stops: dump every 20 s too
  setInterval(() => {
    dump();
    session.post("Profiler.start");
  }, 20_000).unref();
}

await tsImport("./worker.ts", import.meta.url);
