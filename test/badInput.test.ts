/**
 * Bad input, end to end: a config with several mistakes reports all of them (in process and from
 * a real `ponder start`); an RPC that refuses connections is named by chain with its secrets
 * redacted; extreme on-chain values (max uint256, balances back to zero, an unknown token, zero and
 * negative oracle answers) are stored or flagged while indexing goes on.
 */
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { encodeDeployData, encodeFunctionData, maxUint256, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marginVaultAbi, priceFeedAbi, testTokenAbi, testTokenBytecode } from "../abis/index.js";
import { ConfigError } from "../config/ConfigError.js";
import { loadConfig } from "../config/loadConfig.js";
import { sendAndConfirm } from "../devnet/deploy.js";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { compareStore } from "./harness/compare.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { groundTruth } from "./harness/groundTruth.js";
import { freePort } from "./harness/ports.js";
import { readStore } from "./harness/store.js";
import { pollGraphql } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const TRADER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address; // anvil account 3, unlocked
const cleanup = new Cleanup();
let devnet: DevnetFixture;

beforeAll(async () => {
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
});
afterAll(async () => {
  await cleanup.run();
});

/** The devnet's config with six independent mistakes, and the key each one must be reported under. */
function brokenConfig(): { raw: Record<string, any>; keys: string[] } {
  const raw = JSON.parse(readFileSync(devnet.configPath, "utf8")) as Record<string, any>;
  raw.chains.l1.vault = "0x12";
  raw.chains.l2a.chainId = -5;
  raw.chains.l2b.pollingIntervalMs = "fast";
  raw.assets.ETH.cfMaintenance = "1.7";
  raw.markets.BTC.mmr = "abc";
  raw.ordering = "omnichian";
  return {
    raw,
    keys: ["chains.l1.vault", "chains.l2a.chainId", "chains.l2b.pollingIntervalMs", "assets.ETH.cfMaintenance", "markets.BTC.mmr", "ordering"],
  };
}

describe("config with several mistakes", () => {
  it("loadConfig reports every bad key at once", () => {
    const { raw, keys } = brokenConfig();
    let error: unknown;
    try {
      loadConfig({ env: { XMARGIN_CONFIG: "broken.json" }, readFile: () => JSON.stringify(raw) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issuePaths = (error as ConfigError).issues.map((i) => i.path);
    for (const key of keys) expect(issuePaths, `issue for ${key}`).toContain(key);
    for (const key of keys) expect((error as ConfigError).message).toContain(key);
  });

  it("ponder start exits and its log names every bad key", async () => {
    const { raw, keys } = brokenConfig();
    const configPath = path.join(devnet.dir, "broken.config.json");
    writeFileSync(configPath, JSON.stringify(raw, null, 2));
    const logs: string[] = [];
    const attempt = startPonder({
      cwd: ROOT,
      configPath,
      schema: uniqueSchema("bad_config"),
      port: await freePort(),
      pgliteDir: devnet.pgliteDir(),
      log: (l) => logs.push(l),
      startTimeoutMs: 60_000,
    });
    await expect(attempt).rejects.toThrow(/exited before serving/);
    const all = logs.join("\n");
    for (const key of keys) expect(all, `log mentions ${key}`).toContain(key);
  });
});

describe("RPC that refuses connections", () => {
  it("fails naming the chain, with the URL's secrets redacted everywhere", async () => {
    const closedPort = await freePort();
    // prove the port is closed right now
    await expect(
      new Promise((resolve, reject) => {
        const s = net.connect(closedPort, "127.0.0.1");
        s.once("connect", () => (s.destroy(), resolve("open")));
        s.once("error", reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const raw = JSON.parse(readFileSync(devnet.configPath, "utf8")) as Record<string, any>;
    raw.chains.l2b.rpc = `http://user:secret@127.0.0.1:${closedPort}/key123`;
    const configPath = path.join(devnet.dir, "refused.config.json");
    writeFileSync(configPath, JSON.stringify(raw, null, 2));
    const logs: string[] = [];
    let failure: unknown;
    let ponder: PonderProcess | undefined;
    try {
      ponder = await startPonder({
        cwd: ROOT,
        configPath,
        schema: uniqueSchema("refused"),
        port: await freePort(),
        pgliteDir: devnet.pgliteDir(),
        log: (l) => logs.push(l),
        redactLogs: false, // what Ponder itself prints: the config layer must have redacted it
        startTimeoutMs: 90_000,
      });
      cleanup.add(ponder, (p) => p.kill9(), "ponder");
      // Started anyway: it must not report itself caught up, and must say which chain is broken.
      await ponder.waitCaughtUp(devnet.caughtUp, 20_000);
    } catch (e) {
      failure = e;
    }
    expect(failure, "a refused RPC must not look healthy").toBeDefined();
    const all = logs.join("\n");
    expect(all).toMatch(/l2b/);
    expect(all).toContain(`127.0.0.1:${closedPort}`);
    // The password never appears, neither in Ponder's log nor in the error we raise.
    expect(all).not.toContain("secret");
    expect(String(failure)).not.toContain("secret");
    expect(String(failure)).toMatch(/l2b/);
  });
});

describe("extreme values", () => {
  it("max uint256, balances back to zero, an unknown token, zero and negative answers: stored or flagged, indexing goes on", async () => {
    const schema = uniqueSchema("extreme");
    const dir = devnet.pgliteDir();
    const ponder = cleanup.add(
      await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir: dir }),
      (p) => p.kill9(),
      "ponder",
    );
    const l1 = devnet.deployment.chains.find((c) => c.name === "l1")!;
    const l2a = devnet.deployment.chains.find((c) => c.name === "l2a")!;
    const [{ contractAddress }] = await sendAndConfirm(l1.rpcUrl, TRADER, [
      { data: encodeDeployData({ abi: testTokenAbi, bytecode: testTokenBytecode, args: ["Unknown", "UNK", 18] }), label: "deploy UNK" },
    ]);
    const unknown = contractAddress!;
    const tokenCall = (fn: string, args: unknown[]) => encodeFunctionData({ abi: testTokenAbi, functionName: fn as never, args: args as never });
    const vaultCall = (fn: string, args: unknown[]) => encodeFunctionData({ abi: marginVaultAbi, functionName: fn as never, args: args as never });
    const feedCall = (answer: bigint) => encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [answer] });
    // One batch per dependent step: sendAndConfirm estimates a batch against the state before it.
    await sendAndConfirm(l1.rpcUrl, TRADER, [
      { to: unknown, data: tokenCall("mint", [TRADER, maxUint256]), label: "mint max" },
      { to: unknown, data: tokenCall("approve", [l1.vault, maxUint256]), label: "approve max" },
    ]);
    await sendAndConfirm(l1.rpcUrl, TRADER, [{ to: l1.vault, data: vaultCall("deposit", [unknown, maxUint256]), label: "deposit max" }]);
    await sendAndConfirm(l1.rpcUrl, TRADER, [{ to: l1.vault, data: vaultCall("withdraw", [unknown, maxUint256 - 1n]), label: "withdraw to 1 wei" }]);
    await sendAndConfirm(l1.rpcUrl, l1.deployer, [
      { to: l1.feeds.ETH.address, data: feedCall(0n), label: "answer 0" },
      { to: l1.feeds.BTC.address, data: feedCall(-5n), label: "answer -5" },
    ]);
    // A marker after everything: an ordinary deposit on l1 and on l2a must still be indexed.
    const usdcAmount = 1_234_567n;
    for (const chain of [l1, l2a]) {
      await sendAndConfirm(chain.rpcUrl, TRADER, [
        { to: chain.quoteToken, data: tokenCall("mint", [TRADER, usdcAmount]), label: "mint usdc" },
        { to: chain.quoteToken, data: tokenCall("approve", [chain.vault, usdcAmount]), label: "approve usdc" },
      ]);
      await sendAndConfirm(chain.rpcUrl, TRADER, [{ to: chain.vault, data: vaultCall("deposit", [chain.quoteToken, usdcAmount]), label: "deposit usdc" }]);
    }
    await ponder.waitCaughtUp(devnet.caughtUp, 120_000);
    expect(ponder.hasExited()).toBe(false);
    // The live API answers while indexing goes on.
    await pollGraphql(ponder.url, `{ collaterals(where: { account: "${TRADER.toLowerCase()}" }) { items { chainId token amountRaw } } }`, (d: any) =>
      d.collaterals.items.length >= 3 ? d : undefined,
    );
    await ponder.stop();

    const store = await readStore({ kind: "pglite", directory: dir, schema });
    const truth = await groundTruth(devnet.truthChains);
    // latest_price after a non-positive answer is a policy (keep the last good one, or store and flag):
    // checked separately below.
    expect(compareStore(truth, store, { skipTables: ["latestPrice"] })).toEqual([]);

    const trader = TRADER.toLowerCase();
    const unk = store.collateral.find((r) => r.account === trader && r.token === unknown.toLowerCase());
    expect(unk?.amountRaw).toBe("1");
    expect(unk?.asset).toBeNull();
    expect(unk?.flag).toBeTruthy();
    const maxDeposit = store.ledger.find((r) => r.kind === "DEPOSIT" && r.token === unknown.toLowerCase());
    expect(maxDeposit?.amountRaw).toBe(maxUint256.toString());
    expect(maxDeposit?.newValueRaw).toBe(maxUint256.toString());
    for (const [feed, answer] of [
      [l1.feeds.ETH.address, "0"],
      [l1.feeds.BTC.address, "-5"],
    ] as const) {
      const round = store.priceRound.find((r) => r.feed === feed.toLowerCase() && r.answerRaw === answer);
      expect(round, `price round ${answer} stored`).toBeDefined();
      expect(round?.flag, `price round ${answer} flagged`).toBeTruthy();
      const latest = store.latestPrice.find((r) => r.chainId === String(l1.chainId) && r.feed === feed.toLowerCase());
      // Either the last good answer is kept, or the bad one is there with a flag: never an unflagged ≤ 0 price.
      expect(latest).toBeDefined();
      if (BigInt(latest!.answerRaw!) <= 0n) expect(latest!.flag).toBeTruthy();
    }
    for (const chain of [l1, l2a]) {
      const row = store.ledger.find(
        (r) => r.chainId === String(chain.chainId) && r.kind === "DEPOSIT" && r.account === trader && r.amountRaw === usdcAmount.toString(),
      );
      expect(row, `marker deposit on ${chain.name}`).toBeDefined();
    }
  });
});
