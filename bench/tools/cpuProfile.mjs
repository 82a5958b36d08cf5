/**
 * A CPU profiler preload for Ponder processes (`--cpu-prof` is refused in NODE_OPTIONS):
 * NODE_OPTIONS="--import ./bench/tools/cpuProfile.mjs" XMARGIN_CPU_PROF_DIR=/tmp/prof.
 * Profiles only processes whose command line names ponder (not the launcher or tsx around it),
 * samples every XMARGIN_CPU_PROF_INTERVAL_US µs (default 1000), and writes
 * <dir>/ponder-<pid>.cpuprofile when the process exits (Ponder exits after SIGTERM) or on SIGUSR2.
 * Open the file in Chrome DevTools (Performance) or summarise it with bench/tools/profileSummary.ts.
 */
import { Session } from "node:inspector";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.XMARGIN_CPU_PROF_DIR;
if (dir && process.argv.some((a) => /ponder(\.js)?$/.test(a) || a.includes("/ponder/dist/"))) {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  const interval = Number(process.env.XMARGIN_CPU_PROF_INTERVAL_US ?? 1000);
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval });
  session.post("Profiler.start");
  let part = 0;
  // The in-process session answers synchronously, so this also works inside an exit handler.
  const dump = (restart) => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(path.join(dir, `ponder-${process.pid}-${part++}.cpuprofile`), JSON.stringify(result.profile));
    });
    if (restart) session.post("Profiler.start");
  };
  process.on("SIGUSR2", () => dump(true));
  process.on("exit", () => dump(false));
}
