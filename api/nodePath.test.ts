/**
 * The Node path (api/nodePath.ts) over a real Node HTTP server (@hono/node-server, as Ponder
 * serves the app): plain POST queries are answered on Node's request/response with the same
 * bytes, status and headers the WHATWG path gives; everything else stays on the WHATWG path.
 */
import { IncomingMessage } from "node:http";
import http from "node:http";
import { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createApi, mountApi, type XmarginApi } from "./createApi.js";
import { takesNodePath } from "./nodePath.js";
import { address, createWorld, standardScene, type World } from "./testing/fixture.js";
import { readSse } from "./testing/sse.js";

let world: World;
let api: XmarginApi;
let server: ServerType;
let base = "";
/** Status Hono saw for each request, as Ponder's metrics middleware reads it. */
const honoStatuses: number[] = [];

const ACCOUNT_QUERY = `query($a: String!) { account(address: $a) { tier healthFactor equityUsd chains { chainId collateral { asset amount valueUsd haircut } } asOf { now } } }`;

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  await world.book.ready;
  api = createApi({ book: world.book, production: true, limits: { maxBodyBytes: 4096 } });
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    honoStatuses.push(c.res.status);
  });
  mountApi(app, api, { intoPonderRegistry: false });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  api?.close();
  await world?.book.stop();
});

function post(body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

function viaWeb(body: string, headers: Record<string, string> = {}) {
  return api.handle(new Request("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
}

/** A POST without Content-Length (chunked), which fetch cannot send from a string. */
function postChunked(body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${base}/graphql`);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
    req.end();
  });
}

describe("takesNodePath", () => {
  function incoming(method: string, headers: Record<string, string>): IncomingMessage {
    const message = new IncomingMessage(new Socket());
    message.method = method;
    message.headers = headers;
    return message;
  }

  test("default: a POST with a declared length within the limit takes it", () => {
    expect(takesNodePath(incoming("POST", { "content-length": "120" }), 4096)).toBe(true);
    expect(takesNodePath(incoming("POST", { "content-length": "4096", accept: "application/json" }), 4096)).toBe(true);
  });

  test("behavior: GET, chunked, oversized, malformed lengths and SSE stay on the WHATWG path", () => {
    expect(takesNodePath(incoming("GET", {}), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", {}), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", { "transfer-encoding": "chunked" }), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", { "content-length": "4097" }), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", { "content-length": "12abc" }), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", { "content-length": "-1" }), 4096)).toBe(false);
    expect(takesNodePath(incoming("POST", { "content-length": "10", accept: "text/event-stream" }), 4096)).toBe(false);
  });
});

describe("over a real Node HTTP server", () => {
  test("default: a POST query is answered on the Node path, byte for byte what the WHATWG path answers", async () => {
    const web = vi.spyOn(api, "handle");
    try {
      for (const body of [
        JSON.stringify({ query: ACCOUNT_QUERY, variables: { a: address(2) } }),
        JSON.stringify({ query: "{ system { deficiencyUsd accountsPerTier { safe } } }" }),
      ]) {
        const before = honoStatuses.length;
        const node = await post(body);
        const webAnswer = await viaWeb(body);
        expect(node.status).toBe(200);
        expect(node.headers.get("content-type")).toBe(webAnswer.headers.get("content-type"));
        const text = await node.text();
        expect(text).toBe(await webAnswer.text());
        expect(JSON.parse(text).errors).toBeUndefined();
        expect(honoStatuses.slice(before)).toEqual([200]);
      }
      // the spy saw only the two direct viaWeb calls: the server never fell back to `handle`
      expect(web).toHaveBeenCalledTimes(2);
    } finally {
      web.mockRestore();
    }
  });

  test("behavior: coded errors keep their HTTP status and body, and Hono (Ponder's metrics) sees the status", async () => {
    const accept = { accept: "application/graphql-response+json, application/json" };
    const cases: { body: string; code?: string; message: RegExp }[] = [
      { body: JSON.stringify({ query: `{ account(address: "0x12") { tier } }` }), code: "BAD_ADDRESS", message: /expected 0x followed by 40 hex digits/ },
      { body: JSON.stringify({ query: "{ account(" }), code: "GRAPHQL_PARSE_FAILED", message: /Syntax Error/ },
      { body: JSON.stringify({ query: "{ accounts(first: 1000000) { totalCount } }" }), code: "LIMIT_EXCEEDED", message: /1000000/ },
      { body: "{ not json", message: /JSON/i },
    ];
    for (const headers of [accept, {}]) {
      for (const c of cases) {
        const before = honoStatuses.length;
        const node = await post(c.body, headers);
        const webAnswer = await viaWeb(c.body, headers);
        expect(node.status, c.body).toBe(webAnswer.status);
        const text = await node.text();
        const webText = await webAnswer.text();
        // the JSON parser's own wording differs between the two body readers; the error does not
        if (c.code) expect(text).toBe(webText);
        else expect(JSON.parse(text).errors[0].extensions.code).toBe(JSON.parse(webText).errors[0].extensions.code);
        const error = JSON.parse(text).errors[0];
        expect(error.message).toMatch(c.message);
        if (c.code) expect(error.extensions.code).toBe(c.code);
        if (headers === accept) expect(node.status).toBe(400);
        expect(honoStatuses.slice(before)).toEqual([node.status]);
      }
    }
  });

  test("behavior: a body over the limit is refused by its declared length, and a chunked one while it is read", async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: "x".repeat(5000) } });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).errors[0].extensions.code).toBe("BODY_LIMIT");

    const chunked = await postChunked(big);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text).errors[0].message).toContain("at most 4096 are accepted");

    const small = await postChunked(JSON.stringify({ query: "{ system { action } }" }));
    expect(small.status).toBe(200);
    expect(JSON.parse(small.text).data.system.action).toBeTypeOf("string");
  });

  test("behavior: subscriptions over SSE and GET queries stay on the WHATWG path and work", async () => {
    const web = vi.spyOn(api, "handle");
    try {
      const get = await fetch(`${base}/graphql?query=${encodeURIComponent("{ system { action } }")}`);
      expect(get.status).toBe(200);
      expect(((await get.json()) as any).data.system.action).toBeTypeOf("string");

      const controller = new AbortController();
      const sse = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: `subscription { accountHealth(address: "${address(1)}") { tier } }` }),
        signal: controller.signal,
      });
      expect(sse.headers.get("content-type")).toContain("text/event-stream");
      const events = readSse(sse);
      const first = await events.next(10_000);
      expect(JSON.parse(first.data).data.accountHealth.tier).toBe("SAFE");
      controller.abort();
      await events.close().catch(() => undefined);
      expect(web).toHaveBeenCalledTimes(2);
    } finally {
      web.mockRestore();
    }
  });

  test("behavior: after bad and aborted requests the server keeps answering on the Node path", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? "{ nope" : JSON.stringify({ query: "{ __typename }" }))));
    const ok = await post(JSON.stringify({ query: ACCOUNT_QUERY, variables: { a: address(1) } }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).data.account.tier).toBe("SAFE");
  });
});
