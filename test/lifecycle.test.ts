/**
 * `npm start` leaves no process behind, however it ends: a SIGKILL of the launcher (the node
 * process running devnet/start.ts) or of npm above it, Ctrl-C (SIGINT to the foreground process
 * group, as a terminal sends it) and a double Ctrl-C. Real `npm start`, real anvil chains, real
 * Ponder, the simulator and the liquidator; /proc says what still runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { descendants, isRunning, readArgv, type ProcStat } from "../devnet/procfs.js";
import { freePort } from "./harness/ports.js";

const ROOT = path.resolve(import.meta.dirname, "..");
/** Deploying and starting Ponder take ~25 s on an idle 2-core machine, minutes on a loaded one. */
const CASE_TIMEOUT_MS = 300_000;

interface Launched {
  npm: ChildProcess;
  /** Every process below npm once the devnet runs: sh, tsx, the launcher, anvils, Ponder, the watchdog, esbuild. */
  tree: (ProcStat & { argv: string[] })[];
  launcher: ProcStat;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dir: string;
}

const launchedTrees: ProcStat[][] = [];
afterAll(() => {
  for (const tree of launchedTrees) {
    for (const p of tree) {
      if (!isRunning(p.pid, p.startTime)) continue;
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
});

/**
 * `npm start` in its own process group (as a terminal's foreground job), until
 * - "running": the simulator runs (the devnet is fully up: the orderly Ctrl-C path), or
 * - "spawned": the three anvils, Ponder and the watchdog are all in the tree and Ponder has run
 *   for 3 s (still starting up or already serving: on a loaded machine Ponder can take minutes).
 */
async function launch(until: "running" | "spawned"): Promise<Launched> {
  const apiPort = await freePort();
  const chainBase = await freePort(3);
  const dir = mkdtempSync(path.join(tmpdir(), "xmargin-lifecycle-"));
  const npm = spawn("npm", ["start", "--", "--port", String(apiPort), "--chain-port-base", String(chainBase), "--accounts", "10"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "", XMARGIN_DEVNET_DIR: dir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  npm.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  npm.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => npm.once("exit", (code, signal) => done({ code, signal })));
  const deadline = Date.now() + 240_000;
  const argvOf = (p: ProcStat) => readArgv(p.pid);
  const spawned = () => {
    const procs = descendants(npm.pid!);
    const ponder = procs.find((p) => argvOf(p).some((a) => a.endsWith("ponder/dist/esm/bin/ponder.js")));
    const anvils = procs.filter((p) => p.comm === "anvil");
    const uptimeMs = ponder ? (Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 100 - ponder.startTime) * 10 : 0;
    return anvils.length === 3 && ponder !== undefined && uptimeMs >= 3000;
  };
  const ready = () => (until === "running" ? out.includes("simulator:") : spawned());
  while (!ready() && Date.now() < deadline && npm.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  expect(ready(), out).toBe(true);
  const tree = descendants(npm.pid!).map((p) => ({ ...p, argv: readArgv(p.pid) }));
  launchedTrees.push(tree);
  const launcher = tree.find((p) => p.argv.some((a) => a.endsWith("preflight.cjs")) && p.argv.includes("devnet/start.ts"));
  expect(launcher, JSON.stringify(tree.map((p) => p.argv.join(" ")))).toBeDefined();
  expect(tree.filter((p) => p.comm === "anvil")).toHaveLength(3);
  expect(tree.filter((p) => p.argv.some((a) => a.endsWith("ponder/dist/esm/bin/ponder.js")))).toHaveLength(1);
  expect(tree.filter((p) => p.argv.some((a) => a.endsWith("devnet/reaperMain.ts")))).toHaveLength(1);
  if (until === "running") {
    const printed = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(printed).toHaveLength(4); // three chains and Ponder, all in the tree
    expect(tree.map((p) => p.pid)).toEqual(expect.arrayContaining(printed));
  }
  return { npm, tree, launcher: launcher!, output: () => out, exited, dir };
}

/** The processes of `tree` still running after `ms` (polled every 100 ms). */
async function stillRunning(tree: readonly ProcStat[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  let running = tree.filter((p) => isRunning(p.pid, p.startTime));
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    running = running.filter((p) => isRunning(p.pid, p.startTime));
  }
  return running.map((p) => `${p.pid} ${readArgv(p.pid).join(" ").slice(0, 120)}`);
}

describe("npm start leaves no process behind", () => {
  it("default: SIGKILL of the launcher: the watchdog stops the chains and Ponder within seconds, then exits", async () => {
    const run = await launch("spawned");
    const t0 = Date.now();
    process.kill(run.launcher.pid, "SIGKILL");
    // 3 s grace between SIGTERM and SIGKILL, plus the 200 ms poll
    expect(await stillRunning(run.tree, 8000), run.output()).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(8000);
    await run.exited;
    expect(run.output()).toMatch(/owner \d+ is gone: stopping anvil:l\w+ \(\d+\), anvil:l\w+ \(\d+\), anvil:l\w+ \(\d+\), ponder \(group \d+\)/);
    rmSync(run.dir, { recursive: true, force: true });
  }, CASE_TIMEOUT_MS);

  it("behavior: SIGKILL of npm: the launcher is asked to stop (SIGTERM) and stops everything in order", async () => {
    const run = await launch("spawned");
    process.kill(run.npm.pid!, "SIGKILL");
    expect(await stillRunning(run.tree, 20_000), run.output()).toEqual([]);
    expect(run.output()).toMatch(new RegExp(`launcher ${run.npm.pid} is gone: SIGTERM to owner ${run.launcher.pid}`));
    expect(run.output()).toContain("stopping (SIGTERM)…");
    expect(run.output()).toMatch(/stopped: ponder, chains/);
    rmSync(run.dir, { recursive: true, force: true });
  }, CASE_TIMEOUT_MS);

  for (const presses of [1, 2]) {
    // Ponder is still starting or already serving (on a loaded machine it can take minutes): either way nothing may stay
    it(`behavior: Ctrl-C${presses === 2 ? " twice" : ""} (SIGINT to the process group): one stop, nothing left`, async () => {
      const run = await launch("spawned");
      process.kill(-run.npm.pid!, "SIGINT");
      if (presses === 2) {
        // the second press while the first stop is under way (if everything is already gone, there is nobody left to press it to)
        await new Promise((r) => setTimeout(r, 50));
        try {
          process.kill(-run.npm.pid!, "SIGINT");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
        }
      }
      const { code, signal } = await run.exited;
      // npm re-raises the signal its script ended by
      expect(code === 130 || signal === "SIGINT", `${code} ${signal} ${run.output()}`).toBe(true);
      expect(await stillRunning(run.tree, 5000), run.output()).toEqual([]);
      expect(run.output()).toContain("stopping (SIGINT)…");
      expect(run.output()).toMatch(/stopped: ponder, chains/);
      expect(run.output().match(/stopping \(/g)).toHaveLength(1);
      rmSync(run.dir, { recursive: true, force: true });
    }, CASE_TIMEOUT_MS);
  }
});
