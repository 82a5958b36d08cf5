/**
 * The abuse cases of api/testing/abuseCases.ts against the whole stack as `npm start` runs it:
 * real anvil chains with the simulator trading on them, a real Ponder process on the embedded
 * PGlite (the default, where the store lives in the indexing thread), and the risk API in its
 * serving worker. After every case: a liveness query answers within 2 s, every refusal has its
 * code and the spec's status, **the indexer kept indexing** (a chain's indexed block moved past
 * where it was before the case), the serving worker was never restarted, and its heap stayed under
 * its cap (xmargin_serving_heap_used_bytes from /metrics).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { pollUntil } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { inBatches, sendAbuse } from "../api/testing/abuseClient.js";
import { ABUSE_CASES, LIVENESS, type AbuseInput, type AbuseRequest } from "../api/testing/abuseCases.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const HEAP_CAP_MB = 512;
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let sim: Simulator;
let account = "";
const logs: string[] = [];
const measured: string[] = [];
const stopTrading = new AbortController();

const send = (r: AbuseRequest) => sendAbuse(ponder.url, r);


/** The highest block Ponder has indexed on any chain (/status, answered by the indexing thread). */
async function indexedBlocks(): Promise<Map<string, number>> {
  const status = await ponder.status();
  return new Map(Object.entries(status).map(([name, s]) => [name, s.block.number]));
}

async function servingHeap(): Promise<{ used: number; limit: number }> {
  const text = await (await fetch(`${ponder.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { used: read("xmargin_serving_heap_used_bytes"), limit: read("xmargin_serving_heap_limit_bytes") };
}

beforeAll(async () => {
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 40, seed: 9 });
  await sim.run({ steps: 10 });
  ponder = cleanup.add(
    await startPonder({
      cwd: ROOT,
      configPath: devnet.configPath,
      schema: uniqueSchema("abuse"),
      port: await freePort(),
      pgliteDir: devnet.pgliteDir(),
      env: { XMARGIN_API_HEAP_MB: String(HEAP_CAP_MB) },
      log: (line) => void logs.push(line),
    }),
    (p) => p.kill9(),
    "ponder",
  );
  await ponder.waitCaughtUp(devnet.caughtUp, 180_000);
  const first = await pollUntil(
    async () => {
      const r = await send({ method: "POST", path: "/graphql", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ accounts(first: 1, orderBy: ADDRESS_ASC) { nodes { address } } }" }) });
      const address = r.body?.data?.accounts?.nodes?.[0]?.address;
      if (typeof address !== "string") throw new Error(JSON.stringify(r.body).slice(0, 300));
      return address as string;
    },
    120_000,
    "the risk book",
    250,
  );
  account = first;
  // Trading goes on during every case: the indexer has new blocks to index throughout.
  void sim.run({ signal: stopTrading.signal }).catch(() => undefined);
  cleanup.defer(() => stopTrading.abort(), "simulator");
}, 420_000);

afterAll(async () => {
  stopTrading.abort();
  if (measured.length > 0) console.log(`abuse against the full stack (PGlite, serving heap cap ${HEAP_CAP_MB} MB):\n  ${measured.join("\n  ")}`);
  await cleanup.run();
});

describe("abuse against npm start's topology: no request stops indexing or the API", () => {
  const accept: AbuseInput["accept"] = "application/graphql-response+json";
  for (const c of ABUSE_CASES) {
    test(c.name, async () => {
      const before = await indexedBlocks();
      const requests = c.requests({ account, now: Math.floor(Date.now() / 1000) - 5, accept });
      const started = performance.now();
      const answers = await inBatches(requests, c.concurrency ?? requests.length, send);
      const elapsedMs = performance.now() - started;
      for (const a of answers) {
        const code = a.body?.errors?.[0]?.extensions?.code ?? null;
        if (c.expect.code === null) {
          if (code !== null && code === c.mayRefuse) continue;
          expect(a.status, JSON.stringify(a.body).slice(0, 300)).toBe(200);
        } else {
          expect(code, JSON.stringify(a.body).slice(0, 300)).toBe(c.expect.code);
          expect(a.status).toBe(c.expect.status);
        }
      }
      const t0 = performance.now();
      const live = await send({ method: "POST", path: "/graphql", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: LIVENESS.query }) });
      const liveMs = performance.now() - t0;
      expect(live.status).toBe(200);
      expect(LIVENESS.check(live.body)).toBe(true);
      expect(liveMs).toBeLessThan(2000);
      // The indexer kept indexing: some chain's indexed block moved past where it was.
      const moved = await pollUntil(
        async () => {
          const now = await indexedBlocks();
          const m = [...now].find(([name, block]) => block > (before.get(name) ?? Infinity));
          if (!m) throw new Error(`indexed blocks still ${JSON.stringify([...now])}`);
          return m;
        },
        30_000,
        "a chain's indexed block to move",
        200,
      );
      const heap = await servingHeap();
      expect(heap.used).toBeLessThan(heap.limit);
      expect(heap.limit).toBeLessThan((HEAP_CAP_MB + 200) * 2 ** 20);
      expect(logs.filter((l) => l.includes("serving worker stopped") || l.includes("serving worker exited"))).toEqual([]);
      measured.push(
        `${c.name}: ${requests.length} request(s) in ${elapsedMs.toFixed(0)} ms, liveness ${liveMs.toFixed(0)} ms, ${moved[0]} indexed on to ${moved[1]}, serving heap ${(heap.used / 2 ** 20).toFixed(0)} MB`,
      );
    }, 300_000);
  }
});
