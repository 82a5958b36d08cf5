/**
 * A watchdog that outlives its owner: a tiny detached process (devnet/reaperMain.ts, its own
 * session, so neither Ctrl-C nor a kill of the owner's process group reaches it) that learns every
 * child the owner starts (pid or process group, as JSON lines on its stdin) and, when the owner dies — even
 * by SIGKILL — or when a wrapper that launched the owner dies (`npm start` → sh → tsx → owner),
 * sends each registered child SIGTERM, then SIGKILL after a grace period, and exits. After a clean
 * shutdown (every child unregistered as it exited, then the owner exits) it just exits.
 *
 * devnet/chains.ts and devnet/ponderProcess.ts register what they spawn here; the first
 * registration starts the watchdog when `startReaper` was not called before (the test harness relies
 * on that; `npm start` starts it first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readArgv, readProcStat } from "./procfs.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const REAPER_MAIN = resolve(fileURLToPath(import.meta.url), "..", "reaperMain.ts");

/** A child the watchdog kills when its owner goes. */
export interface ReapTarget {
  pid: number;
  /** Signal the whole process group -pid (a child spawned `detached`), not the pid alone. */
  group: boolean;
  /** For the watchdog's message, e.g. `anvil:l1`. */
  label: string;
  /** First signal, default SIGTERM (Postgres: SIGQUIT, its immediate shutdown). SIGKILL follows. */
  signal?: NodeJS.Signals;
}

/** A process identified by pid and start time (a reused pid is another process). */
export interface ProcessId {
  pid: number;
  startTime: number;
}

/** What the watchdog process is started with (one JSON argument). */
export interface ReaperArgs {
  owner: ProcessId;
  /** Wrappers of the owner (npm, sh -c, tsx): when one of them is gone, the owner is reaped too. */
  watch: ProcessId[];
  /** Between a child's first signal and SIGKILL. */
  graceMs: number;
  /** Between SIGTERM to a still-running owner (its wrapper is gone) and SIGKILL to it. */
  ownerGraceMs: number;
  /** Poll period of the owner's and the wrappers' pids. */
  pollMs: number;
}

export type ReaperMessage = { type: "register"; target: Required<ReapTarget> } | { type: "unregister"; pid: number };

/** What kind of launcher wrapper an argv is, if any (pure). */
export function wrapperKind(argv: readonly string[]): "npm" | "shell" | "tsx" | "vitest" | undefined {
  const first = (argv[0] ?? "").split(" ")[0] ?? "";
  const exe = basename(first);
  // npm and npx set their process title: `npm start --port 4000`, `npm exec tsx …`
  if (exe === "npm" || exe === "npx") return "npm";
  // vitest's main process titles itself `node (vitest)`, its workers `node (vitest 1)`, …
  if (argv[0] === "node (vitest)") return "vitest";
  if (["sh", "bash", "dash", "zsh"].includes(exe) && argv[1] === "-c") return "shell";
  if (exe === "node" || exe.startsWith("node")) {
    const script = argv.slice(1).find((a) => !a.startsWith("-"));
    if (!script) return undefined;
    const name = basename(script);
    if (name === "npm-cli.js" || name === "npx-cli.js") return "npm";
    if (name === "tsx" || script.endsWith("/tsx/dist/cli.mjs")) return "tsx";
    if (name === "vitest" || name === "vitest.mjs") return "vitest";
  }
  return undefined;
}

/**
 * The wrappers to watch, from the owner's parent upwards (pure): the unbroken run of wrapper
 * processes (sh -c, tsx's CLI, npm) ending at the first npm or vitest. `npm start` in a terminal
 * gives [tsx, sh, npm]; `node --import tsx devnet/start.ts` from a shell gives [].
 */
export function invocationWrappers(ancestors: readonly { pid: number; argv: readonly string[] }[]): number[] {
  const pids: number[] = [];
  for (const p of ancestors) {
    const kind = wrapperKind(p.argv);
    if (!kind) break;
    pids.push(p.pid);
    if (kind === "npm" || kind === "vitest") break;
  }
  return pids;
}

/** The owner's ancestors from /proc, parent first, up to (not including) init. */
function ancestorsOf(pid: number): { pid: number; argv: string[]; startTime: number }[] {
  const chain: { pid: number; argv: string[]; startTime: number }[] = [];
  let stat = readProcStat(pid);
  for (let depth = 0; stat && stat.ppid > 1 && depth < 16; depth++) {
    const parent = readProcStat(stat.ppid);
    if (!parent) break;
    chain.push({ pid: parent.pid, argv: readArgv(parent.pid), startTime: parent.startTime });
    stat = parent;
  }
  return chain;
}

export interface Reaper {
  /** The watchdog's pid. */
  readonly pid: number;
  register(target: ReapTarget): void;
  unregister(pid: number): void;
  /** Close the watchdog's stdin: it reaps whatever is still registered, then exits. */
  close(): void;
}

let active: (Reaper & { child: ChildProcess }) | undefined;
/** Every registered target, replayed to a new watchdog if the old one died. */
const registered = new Map<number, Required<ReapTarget>>();

/**
 * Start the watchdog for this process (idempotent: returns the running one). Synchronous: the
 * registrations sent right after are queued on the channel and read by the watchdog once it runs,
 * even if this process is killed in between.
 */
export function startReaper(options: { graceMs?: number; ownerGraceMs?: number; pollMs?: number } = {}): Reaper {
  if (active) return active;
  const self = readProcStat(process.pid);
  const ancestors = ancestorsOf(process.pid);
  const wrappers = new Set(invocationWrappers(ancestors));
  const args: ReaperArgs = {
    owner: { pid: process.pid, startTime: self?.startTime ?? 0 },
    watch: ancestors.filter((a) => wrappers.has(a.pid)).map((a) => ({ pid: a.pid, startTime: a.startTime })),
    graceMs: options.graceMs ?? 3000,
    // npm start's own shutdown gives Ponder 10 s
    ownerGraceMs: options.ownerGraceMs ?? 12_000,
    pollMs: options.pollMs ?? 200,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.NODE_OPTIONS; // the owner's heap flags or inspector are not the watchdog's
  // Registrations travel over the watchdog's stdin, one JSON line each: written into the pipe at
  // once, they wait in it until the watchdog reads them, even if this process is killed right
  // after (an IPC message that arrives before the watchdog's listener is attached is dropped).
  // End of file on that pipe means this process is gone.
  const child = spawn(process.execPath, ["--import", "tsx", REAPER_MAIN, JSON.stringify(args)], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["pipe", "ignore", "inherit"],
  });
  child.unref();
  const stdin = child.stdin as Socket;
  stdin.unref();
  stdin.on("error", () => undefined);
  child.on("error", () => undefined);
  const send = (message: ReaperMessage): void => {
    if (stdin.writable) stdin.write(`${JSON.stringify(message)}\n`);
  };
  const reaper = {
    pid: child.pid ?? 0,
    child,
    register(target: ReapTarget) {
      const full: Required<ReapTarget> = { signal: "SIGTERM", ...target };
      registered.set(full.pid, full);
      send({ type: "register", target: full });
    },
    unregister(pid: number) {
      registered.delete(pid);
      send({ type: "unregister", pid });
    },
    close() {
      if (active === reaper) active = undefined;
      stdin.end();
    },
  };
  child.once("exit", () => {
    if (active === reaper) active = undefined;
  });
  active = reaper;
  for (const target of registered.values()) send({ type: "register", target });
  return reaper;
}

/** Register a child with this process's watchdog, starting the watchdog if needed. */
export function registerChild(target: ReapTarget): void {
  (active ?? startReaper()).register(target);
}

/** The child exited or was stopped on purpose: the watchdog forgets it. */
export function unregisterChild(pid: number): void {
  registered.delete(pid);
  active?.unregister(pid);
}
