/**
 * Preflight against real sockets: a local JSON-RPC server answering eth_chainId, a port nobody
 * listens on, a server that accepts and never answers, and one that fails its first requests.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { exampleRawConfig } from "./fixtures.js";
import { checkRpcs } from "./preflight.js";
import { validateConfig } from "./validateConfig.js";

const servers: Server[] = [];

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A port that refuses: bind one, close it, use it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let port1337001 = 0;
let port1 = 0;
let silentPort = 0;
let flakyPort = 0;
/** Requests each server has seen. */
const seen = { wrongChain: 0, flaky: 0 };

beforeAll(async () => {
  const rpc = (chainId: number) => (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { id, method } = JSON.parse(body);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(method === "eth_chainId" ? { jsonrpc: "2.0", id, result: `0x${chainId.toString(16)}` } : { jsonrpc: "2.0", id, error: { code: -32601, message: "no" } }));
    });
  };
  port1337001 = await listen(rpc(1337001));
  const chain1 = rpc(1);
  port1 = await listen((req, res) => {
    seen.wrongChain++;
    chain1(req, res);
  });
  silentPort = await listen(() => undefined);
  // Rate-limited, then a dropped connection, then the right answer: what a flaky provider does.
  const chain1337001 = rpc(1337001);
  flakyPort = await listen((req, res) => {
    seen.flaky++;
    if (seen.flaky === 1) {
      res.writeHead(429).end("Too Many Requests");
    } else if (seen.flaky === 2) {
      req.socket.destroy();
    } else {
      chain1337001(req, res);
    }
  });
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function configWith(rpcL1: string | string[], rpcL2: string | string[]) {
  const raw = exampleRawConfig();
  raw.chains.l1.rpc = rpcL1;
  raw.chains.l2a.rpc = rpcL2;
  raw.chains.l2a.chainId = 1;
  return validateConfig(raw);
}

describe("checkRpcs", () => {
  test("default: every RPC reports its configured chain id", async () => {
    await expect(checkRpcs(configWith(`http://127.0.0.1:${port1337001}`, `http://127.0.0.1:${port1}`))).resolves.toBeUndefined();
  });

  test("behavior: refused, timed out and wrong chain, all in one error, URLs redacted", async () => {
    const refused = await closedPort();
    const config = configWith(`http://127.0.0.1:${refused}/v2/abcdef123456`, [`http://127.0.0.1:${port1337001}`, `http://127.0.0.1:${silentPort}`]);
    const error = await checkRpcs(config, { timeoutMs: 500, retryDelayMs: 20 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual([
      `chains.l1.rpc: 'http://127.0.0.1:${refused}/v2/***' refused the connection (3 attempts); expected a reachable RPC of chain 1337001`,
      `chains.l2a.rpc[0]: 'http://127.0.0.1:${port1337001}' is chain 1337001; expected chain 1 (chains.l2a.chainId)`,
      `chains.l2a.rpc[1]: 'http://127.0.0.1:${silentPort}' did not answer within 500 ms (3 attempts); expected a reachable RPC of chain 1`,
    ]);
    expect((error as ConfigError).code).toBe("RPC_PREFLIGHT");
    expect((error as Error).message).not.toContain("abcdef123456");
  });

  test("behavior: a flaky RPC (429, then a dropped connection) passes on the third attempt", async () => {
    seen.flaky = 0;
    await expect(checkRpcs(configWith(`http://127.0.0.1:${flakyPort}`, `http://127.0.0.1:${port1}`), { retryDelayMs: 20 })).resolves.toBeUndefined();
    expect(seen.flaky).toBe(3);
    seen.flaky = 0;
    const error = await checkRpcs(configWith(`http://127.0.0.1:${flakyPort}`, `http://127.0.0.1:${port1}`), { attempts: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as ConfigError).issues.map((i) => i.message)).toEqual([`'http://127.0.0.1:${flakyPort}' answered HTTP 429; expected a reachable RPC of chain 1337001`]);
  });

  test("behavior: a wrong chain id is an answer: asked once, not retried", async () => {
    seen.wrongChain = 0;
    const error = await checkRpcs(configWith(`http://127.0.0.1:${port1}`, `http://127.0.0.1:${port1}`), { retryDelayMs: 20 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(["chains.l1.rpc"]);
    expect(seen.wrongChain).toBe(2); // one per configured URL
  });

  test("behavior: ws URL that refuses", async () => {
    const refused = await closedPort();
    const error = await checkRpcs(configWith(`http://127.0.0.1:${port1337001}`, `ws://127.0.0.1:${refused}`), { timeoutMs: 1000, retryDelayMs: 20 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as ConfigError).issues).toHaveLength(1);
    expect((error as ConfigError).issues[0].path).toBe("chains.l2a.rpc");
    expect((error as ConfigError).issues[0].message).toMatch(new RegExp(`^'ws://127.0.0.1:${refused}' (refused the connection|failed)`));
  });
});
