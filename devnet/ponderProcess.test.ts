/**
 * startPonder against real anvil chains and a real Ponder process (the bare app in bench/baseline,
 * so this runs whatever state the xmargin indexer is in): /health, caught-up detection, the port
 * Ponder really bound when the asked one is taken, stop and kill -9 of the whole process group.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, uniqueSchema } from "../test/harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "../test/harness/devnet.js";
import { readEvents } from "../test/harness/groundTruth.js";
import { freePort } from "../test/harness/ports.js";
import { readStore } from "../test/harness/store.js";
import { createPublicClient, http, type PublicClient } from "viem";
import { DEFAULT_PONDER_HEAP_MB, PonderProcessError, ponderHeapMb, rpcBlockNumber, startPonder } from "./ponderProcess.js";

const BASELINE = path.resolve(import.meta.dirname, "../bench/baseline");
const cleanup = new Cleanup();
let devnet: DevnetFixture;

beforeAll(async () => {
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
});
afterAll(async () => {
  await cleanup.run();
});

/** The inotify watches a process holds (Linux: `inotify wd:` lines of its inotify descriptors). */
function inotifyWatches(pid: number): number {
  let watches = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== "anon_inode:inotify") continue;
    watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").split("\n").filter((l) => l.startsWith("inotify wd:")).length;
  }
  return watches;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("rpcBlockNumber", () => {
  const KEY = "Xk3-9fQz_T1mWb7Lp0sVhN2cRjY8eUaD";

  it("behavior: a failing RPC is named with its credentials and key redacted (fetch's own error quotes the URL)", async () => {
    const url = `http://rpcuser:hunter2pw@127.0.0.1:${await freePort()}/v2/${KEY}?apikey=${KEY}`;
    const error = await rpcBlockNumber(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PonderProcessError);
    const shown = `${String(error)} ${JSON.stringify((error as PonderProcessError).details)} ${String((error as Error).cause ?? "")}`;
    expect(shown).not.toContain("hunter2pw");
    expect(shown).not.toContain(KEY);
    expect(shown).toContain("http://***@127.0.0.1:");
  });

  it("behavior: user info is sent as basic auth, so a URL with credentials reads the real head", async () => {
    const chain = devnet.chains[0];
    const withAuth = chain.rpcUrl.replace("://", "://rpcuser:hunter2pw@");
    expect(withAuth).not.toBe(chain.rpcUrl);
    const head = await rpcBlockNumber(chain.rpcUrl);
    const viaAuth = await rpcBlockNumber(withAuth);
    expect(viaAuth).toBeGreaterThanOrEqual(head);
    expect(viaAuth).toBeGreaterThan(0);
  });
});

describe("startPonder", () => {
  it("default: serves /health, catches up with every chain, the store holds every event", async () => {
    const schema = uniqueSchema("pp_default");
    const dir = devnet.pgliteDir();
    const ponder = cleanup.add(
      await startPonder({ cwd: BASELINE, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir: dir }),
      (p) => p.kill9(),
      "ponder",
    );
    await ponder.waitCaughtUp(devnet.caughtUp, 120_000);
    // runs under xmargin's V8 heap cap (Ponder sizes its row cache from it)
    if (process.platform === "linux") {
      const environ = readFileSync(`/proc/${ponder.pid}/environ`, "utf8").split("\0");
      expect(environ.find((e) => e.startsWith("NODE_OPTIONS="))).toMatch(new RegExp(`--max-old-space-size=${DEFAULT_PONDER_HEAP_MB}\\b`));
      // no file watcher (patches/ponder+0.16.10.patch): unpatched, Vite's chokidar watched every
      // directory under the app's root, a PGlite data directory there included, on the indexing thread
      expect(inotifyWatches(ponder.pid)).toBe(0);
    }
    const status = await ponder.status();
    for (const c of devnet.chains) {
      expect(status[c.name]?.id).toBe(c.chainId);
      expect(status[c.name]!.block.number).toBeGreaterThanOrEqual(await rpcBlockNumber(c.rpcUrl));
    }
    await ponder.stop();
    expect(alive(ponder.pid)).toBe(false);

    let expected = 0;
    for (const chain of devnet.truthChains) {
      const client = createPublicClient({ transport: http(devnet.chains.find((c) => c.name === chain.name)!.rpcUrl) }) as PublicClient;
      expected += (await readEvents(client, chain, await rpcBlockNumber(String(chain.rpc)))).length;
    }
    const store = await readStore({ kind: "pglite", directory: dir, schema }, ["event"]);
    expect(expected).toBeGreaterThan(0);
    expect(store.event.length).toBe(expected);
  });

  it("behavior: port taken → reports the port Ponder really bound; strictPort fails naming both", async () => {
    const port = await freePort(3);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", () => r()));
    cleanup.defer(() => new Promise((r) => blocker.close(() => r(undefined))), "blocker");

    const ponder = cleanup.add(
      await startPonder({ cwd: BASELINE, configPath: devnet.configPath, schema: uniqueSchema("pp_port"), port, pgliteDir: devnet.pgliteDir() }),
      (p) => p.kill9(),
      "ponder",
    );
    expect(ponder.port).toBeGreaterThan(port);
    expect((await fetch(`${ponder.url}/health`)).status).toBe(200);
    await ponder.kill9();
    expect(alive(ponder.pid)).toBe(false);

    const attempt = startPonder({
      cwd: BASELINE,
      configPath: devnet.configPath,
      schema: uniqueSchema("pp_strict"),
      port,
      pgliteDir: devnet.pgliteDir(),
      strictPort: true,
    });
    await expect(attempt).rejects.toThrow(PonderProcessError);
    await expect(attempt).rejects.toThrow(new RegExp(`instead of ${port}`));
  });

  it("behavior: a broken app fails with its own log lines, not a timeout", async () => {
    const attempt = startPonder({
      cwd: BASELINE,
      configPath: path.join(devnet.dir, "does-not-exist.json"),
      schema: uniqueSchema("pp_broken"),
      port: await freePort(),
      pgliteDir: devnet.pgliteDir(),
    });
    await expect(attempt).rejects.toThrow(/exited before serving \/health[\s\S]*does-not-exist\.json/);
  });
});

describe("ponderHeapMb", () => {
  it("default: unset → the default cap; 0 → Node's own limit; whole MB ≥ 256 as given", () => {
    expect(ponderHeapMb(undefined)).toBe(DEFAULT_PONDER_HEAP_MB);
    expect(ponderHeapMb("")).toBe(DEFAULT_PONDER_HEAP_MB);
    expect(ponderHeapMb("0")).toBe(0);
    expect(ponderHeapMb("2048")).toBe(2048);
  });
  it("behavior: a value that is not a whole number of MB ≥ 256 is a clear error", () => {
    expect(() => ponderHeapMb("100")).toThrow(/XMARGIN_PONDER_HEAP_MB is '100'; expected 0 .* or a whole number of MB ≥ 256/);
    expect(() => ponderHeapMb("1g")).toThrow(PonderProcessError);
  });
});
