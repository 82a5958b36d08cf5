/**
 * The watchdog process (started by devnet/reaper.ts, detached, one JSON argument: ReaperArgs).
 * Learns children from JSON lines on stdin; when the owner is gone (stdin ended, or its pid no longer running)
 * or one of its wrappers is, signals every registered child (and a still-running owner), waits
 * `graceMs`, SIGKILLs what is left and exits. With nothing registered when the owner goes, it exits
 * at once.
 */
import { isGroupRunning, isRunning, readProcStat } from "./procfs.js";
import type { ProcessId, ReapTarget, ReaperArgs, ReaperMessage } from "./reaper.js";

const args = JSON.parse(process.argv[2] ?? "{}") as ReaperArgs;
const targets = new Map<number, Required<ReapTarget> & { startTime: number }>();

function log(line: string): void {
  try {
    process.stderr.write(`[xmargin reaper ${process.pid}] ${line}\n`);
  } catch {
    /* stderr may be a closed terminal: reaping matters more than the message */
  }
}
process.stderr.on("error", () => undefined);

function signal(target: { pid: number; group: boolean }, sig: NodeJS.Signals): void {
  try {
    process.kill(target.group ? -target.pid : target.pid, sig);
  } catch {
    /* already gone */
  }
}

function targetAlive(t: { pid: number; group: boolean; startTime: number }): boolean {
  if (t.group) return isGroupRunning(t.pid);
  return isRunning(t.pid, t.startTime);
}

const alive = (p: ProcessId) => isRunning(p.pid, p.startTime);

function onMessage(message: ReaperMessage): void {
  if (message.type === "register") {
    const stat = readProcStat(message.target.pid);
    // a group outlives its leader; a lone pid that is already gone needs nothing
    if (!stat && !message.target.group) return;
    targets.set(message.target.pid, { ...message.target, startTime: stat?.startTime ?? 0 });
  } else if (message.type === "unregister") {
    targets.delete(message.pid);
  }
}

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  pending += chunk;
  let i: number;
  while ((i = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    try {
      onMessage(JSON.parse(line) as ReaperMessage);
    } catch {
      log(`ignored a line that is not a registration: ${line.slice(0, 80)}`);
    }
  }
});
process.stdin.on("error", () => undefined);

let reaping = false;
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

const liveTargets = () => [...targets.values()].filter(targetAlive);
const labels = (ts: { label: string; pid: number; group: boolean }[]) => ts.map((t) => `${t.label} (${t.group ? "group " : ""}${t.pid})`).join(", ");

/**
 * A still-running owner (its wrapper is gone) is asked first, with SIGTERM, to stop its children
 * in order; then every registered child still running gets its signal, and SIGKILL after graceMs.
 */
async function reap(reason: string, ownerToo: boolean): Promise<void> {
  if (reaping) return;
  reaping = true;
  clearInterval(poll);
  if (ownerToo && alive(args.owner)) {
    log(`${reason}: SIGTERM to owner ${args.owner.pid}`);
    signal({ pid: args.owner.pid, group: false }, "SIGTERM");
    if (!(await until(() => !alive(args.owner), args.ownerGraceMs))) {
      log(`owner ${args.owner.pid} still running after ${args.ownerGraceMs} ms: SIGKILL`);
      signal({ pid: args.owner.pid, group: false }, "SIGKILL");
    }
  }
  const live = liveTargets();
  if (live.length > 0) {
    log(`${ownerToo ? "left behind" : reason}: stopping ${labels(live)}`);
    for (const t of live) signal(t, t.signal);
    if (!(await until(() => liveTargets().length === 0, args.graceMs))) {
      const left = liveTargets();
      log(`SIGKILL after ${args.graceMs} ms: ${labels(left)}`);
      for (const t of left) signal(t, "SIGKILL");
    }
  }
  process.exit(0);
}

// stdin ends when the owner exits or is killed (after every line it wrote has been read); a clean
// owner has unregistered everything by then.
process.stdin.on("end", () => void reap(`owner ${args.owner.pid} is gone`, false));
const poll = setInterval(() => {
  if (!alive(args.owner)) return void reap(`owner ${args.owner.pid} is gone`, false);
  const gone = args.watch.find((w) => !alive(w));
  if (gone) void reap(`launcher ${gone.pid} is gone`, true);
}, args.pollMs);
// Neither Ctrl-C in the owner's terminal nor a hangup of it is meant for the watchdog.
for (const sig of ["SIGINT", "SIGHUP"] as const) process.on(sig, () => undefined);
