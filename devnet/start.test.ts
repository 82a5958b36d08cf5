/**
 * `npm start` end to end: real anvil chains, real Ponder; the printed endpoints answer, and SIGTERM
 * leaves no process behind. Plus the pure helpers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort, isPortFree } from "./chains.js";
import { freshPgliteDir, sumMetric } from "./start.js";

describe("sumMetric", () => {
  it("default: sums every label set of one metric and ignores similarly named ones", () => {
    const text = [
      "# HELP ponder_indexing_completed_events x",
      'ponder_indexing_completed_events{event="MarginVault:PositionUpdated"} 12',
      'ponder_indexing_completed_events{event="PriceFeed:AnswerUpdated"} 30',
      "ponder_indexing_completed_events_total 999",
    ].join("\n");
    expect(sumMetric(text, "ponder_indexing_completed_events")).toBe(42);
    expect(sumMetric("", "x")).toBe(0);
  });
});

describe("freshPgliteDir", () => {
  it("default: removes older pglite-* directories and creates a new one", () => {
    const base = mkdtempSync(join(tmpdir(), "xmargin-start-"));
    mkdirSync(join(base, "pglite-1"));
    mkdirSync(join(base, "keep-me"));
    const dir = freshPgliteDir(base, 2);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(base).sort()).toEqual(["keep-me", "pglite-2"]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

describe("npm start", () => {
  it("starts chains, Ponder and the API, then stops every child on SIGTERM", async () => {
    const apiPort = await findFreePort();
    let base = 0;
    for (let i = 0; i < 50 && !base; i++) {
      const b = 20000 + Math.floor(Math.random() * 11000);
      if ((await isPortFree(b)) && (await isPortFree(b + 1)) && (await isPortFree(b + 2))) base = b;
    }
    const root = resolve(import.meta.dirname, "..");
    child = spawn(process.execPath, ["--import", "tsx", "devnet/start.ts", "--port", String(apiPort), "--chain-port-base", String(base), "--accounts", "20", "--no-liquidator"], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "", XMARGIN_DEVNET_DIR: mkdtempSync(join(tmpdir(), "xmargin-devnet-")) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 180_000;
    while (!out.includes("simulator:") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out, out).toContain("xmargin devnet is running");
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(4); // three chains and Ponder
    const apiUrl = out.match(/API\s+(http:\/\/\S+)/)![1]!;
    expect((await fetch(`${apiUrl}/health`)).status).toBe(200);
    expect(out).toContain(`http://127.0.0.1:${base}`);
    expect(out).toMatch(/config\s+\/tmp\/xmargin-devnet-/);
    const chainId = await fetch(`http://127.0.0.1:${base + 1}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' }).then((r) => r.json() as Promise<{ result: string }>);
    expect(Number(chainId.result)).toBe(1337002);

    const exited = new Promise<number | null>((done) => child!.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(pids.filter(alive)).toEqual([]);
  });
});
