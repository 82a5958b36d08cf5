/**
 * Every child process a test starts is registered here, so that afterAll (and, as a last resort,
 * process exit) kills it even when beforeAll failed half-way; and with the watchdog
 * (devnet/reaper.ts), which kills it when the test process itself is killed (a SIGKILLed vitest).
 */
import { registerChild, unregisterChild } from "../../devnet/reaper.js";

interface Tracked {
  label: string;
  /** Kill the process group (-pid) rather than the pid alone. */
  group: boolean;
}

const tracked = new Map<number, Tracked>();
let hooked = false;

function kill(pid: number, t: Tracked, signal: NodeJS.Signals): void {
  try {
    process.kill(t.group ? -pid : pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** `signal`: what the watchdog sends first (SIGKILL follows), e.g. SIGQUIT for Postgres' immediate shutdown. */
export function track(pid: number, label: string, group = true, signal: NodeJS.Signals = "SIGTERM"): void {
  tracked.set(pid, { label, group });
  registerChild({ pid, group, label, signal });
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const [p, t] of tracked) kill(p, t, "SIGKILL");
    });
  }
}

export function untrack(pid: number): void {
  tracked.delete(pid);
  unregisterChild(pid);
}

/** SIGKILL everything still tracked; returns the labels killed. */
export function killAllTracked(): string[] {
  const labels: string[] = [];
  for (const [pid, t] of tracked) {
    kill(pid, t, "SIGKILL");
    labels.push(`${t.label}(${pid})`);
    unregisterChild(pid);
  }
  tracked.clear();
  return labels;
}
