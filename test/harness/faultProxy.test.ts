/**
 * The fault proxy against a real anvil: unfaulted answers are anvil's own, each fault looks the way
 * a client sees it in the wild, rates hold over many requests, and a stall really holds requests
 * (an abandoned one never reaches the chain).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChain, type RunningChain } from "../../devnet/chains.js";
import { rpc } from "../../devnet/rpc.js";
import { Cleanup } from "./cleanup.js";
import { startFaultProxy, type FaultProxy } from "./faultProxy.js";
import { freePort } from "./ports.js";
import { track, untrack } from "./processes.js";

const cleanup = new Cleanup();
let chain: RunningChain;
let proxy: FaultProxy;

beforeAll(async () => {
  chain = await startChain({ name: "proxied", chainId: 1337999, port: await freePort() });
  track(chain.pid, "anvil:proxied", false);
  cleanup.add(chain, async (c) => {
    await c.stop();
    untrack(c.pid);
  }, "anvil");
  proxy = cleanup.add(await startFaultProxy({ target: chain.rpcUrl, port: await freePort(), seed: 3 }), (p) => p.close(), "proxy");
}, 60_000);

afterAll(async () => {
  await cleanup.run();
});

const post = (body: unknown, signal?: AbortSignal) =>
  fetch(proxy.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
const call = (method: string, params: unknown[] = [], id = 1) => ({ jsonrpc: "2.0", id, method, params });

describe("fault proxy", () => {
  it("default: without faults it answers what anvil answers, single calls and batches", async () => {
    proxy.clear();
    proxy.resetStats();
    expect(await rpc<string>(proxy.url, "eth_chainId")).toBe(await rpc<string>(chain.rpcUrl, "eth_chainId"));
    await rpc(chain.rpcUrl, "anvil_mine", ["0x3"]);
    const batch = (await (await post([call("eth_blockNumber", [], 7), call("eth_getBlockByNumber", ["0x2", false], 8)])).json()) as any[];
    expect(batch.map((b) => b.id)).toEqual([7, 8]);
    expect(batch[0].result).toBe(await rpc<string>(chain.rpcUrl, "eth_blockNumber"));
    expect(batch[1].result.hash).toBe((await rpc<any>(chain.rpcUrl, "eth_getBlockByNumber", ["0x2", false])).hash);
    const s = proxy.stats();
    expect(s.requests).toBe(2);
    expect(s.forwarded).toBe(2);
    expect(s.byMethod).toEqual({ eth_chainId: 1, eth_blockNumber: 1, eth_getBlockByNumber: 1 });
  });

  it("behavior: a dropped request is a closed socket or an HTTP 503", async () => {
    proxy.clear();
    proxy.set({ dropRate: 1, dropModes: ["close"] });
    await expect(post(call("eth_chainId"))).rejects.toThrow(/fetch failed/);
    proxy.set({ dropModes: ["503"] });
    const res = await post(call("eth_chainId"));
    expect(res.status).toBe(503);
    expect(proxy.stats().dropped).toMatchObject({ close: 1, "503": 1 });
  });

  it("behavior: errors are JSON-RPC -32000 / -32603 with the request's id, or HTTP 429", async () => {
    proxy.clear();
    for (const [kind, code] of [["-32000", -32000], ["-32603", -32603]] as const) {
      proxy.set({ errorRate: 1, errorKinds: [kind] });
      const res = await post(call("eth_blockNumber", [], 42));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 42, error: { code } });
    }
    proxy.set({ errorKinds: ["429"] });
    const limited = await post([call("eth_blockNumber", [], 1), call("eth_chainId", [], 2)]);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as any[]).map((a) => a.error.code)).toEqual([429, 429]);
  });

  it("behavior: malformed answers are 200s whose body is not JSON", async () => {
    proxy.clear();
    for (const kind of ["truncated", "garbage"] as const) {
      proxy.set({ malformedRate: 1, malformedKinds: [kind] });
      const res = await post(call("eth_blockNumber"));
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toThrow(SyntaxError);
    }
  });

  it("behavior: rates hold over many requests, and `methods` limits faults to those methods", async () => {
    proxy.clear();
    proxy.resetStats();
    proxy.set({ dropRate: 0.1, dropModes: ["503"], errorRate: 0.1, errorKinds: ["-32603"] });
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => post(call("eth_blockNumber", [], i)).then(async (r) => (r.status === 503 ? "drop" : (await r.json()).error ? "error" : "ok"))));
    const count = (k: string) => answers.filter((a) => a === k).length;
    // Seeded draws: ~50 of each; a broken rate (0 or all) is far outside these bounds.
    expect(count("drop")).toBeGreaterThan(25);
    expect(count("drop")).toBeLessThan(80);
    expect(count("error")).toBeGreaterThan(25);
    expect(count("error")).toBeLessThan(80);
    expect(proxy.stats().forwarded).toBe(count("ok"));

    proxy.set({ dropRate: 1, methods: ["eth_getLogs"] });
    expect(await rpc<string>(proxy.url, "eth_chainId")).toBe(await rpc<string>(chain.rpcUrl, "eth_chainId"));
    expect((await post(call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0x1" }]))).status).toBe(503);
  });

  it("behavior: a stall holds requests until released; one abandoned meanwhile never reaches the chain", async () => {
    proxy.clear();
    proxy.resetStats();
    const before = BigInt(await rpc<string>(chain.rpcUrl, "eth_blockNumber"));
    proxy.stall();
    expect(proxy.stalling).toBe(true);
    const startedAt = Date.now();
    const waiting = rpc<string>(proxy.url, "eth_blockNumber");
    // A client giving up while held: its evm_mine must not run after the release.
    await expect(post(call("evm_mine"), AbortSignal.timeout(300))).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(BigInt(await rpc<string>(chain.rpcUrl, "eth_blockNumber"))).toBe(before);
    proxy.release();
    expect(BigInt(await waiting)).toBe(before);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(BigInt(await rpc<string>(chain.rpcUrl, "eth_blockNumber"))).toBe(before);
    expect(proxy.stats()).toMatchObject({ stalled: 2, abandoned: 1, forwarded: 1 });

    const t0 = Date.now();
    const stalled = proxy.stallFor(700);
    const answer = await rpc<string>(proxy.url, "eth_chainId");
    await stalled;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(answer).toBe(await rpc<string>(chain.rpcUrl, "eth_chainId"));
    expect(proxy.stalling).toBe(false);
  });
});
