/**
 * The watchdog for real: an owner process (a small script using devnet/reaper.ts) starts `sleep`
 * children — one alone, one a detached process group, one that ignores SIGTERM — then is SIGKILLed,
 * exits cleanly, or loses its wrapper. /proc tells what is still running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { descendants, isRunning, readProcStat } from "./procfs.js";
import { invocationWrappers, wrapperKind } from "./reaper.js";

describe("wrapperKind", () => {
  it("default: npm (its process title), sh -c, tsx's CLI, vitest's CLI", () => {
    expect(wrapperKind(["npm start --port 4000"])).toBe("npm");
    expect(wrapperKind(["npm exec tsx devnet/start.ts"])).toBe("npm");
    expect(wrapperKind(["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "start"])).toBe("npm");
    expect(wrapperKind(["sh", "-c", "tsx devnet/start.ts"])).toBe("shell");
    expect(wrapperKind(["/bin/bash", "-c", "npm start"])).toBe("shell");
    expect(wrapperKind(["node", "/w/node_modules/.bin/tsx", "devnet/start.ts"])).toBe("tsx");
    expect(wrapperKind(["/usr/bin/node", "/w/node_modules/tsx/dist/cli.mjs", "x.ts"])).toBe("tsx");
    expect(wrapperKind(["node", "/w/node_modules/.bin/vitest", "run"])).toBe("vitest");
    expect(wrapperKind(["node (vitest)"])).toBe("vitest"); // vitest's main sets its title
  });

  it("behavior: a login shell, a vitest worker, init and an empty argv are not wrappers", () => {
    expect(wrapperKind(["-bash"])).toBeUndefined();
    expect(wrapperKind(["bash"])).toBeUndefined();
    expect(wrapperKind(["node", "/w/node_modules/vitest/dist/workers/forks.js"])).toBeUndefined();
    expect(wrapperKind(["node (vitest 1)"])).toBeUndefined();
    expect(wrapperKind(["/sbin/init"])).toBeUndefined();
    expect(wrapperKind(["node"])).toBeUndefined();
    expect(wrapperKind([])).toBeUndefined();
  });
});

describe("invocationWrappers", () => {
  const p = (pid: number, ...argv: string[]) => ({ pid, argv });
  it("default: `npm start` in a terminal: tsx, sh and npm, not the shell above", () => {
    const chain = [p(30, "node", "/w/node_modules/.bin/tsx", "devnet/start.ts"), p(20, "sh", "-c", "tsx devnet/start.ts"), p(10, "npm start"), p(5, "-bash")];
    expect(invocationWrappers(chain)).toEqual([30, 20, 10]);
  });

  it("behavior: stops at the first npm or vitest, and at the first non-wrapper", () => {
    expect(invocationWrappers([p(9, "npm start"), p(8, "sh", "-c", "npm start"), p(7, "npm run all")])).toEqual([9]);
    expect(invocationWrappers([p(9, "node", "/w/node_modules/.bin/vitest", "run"), p(8, "sh", "-c", "vitest run"), p(7, "npm test")])).toEqual([9]);
    expect(invocationWrappers([p(9, "node (vitest)"), p(8, "sh", "-c", "vitest run"), p(7, "npm test")])).toEqual([9]);
    expect(invocationWrappers([p(9, "node", "/w/node_modules/vitest/dist/workers/forks.js"), p(8, "npm test")])).toEqual([]);
    expect(invocationWrappers([])).toEqual([]);
  });
});

const ROOT = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "xmargin-reaper-"));
const OWNER = join(dir, "owner.ts");
writeFileSync(
  OWNER,
  `import { spawn } from "node:child_process";
import { registerChild, startReaper, unregisterChild } from ${JSON.stringify(join(ROOT, "devnet/reaper.ts"))};
const reaper = startReaper({ graceMs: 1000, ownerGraceMs: 3000, pollMs: 100 });
const alone = spawn("sleep", ["300"], { stdio: "ignore" });
const group = spawn("sh", ["-c", "sleep 301 & sleep 302 & wait"], { stdio: "ignore", detached: true });
const stubborn = spawn("sh", ["-c", "trap '' TERM; exec sleep 303"], { stdio: "ignore" });
registerChild({ pid: alone.pid, group: false, label: "alone" });
registerChild({ pid: group.pid, group: true, label: "group" });
registerChild({ pid: stubborn.pid, group: false, label: "stubborn" });
console.log(JSON.stringify({ reaper: reaper.pid, alone: alone.pid, group: group.pid, stubborn: stubborn.pid }));
if (process.argv[2] === "clean") {
  setTimeout(async () => {
    for (const c of [alone, stubborn]) c.kill("SIGKILL");
    process.kill(-group.pid, "SIGKILL");
    await Promise.all([alone, group, stubborn].map((c) => new Promise((done) => c.once("exit", done))));
    for (const c of [alone, group, stubborn]) unregisterChild(c.pid);
    console.log("clean exit");
  }, 300);
} else {
  setInterval(() => undefined, 1000);
}
`,
);

/** Everything launched, so that a failing case leaves nothing behind either. */
const launched: { pid: number; startTime: number }[] = [];
afterAll(() => {
  for (const p of launched) {
    if (!isRunning(p.pid, p.startTime)) continue;
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

interface Owner {
  proc: ChildProcess;
  ownerPid: number;
  pids: { reaper: number; alone: number; group: number; stubborn: number };
  /** Every process below the launched one (owner, sleeps, the watchdog) once all are up. */
  tree: { pid: number; startTime: number }[];
  output: () => string;
}

/** Launch the owner (directly, or under `sh -c "…; true"` so that sh stays its parent). */
async function launch(mode: "hold" | "clean", underShell = false): Promise<Owner> {
  const cmd = [process.execPath, "--import", "tsx", OWNER, mode];
  const proc = underShell
    ? spawn("sh", ["-c", `${cmd.map((a) => `'${a}'`).join(" ")}; true`], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('"stubborn"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const pids = JSON.parse(out.split("\n").find((l) => l.startsWith("{"))!) as Owner["pids"];
  // wait until the group's two sleeps run, so that the snapshot holds them
  while (descendants(pids.group).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const tree = descendants(proc.pid!).map((p) => ({ pid: p.pid, startTime: p.startTime }));
  launched.push(...tree);
  const ownerPid = underShell ? tree.find((t) => readProcStat(t.pid)?.ppid === proc.pid)!.pid : proc.pid!;
  return { proc, ownerPid, pids, tree, output: () => out };
}

async function allGone(tree: { pid: number; startTime: number }[], ms: number): Promise<{ pid: number; startTime: number }[]> {
  const deadline = Date.now() + ms;
  let running = tree.filter((t) => isRunning(t.pid, t.startTime));
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    running = running.filter((t) => isRunning(t.pid, t.startTime));
  }
  return running;
}

describe("reaper", () => {
  it("default: SIGKILL of the owner: every registered child goes, the one ignoring SIGTERM by SIGKILL, then the watchdog", async () => {
    const o = await launch("hold");
    expect(o.tree.length).toBeGreaterThanOrEqual(6); // watchdog, alone, group sh + 2 sleeps, stubborn
    expect(o.tree.map((t) => t.pid)).toEqual(expect.arrayContaining([o.pids.reaper, o.pids.alone, o.pids.group, o.pids.stubborn]));
    const t0 = Date.now();
    process.kill(o.ownerPid, "SIGKILL");
    expect(await allGone(o.tree, 8000), o.output()).toEqual([]);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(8000);
    expect(o.output()).toMatch(/owner \d+ is gone: stopping alone \(\d+\), group \(group \d+\), stubborn/);
    expect(o.output()).toMatch(/SIGKILL after 1000 ms: stubborn/);
  });

  it("behavior: a clean exit: the watchdog exits by itself and signals nothing", async () => {
    const o = await launch("clean");
    const exited = new Promise<number | null>((done) => o.proc.once("exit", (code) => done(code)));
    expect(await exited).toBe(0);
    expect(await allGone(o.tree, 3000)).toEqual([]);
    expect(o.output()).toContain("clean exit");
    expect(o.output()).not.toContain("stopping");
  });

  it("behavior: the wrapper above the owner is SIGKILLed: the owner gets SIGTERM, then its children are stopped", async () => {
    const o = await launch("hold", true);
    expect(o.ownerPid).not.toBe(o.proc.pid);
    process.kill(o.proc.pid!, "SIGKILL");
    expect(await allGone(o.tree, 10_000)).toEqual([]);
    expect(o.output()).toMatch(new RegExp(`launcher ${o.proc.pid} is gone: SIGTERM to owner ${o.ownerPid}`));
  });
});
