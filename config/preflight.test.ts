/**
 * Preflight against real sockets: a local JSON-RPC server answering eth_chainId, a port nobody
 * listens on, and a server that accepts and never answers.
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
  port1 = await listen(rpc(1));
  silentPort = await listen(() => undefined);
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
    const error = await checkRpcs(config, { timeoutMs: 500 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual([
      `chains.l1.rpc: 'http://127.0.0.1:${refused}/v2/***' refused the connection; expected a reachable RPC of chain 1337001`,
      `chains.l2a.rpc[0]: 'http://127.0.0.1:${port1337001}' is chain 1337001; expected chain 1 (chains.l2a.chainId)`,
      `chains.l2a.rpc[1]: 'http://127.0.0.1:${silentPort}' did not answer within 500 ms; expected a reachable RPC of chain 1`,
    ]);
    expect((error as ConfigError).code).toBe("RPC_PREFLIGHT");
    expect((error as Error).message).not.toContain("abcdef123456");
  });

  test("behavior: ws URL that refuses", async () => {
    const refused = await closedPort();
    const error = await checkRpcs(configWith(`http://127.0.0.1:${port1337001}`, `ws://127.0.0.1:${refused}`), { timeoutMs: 1000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as ConfigError).issues).toHaveLength(1);
    expect((error as ConfigError).issues[0].path).toBe("chains.l2a.rpc");
    expect((error as ConfigError).issues[0].message).toMatch(new RegExp(`^'ws://127.0.0.1:${refused}' (refused the connection|failed)`));
  });
});
