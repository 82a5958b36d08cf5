/**
 * The abuse suite: api/testing/abuseCases.ts over real HTTP against a real Node server
 * (@hono/node-server, as Ponder serves the app) with the API over a real risk book holding a
 * month of 10-minute oracle rounds on three chains. After every case: a liveness query answers
 * within 2 s, every refusal has its code and the spec's status for the media type asked, and the
 * heap after a full gc stays within HEAP_BOUND_BYTES of what it was before the first case.
 */
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApi, mountApi, type XmarginApi } from "./createApi.js";
import { inBatches, sendAbuse } from "./testing/abuseClient.js";
import { ABUSE_CASES, LIVENESS, SUBSCRIPTION_FLOOD, type AbuseInput, type AbuseRequest } from "./testing/abuseCases.js";
import { address, createWorld, priceHistory, standardScene, type World } from "./testing/fixture.js";
import { readSse } from "./testing/sse.js";

/**
 * Heap growth allowed over the whole suite: the parse cache (16 MB estimated) plus the compiled
 * cache (64 MB estimated) full, plus slack: the cache churn case measured 157 MB over baseline
 * on this machine, more than the two estimates add up to (see the README).
 */
const HEAP_BOUND_BYTES = 256 * 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let world: World;
let api: XmarginApi;
let server: ServerType;
let base = "";
let baselineHeap = 0;
const measured: string[] = [];

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  priceHistory(world, 30, 600);
  await world.book.start();
  await world.book.ready;
  api = createApi({ book: world.book, production: true });
  const app = new Hono();
  mountApi(app, api, { intoPonderRegistry: false });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  // longer than the client's keep-alive, so a reused connection is never closed under a request
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 60_000;
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await send({ method: "POST", path: "/graphql", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: LIVENESS.query }) });
  baselineHeap = heapAfterGc();
}, 120_000);

afterAll(async () => {
  if (measured.length > 0) console.log(`abuse suite (baseline heap ${(baselineHeap / 2 ** 20).toFixed(0)} MB):\n  ${measured.join("\n  ")}`);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  api?.close();
  await world?.book.stop();
});

const send = (r: AbuseRequest) => sendAbuse(base, r);


async function liveness(): Promise<number> {
  const started = performance.now();
  const r = await send({ method: "POST", path: "/graphql", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: LIVENESS.query }) });
  expect(r.status).toBe(200);
  expect(LIVENESS.check(r.body), JSON.stringify(r.body)).toBe(true);
  return performance.now() - started;
}

const input = (accept: AbuseInput["accept"]): AbuseInput => ({ account: address(2), now: world.time - 1, accept });

describe("abuse over HTTP: every refusal coded with the spec's status, the server stays live, the heap bounded", () => {
  for (const c of ABUSE_CASES.filter((c) => !process.env.ABUSE_ONLY || c.name.includes(process.env.ABUSE_ONLY))) {
    const accepts: AbuseInput["accept"][] =
      c.requests({ account: address(2), now: 0, accept: "application/json" }).length > 50 ? ["application/graphql-response+json"] : ["application/graphql-response+json", "application/json"];
    for (const accept of accepts) {
      test(`${c.name} (${accept})`, async () => {
        const requests = c.requests(input(accept));
        const started = performance.now();
        const answers = await inBatches(requests, c.concurrency ?? requests.length, send);
        const elapsedMs = performance.now() - started;
        const wanted = accept === "application/json" ? c.expect.statusJson : c.expect.status;
        for (const a of answers) {
          const code = a.body?.errors?.[0]?.extensions?.code ?? null;
          if (c.expect.code === null) {
            if (code !== null && code === c.mayRefuse) continue;
            expect(a.status, JSON.stringify(a.body).slice(0, 300)).toBe(200);
            expect(a.body.errors, JSON.stringify(a.body.errors)?.slice(0, 300)).toBeUndefined();
          } else {
            expect(code, JSON.stringify(a.body).slice(0, 300)).toBe(c.expect.code);
            expect(a.status, c.name).toBe(wanted);
            expect(String(a.body.errors[0].message).length).toBeGreaterThan(20);
            // refused before execution: no data at all, so nothing was compiled or run
            if (/_LIMIT$/.test(c.expect.code) && c.expect.code !== "BODY_LIMIT") expect("data" in a.body).toBe(false);
          }
        }
        const liveMs = await liveness();
        expect(liveMs).toBeLessThan(2000);
        const heap = heapAfterGc();
        measured.push(
          `${c.name} (${accept}): ${requests.length} request(s) in ${elapsedMs.toFixed(0)} ms, liveness ${liveMs.toFixed(0)} ms, heap after gc ${((heap - baselineHeap) / 2 ** 20).toFixed(1)} MB over baseline`,
        );
        expect(heap - baselineHeap).toBeLessThan(HEAP_BOUND_BYTES);
      }, 300_000);
    }
  }

  test(`${SUBSCRIPTION_FLOOD.name}; then distinct endangered thresholds above their cap`, async () => {
    const perClient = api.limits.maxSubscriptionsPerClient;
    const controllers: AbortController[] = [];
    const open = async (r: AbuseRequest) => {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(`${base}${r.path}`, { method: r.method, headers: r.headers, body: r.body, signal: controller.signal });
      const events = readSse(response);
      const first = await events.next(10_000);
      return { status: response.status, payload: JSON.parse(first.data) as any, events };
    };
    try {
      const accepted = await inBatches(Array.from({ length: perClient }, (_, n) => n), 20, (n) => open(SUBSCRIPTION_FLOOD.request({ account: address(2) }, n)));
      for (const a of accepted) expect(a.payload.data?.accountHealth?.tier, JSON.stringify(a.payload)).toBeTypeOf("string");
      expect(api.hub.size("127.0.0.1") + api.hub.size("::ffff:127.0.0.1")).toBe(perClient);
      const over = await open(SUBSCRIPTION_FLOOD.request({ account: address(2) }, perClient));
      expect(over.payload.errors?.[0]?.extensions?.code).toBe(SUBSCRIPTION_FLOOD.code);
      expect(over.payload.errors[0].message).toMatch(new RegExp(`already has ${perClient} open subscriptions`));
      expect(await liveness()).toBeLessThan(2000);
    } finally {
      for (const c of controllers) c.abort();
      controllers.length = 0;
    }
    await expect.poll(() => api.hub.size(), { timeout: 10_000 }).toBe(0);

    const maxThresholds = api.limits.maxEndangeredThresholds;
    try {
      const accepted = await inBatches(Array.from({ length: maxThresholds }, (_, n) => n), 8, (n) => open(SUBSCRIPTION_FLOOD.threshold(n)));
      for (const a of accepted) expect(a.payload.data?.endangeredAccounts, JSON.stringify(a.payload)).toBeDefined();
      expect(api.hub.thresholds()).toBe(maxThresholds);
      const over = await open(SUBSCRIPTION_FLOOD.threshold(maxThresholds));
      expect(over.payload.errors?.[0]?.extensions?.code).toBe("LIMIT_EXCEEDED");
      expect(over.payload.errors[0].message).toMatch(/distinct maxHealthFactor thresholds/);
      // an existing threshold is still served
      const same = await open(SUBSCRIPTION_FLOOD.threshold(0));
      expect(same.payload.data?.endangeredAccounts).toBeDefined();
      expect(await liveness()).toBeLessThan(2000);
    } finally {
      for (const c of controllers) c.abort();
    }
    await expect.poll(() => api.hub.size(), { timeout: 10_000 }).toBe(0);
    expect(api.hub.thresholds()).toBe(0);
  }, 120_000);

  test("CORS: a foreign origin gets no CORS headers (same-origin default); no Origin is reflected", async () => {
    const preflight = await fetch(`${base}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const post = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ query: LIVENESS.query }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS allow-list", () => {
  test("behavior: only an allow-listed origin is answered with CORS headers and credentials", async () => {
    const listed = createApi({ book: world.book, production: true, origins: ["https://dash.example.com"] });
    try {
      const ask = (origin: string) =>
        listed.handle(new Request("http://api.local/graphql", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } }));
      const ok = await ask("https://dash.example.com");
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://dash.example.com");
      expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
      const evil = await ask("https://evil.example");
      expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      listed.close();
    }
  });
});
