/**
 * Reading Linux's /proc: a process's parent, group, state and start time (to tell a live process
 * from a zombie or from a new one that reused its pid), its argv, and the tree below a pid.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcStat {
  pid: number;
  /** The executable name, as in /proc/<pid>/stat (at most 15 characters). */
  comm: string;
  /** R, S, D, Z (zombie: exited, not yet reaped), T, … */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Clock ticks after boot at which the process started: with the pid, it names one process. */
  startTime: number;
}

/** Parse the text of /proc/<pid>/stat (`pid (comm) state ppid pgrp session … starttime …`). */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 of proc(5) (state); starttime is field 22
  if (fields.length < 20 || !Number.isInteger(pid)) return undefined;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[0],
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    startTime: Number(fields[19]),
  };
}

/** /proc/<pid>/stat, or undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * argv of a process (/proc/<pid>/cmdline split at NUL), [] when gone. A process that set its title
 * (npm does: `npm start --port 4000`) shows one string with spaces.
 */
export function readArgv(pid: number): string[] {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv[argv.length - 1] === "") argv.pop();
    return argv;
  } catch {
    return [];
  }
}

/** True while the process runs (exists, not a zombie) and, when given, started at `startTime`. */
export function isRunning(pid: number, startTime?: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== "Z" && (startTime === undefined || stat.startTime === startTime);
}

/** True while some process of group `pgid` runs (zombies, killed but not yet reaped, do not count). */
export function isGroupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  return allProcesses().some((p) => p.pgid === pgid);
}

/** Every running (non-zombie) process, from a scan of /proc. */
export function allProcesses(): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.state !== "Z") all.push(stat);
  }
  return all;
}

/** Every running process in the tree below `pid` (children, their children, …), by a scan of /proc. */
export function descendants(pid: number): ProcStat[] {
  const all = allProcesses();
  const found: ProcStat[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        frontier.push(p.pid);
      }
    }
  }
  return found;
}
