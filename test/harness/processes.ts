/**
 * Every child process a test starts is registered here, so that afterAll (and, as a last resort,
 * process exit) kills it even when beforeAll failed half-way.
 */
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

export function track(pid: number, label: string, group = true): void {
  tracked.set(pid, { label, group });
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const [p, t] of tracked) kill(p, t, "SIGKILL");
    });
  }
}

export function untrack(pid: number): void {
  tracked.delete(pid);
}

/** SIGKILL everything still tracked; returns the labels killed. */
export function killAllTracked(): string[] {
  const labels: string[] = [];
  for (const [pid, t] of tracked) {
    kill(pid, t, "SIGKILL");
    labels.push(`${t.label}(${pid})`);
  }
  tracked.clear();
  return labels;
}
