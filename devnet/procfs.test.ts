import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { descendants, isGroupRunning, isRunning, parseProcStat, readArgv, readProcStat } from "./procfs.js";

describe("parseProcStat", () => {
  it("default: reads state, ppid, pgid, sid and start time after the command name", () => {
    const text = "4242 (node) S 4000 4001 4002 34816 4001 4194560 2114 0 0 0 10 3 0 0 20 0 11 0 987654 1234567 890 18446744073709551615";
    expect(parseProcStat(text)).toEqual({ pid: 4242, comm: "node", state: "S", ppid: 4000, pgid: 4001, sid: 4002, startTime: 987654 });
  });

  it("behavior: a command name with spaces and parentheses", () => {
    const text = "7 (a) b (c)) Z 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0 0";
    expect(parseProcStat(text)).toMatchObject({ pid: 7, comm: "a) b (c)", state: "Z", ppid: 1, startTime: 55 });
  });

  it("behavior: truncated or garbled text gives undefined", () => {
    expect(parseProcStat("")).toBeUndefined();
    expect(parseProcStat("12 (x) S 1 2")).toBeUndefined();
  });
});

describe("/proc readers", () => {
  it("default: this process, a child's tree, and a group that ends", async () => {
    const self = readProcStat(process.pid)!;
    expect(self.ppid).toBe(process.ppid);
    expect(isRunning(process.pid, self.startTime)).toBe(true);
    expect(isRunning(process.pid, self.startTime + 1)).toBe(false); // a reused pid is another process
    expect(readArgv(process.pid)[0]).toMatch(/node/);

    const child = spawn("sh", ["-c", "sleep 30 & wait"], { detached: true, stdio: "ignore" });
    const pid = child.pid!;
    const exited = new Promise((done) => child.once("exit", done));
    let tree = descendants(process.pid);
    for (let i = 0; i < 50 && !tree.some((p) => p.comm === "sleep" && p.ppid === pid); i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = descendants(process.pid);
    }
    expect(tree.map((p) => p.pid)).toContain(pid);
    expect(tree.some((p) => p.comm === "sleep" && p.ppid === pid)).toBe(true);
    expect(isGroupRunning(pid)).toBe(true);
    process.kill(-pid, "SIGKILL");
    await exited;
    for (let i = 0; i < 100 && isGroupRunning(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isGroupRunning(pid)).toBe(false);
    expect(readArgv(pid)).toEqual([]);
  });
});
