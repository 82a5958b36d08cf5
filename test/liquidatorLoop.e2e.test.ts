/**
 * The reference liquidator clears a crash, end to end (issue 4): three anvil chains, the real
 * xmargin Ponder app on a fresh PGlite directory, the risk API over HTTP, and the reference
 * liquidator (devnet/liquidator.ts) following the API's `endangeredAccounts` subscription over SSE.
 *
 * Four hand-built accounts, so every number at the end is known in advance:
 *   A  l1 only, lending: 10 WETH collateral, 16,000 USDC debt           → LIQUIDATABLE after −40%
 *   B  l2a only, perp:   2,000 USDC collateral, long 3 ETH at $3,000    → INSOLVENT after −40%
 *   C  cross-chain:      0.5 WBTC on l2b, 10,000 USDC debt on l1,
 *                        long 5 ETH at $3,000 on l2a                     → LIQUIDATABLE after −40%
 *   E  l2b, control:     10,000 USDC collateral, long 1 ETH              → stays SAFE, untouched
 * The crash moves ETH, BTC and ARB −40% on every chain's feed, mined in one block per chain. The
 * suite asserts the API reports A, B, C endangered, the liquidator's transactions are mined
 * (events on every chain, the same rows in the store), and the end state: no account LIQUIDATABLE
 * or INSOLVENT, zero deficiency, and the exact collateral left and insurance fund paid.
 */
import path from "node:path";
import { createClient, type Client } from "graphql-sse";
import { createPublicClient, encodeFunctionData, http, parseAbiItem, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { sendAndConfirm, type ChainDeployment } from "../devnet/deploy.js";
import { ENDANGERED_SUBSCRIPTION, startLiquidator, type EnteredAccount, type Liquidator } from "../devnet/liquidator.js";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { rpc } from "../devnet/rpc.js";
import { createNonceScope, TxSender, type NonceScope } from "../devnet/txSender.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { apiGraphql, pollUntil, storeGraphql } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const E18 = 10n ** 18n;
const usdc = (whole: bigint) => whole * 10n ** 6n;

/** Anvil's default accounts 2–5 (unlocked on every anvil; 0 is the deployer, 1 the liquidator). */
const A = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;
const B = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address;
const C = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address;
const E = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc" as Address;
const lower = (a: string) => a.toLowerCase();

/** Feed answers (USD × 1e8): devnet/defaults INITIAL_PRICES_USD8, and −40% for the crash. */
const CRASHED_USD8 = { ETH: 1_800n * 10n ** 8n, BTC: 36_000n * 10n ** 8n, ARB: 60_000_000n } as const;

const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let l1: ChainDeployment;
let l2a: ChainDeployment;
let l2b: ChainDeployment;
let nonceScopes: Record<string, NonceScope>;
let liquidator: Liquidator | undefined;
const liquidatorLog: string[] = [];
let observer: Client | undefined;
/** Every `entered` the test's own SSE client saw: address → tiers it entered with, in order. */
const entered = new Map<string, EnteredAccount["tier"][]>();
let observerEvents = 0;
let observerError: unknown = null;
let insuranceBefore: Record<string, bigint> = {};
let insuranceUsdBefore = "";
const timings: Record<string, number> = {};

async function gql(query: string, variables?: Record<string, unknown>): Promise<any> {
  return apiGraphql(ponder.url, query, variables);
}

/** Poll until `check` returns something other than undefined; the error carries Ponder's log tail. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  try {
    return await pollUntil(check, timeoutMs, what, 100);
  } catch (error) {
    throw new Error(`${String(error)}\nliquidator log:\n${liquidatorLog.join("\n")}\nponder log tail:\n${ponder?.logTail() ?? ""}`);
  }
}

/** Ponder has indexed every chain's head, and the API's risk book has reached those blocks. */
async function apiCaughtUp(timeoutMs: number): Promise<void> {
  await ponder.waitCaughtUp(devnet.caughtUp, timeoutMs);
  const heads = new Map(await Promise.all(devnet.chains.map(async (c) => [c.chainId, BigInt(await rpc<Hex>(c.rpcUrl, "eth_blockNumber"))] as const)));
  await waitFor("the risk book to reach every chain's head", timeoutMs, async () => {
    const d = await gql("{ asOf { chains { chainId blockNumber } } }");
    return d.asOf.chains.every((c: any) => BigInt(c.blockNumber) >= heads.get(c.chainId)!) || undefined;
  });
}

const vault = (fn: string, args: unknown[]): Hex => encodeFunctionData({ abi: marginVaultAbi, functionName: fn as never, args: args as never });
const token = (fn: string, args: unknown[]): Hex => encodeFunctionData({ abi: testTokenAbi, functionName: fn as never, args: args as never });

/**
 * One transaction at a time, each confirmed before the next: anvil's automine can park the later
 * transaction of a batch in its queued pool under load (devnet/anvilParked.ts resends it; one at a
 * time keeps the setup simple and its nonces obvious).
 */
async function sendOne(chain: ChainDeployment, from: Address, to: Address, data: Hex, label: string): Promise<void> {
  await sendAndConfirm(chain.rpcUrl, from, [{ to, data, label }]);
}

async function deposit(chain: ChainDeployment, from: Address, asset: keyof ChainDeployment["tokens"], amount: bigint): Promise<void> {
  const t = chain.tokens[asset].address;
  await sendOne(chain, from, t, token("mint", [from, amount]), `mint ${asset}`);
  await sendOne(chain, from, t, token("approve", [chain.vault, amount]), `approve ${asset}`);
  await sendOne(chain, from, chain.vault, vault("deposit", [t, amount]), `deposit ${asset}`);
}

async function seedAccounts(): Promise<void> {
  await Promise.all([
    (async () => {
      await deposit(l1, A, "ETH", 10n * E18);
      await sendAndConfirm(l1.rpcUrl, A, [{ to: l1.vault, data: vault("borrow", [l1.quoteToken, usdc(16_000n)]), label: "A borrows" }]);
      await sendAndConfirm(l1.rpcUrl, C, [{ to: l1.vault, data: vault("borrow", [l1.quoteToken, usdc(10_000n)]), label: "C borrows" }]);
    })(),
    (async () => {
      await deposit(l2a, B, "USDC", usdc(2_000n));
      await sendOne(l2a, B, l2a.vault, vault("trade", [1, 3n * E18]), "B longs 3 ETH");
      await sendOne(l2a, C, l2a.vault, vault("trade", [1, 5n * E18]), "C longs 5 ETH");
    })(),
    (async () => {
      await deposit(l2b, C, "BTC", 50_000_000n); // 0.5 WBTC (8 decimals)
      await deposit(l2b, E, "USDC", usdc(10_000n));
      await sendOne(l2b, E, l2b.vault, vault("trade", [1, E18]), "E longs 1 ETH");
    })(),
  ]);
}

/**
 * ETH, BTC, ARB −40% on every chain, each chain's three feed updates mined in one block, the three
 * blocks mined together: the liquidator then reads crashed feeds on every chain whichever chain
 * Ponder indexes first. Sent through the liquidator's nonce scopes (it pays insurance as the owner).
 */
async function crashAllChains(): Promise<void> {
  const chains = devnet.deployment.chains;
  await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_setAutomine", [false])));
  try {
    const sent = await Promise.all(
      chains.map(async (c) => {
        const sender = new TxSender<string>(c.rpcUrl, false, 500, nonceScopes[c.name]);
        const txs = (Object.keys(CRASHED_USD8) as (keyof typeof CRASHED_USD8)[]).map((asset) => ({
          from: c.deployer,
          to: c.feeds[asset].address,
          data: encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [CRASHED_USD8[asset]] }),
          gas: 200_000n,
          meta: asset,
        }));
        return { sender, ...(await sender.send(txs)) };
      }),
    );
    for (const s of sent) expect(s.outcomes.filter((o) => o.error)).toEqual([]);
    await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_mine")));
    await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_setAutomine", [true])));
    await Promise.all(sent.map((s) => s.sender.confirm(s.inFlight, 10_000)));
    for (const s of sent) expect(s.outcomes.filter((o) => o.error)).toEqual([]);
  } finally {
    await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_setAutomine", [true]).catch(() => undefined)));
  }
}

const read = (chain: ChainDeployment, functionName: string, args: unknown[]) =>
  createPublicClient({ transport: http(chain.rpcUrl) }).readContract({ address: chain.vault, abi: marginVaultAbi, functionName: functionName as never, args: args as never }) as Promise<any>;

async function insuranceBalances(): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const c of devnet.deployment.chains) out[c.name] = await read(c, "insuranceBalanceOf", [c.quoteToken]);
  return out;
}

const SYSTEM = "{ system { deficiencyUsd insuranceFundUsd accountsPerTier { safe marginCall liquidatable insolvent } } }";
const TIERS = `query($a: String!, $b: String!, $c: String!, $e: String!) {
  a: account(address: $a) { tier chainIds } b: account(address: $b) { tier chainIds }
  c: account(address: $c) { tier chainIds } e: account(address: $e) { tier chainIds } }`;
const tierVars = { a: A, b: B, c: C, e: E };

beforeAll(async () => {
  const t0 = Date.now();
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  [l1, l2a, l2b] = devnet.deployment.chains as [ChainDeployment, ChainDeployment, ChainDeployment];
  nonceScopes = Object.fromEntries(devnet.deployment.chains.map((c) => [c.name, createNonceScope()]));
  await seedAccounts();
  ponder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema: uniqueSchema("liq_loop"), port: await freePort(), pgliteDir: devnet.pgliteDir() }),
    (p) => p.stop(),
    "ponder",
  );
  await apiCaughtUp(90_000);
  timings.setupMs = Date.now() - t0;
}, 150_000);

afterAll(async () => {
  // the liquidator and the observer first: they hold SSE connections to Ponder
  if (liquidator) await liquidator.stop().catch(() => undefined);
  observer?.dispose();
  const errors = await cleanup.run();
  if (errors.length > 0) console.warn("cleanup:", errors);
  console.log(`liquidator loop timings (ms): ${JSON.stringify(timings)}`);
});

describe("the reference liquidator clears a crash (real anvil, Ponder, HTTP, SSE)", () => {
  test("default: the seeded accounts are indexed and SAFE before the crash", async () => {
    const d = await gql(TIERS, tierVars);
    expect(d).toEqual({
      a: { tier: "SAFE", chainIds: [l1.chainId] },
      b: { tier: "SAFE", chainIds: [l2a.chainId] },
      c: { tier: "SAFE", chainIds: [l1.chainId, l2a.chainId, l2b.chainId] },
      e: { tier: "SAFE", chainIds: [l2b.chainId] },
    });
    const s = (await gql(SYSTEM)).system;
    expect(s.accountsPerTier).toEqual({ safe: 4, marginCall: 0, liquidatable: 0, insolvent: 0 });
    expect(Number(s.deficiencyUsd)).toBe(0);
    insuranceBefore = await insuranceBalances();
    insuranceUsdBefore = s.insuranceFundUsd;
  });

  test("behavior: after a −40% crash the API reports A, B, C endangered and the liquidator's transactions are mined on every chain", async () => {
    // The test's own subscriber, to see what the API pushed whatever the liquidator does after.
    observer = createClient({ url: `${ponder.url}/graphql`, singleConnection: false, retryAttempts: 0 });
    observer.subscribe<{ endangeredAccounts: { entered: EnteredAccount[]; left: string[] } }>(
      { query: ENDANGERED_SUBSCRIPTION, variables: { maxHealthFactor: "1" } },
      {
        next: (v) => {
          observerEvents++;
          for (const e of v.data?.endangeredAccounts.entered ?? []) entered.set(lower(e.address), [...(entered.get(lower(e.address)) ?? []), e.tier]);
        },
        error: (e) => void (observerError = e),
        complete: () => undefined,
      },
    );
    liquidator = await startLiquidator({ apiUrl: ponder.url, deployment: devnet.deployment, nonceScopes, log: (m) => void liquidatorLog.push(m) });
    await waitFor("the liquidator and the observer to be subscribed", 20_000, async () =>
      (liquidatorLog.some((l) => l.startsWith("subscribed")) && observerEvents > 0) || undefined,
    );
    expect([...entered.keys()]).toEqual([]); // nothing endangered before the crash

    const fromBlocks = Object.fromEntries(await Promise.all(devnet.chains.map(async (c) => [c.name, BigInt(await rpc<Hex>(c.rpcUrl, "eth_blockNumber"))] as const)));
    const tCrash = Date.now();
    await crashAllChains();

    await waitFor("the API to push A, B and C as endangered", 30_000, async () => ([A, B, C].every((a) => entered.has(lower(a))) ? true : undefined));
    timings.crashToEndangeredMs = Date.now() - tCrash;
    expect(observerError).toBeNull();
    expect(entered.get(lower(A))![0]).toBe("LIQUIDATABLE");
    expect(entered.get(lower(B))![0]).toBe("INSOLVENT");
    expect(entered.get(lower(C))![0]).toBe("LIQUIDATABLE");

    await waitFor("the liquidator to finish A, B and C", 60_000, async () => (liquidator!.stats().liquidations >= 3 ? true : undefined));
    timings.crashToLiquidatedMs = Date.now() - tCrash;
    expect(liquidator.stats()).toMatchObject({ liquidations: 3, positionsClosed: 2, debtsRepaid: 2, seizures: 3, cashSettled: 2, failedTxs: 0, errors: 0 });

    // On chain: every liquidation event since the crash, per chain (viem getLogs).
    const seized = parseAbiItem("event CollateralSeized(address indexed account, address indexed token, address indexed liquidator, uint256 amount, uint256 newBalance)");
    const closed = parseAbiItem(
      "event PositionLiquidated(address indexed account, uint32 indexed marketId, address indexed liquidator, int256 sizeClosed, uint256 executionPrice, int256 realizedPnl, int256 fundingPaid, int256 newCash)",
    );
    const onChain: string[] = [];
    for (const c of devnet.deployment.chains) {
      const client = createPublicClient({ transport: http(c.rpcUrl) });
      const fromBlock = fromBlocks[c.name]!;
      for (const log of await client.getLogs({ address: c.vault, event: seized, fromBlock })) {
        expect(lower(log.args.liquidator!)).toBe(lower(c.liquidator));
        onChain.push(`${c.chainId}:collateral:${lower(log.args.account!)}:${log.args.amount}`);
      }
      for (const log of await client.getLogs({ address: c.vault, event: closed, fromBlock })) {
        expect(lower(log.args.liquidator!)).toBe(lower(c.liquidator));
        onChain.push(`${c.chainId}:position:${lower(log.args.account!)}:${log.args.sizeClosed}`);
      }
    }
    // Seizures, by hand (5% bonus, crashed feed prices, rounded down):
    //   A: 16,000 USDC debt → 16,800 / 1,800 = 9.333333333333333333 WETH
    //   B: cash −3,600 after the close → 3,780 USDC wanted, all 2,000 USDC there
    //   C: 10,000 USDC debt + 6,000 cash loss → 10,500 / 36,000 = 0.29166666 + 6,300 / 36,000 = 0.175 WBTC, on l2b
    expect(onChain.sort()).toEqual(
      [
        `${l1.chainId}:collateral:${lower(A)}:9333333333333333333`,
        `${l2a.chainId}:collateral:${lower(B)}:${usdc(2_000n)}`,
        `${l2a.chainId}:position:${lower(B)}:${3n * E18}`,
        `${l2a.chainId}:position:${lower(C)}:${5n * E18}`,
        `${l2b.chainId}:collateral:${lower(C)}:${29_166_666n + 17_500_000n}`,
      ].sort(),
    );

    // In the store: the same liquidation rows, indexed by Ponder.
    const rows = await waitFor("the store's liquidation rows", 30_000, async () => {
      const d = await storeGraphql<any>(ponder.url, `{ liquidations(limit: 100) { items { chainId kind account amountRaw } } }`);
      return d.liquidations.items.length >= onChain.length ? d.liquidations.items : undefined;
    });
    expect(rows.map((r: any) => `${r.chainId}:${r.kind}:${lower(r.account)}:${BigInt(r.amountRaw) < 0n ? -BigInt(r.amountRaw) : r.amountRaw}`).sort()).toEqual(onChain.sort());
  });

  test("behavior: the tiers recover: nothing LIQUIDATABLE or INSOLVENT, zero deficiency, exact collateral left and insurance paid", async () => {
    const tRecover = Date.now();
    await apiCaughtUp(60_000);
    const after = await waitFor("every account SAFE again", 30_000, async () => {
      const d = await gql(TIERS, tierVars);
      return [d.a, d.b, d.c, d.e].every((x) => x.tier === "SAFE") ? d : undefined;
    });
    timings.recoveryMs = Date.now() - tRecover;
    expect(after.e.tier).toBe("SAFE");
    const s = (await gql(SYSTEM)).system;
    expect(s.accountsPerTier).toEqual({ safe: 4, marginCall: 0, liquidatable: 0, insolvent: 0 });
    expect(Number(s.deficiencyUsd)).toBe(0);
    expect((await gql(`{ endangeredAccounts(maxHealthFactor: "1") { nodes { address } } }`)).endangeredAccounts.nodes).toEqual([]);

    // A: debt repaid, 10 − 9.333333333333333333 WETH left; B: flat; C: liabilities cleared from its l2b collateral
    expect(await read(l1, "debtOf", [A, l1.quoteToken])).toBe(0n);
    expect(await read(l1, "collateralOf", [A, l1.tokens.ETH.address])).toBe(10n * E18 - 9_333_333_333_333_333_333n);
    expect(await read(l2a, "cashOf", [B])).toBe(0n);
    expect(await read(l2a, "collateralOf", [B, l2a.quoteToken])).toBe(0n);
    expect((await read(l2a, "positionOf", [B, 1]))[0]).toBe(0n);
    expect(await read(l1, "debtOf", [C, l1.quoteToken])).toBe(0n);
    expect(await read(l2a, "cashOf", [C])).toBe(0n);
    expect((await read(l2a, "positionOf", [C, 1]))[0]).toBe(0n);
    expect(await read(l2b, "collateralOf", [C, l2b.tokens.BTC.address])).toBe(50_000_000n - 29_166_666n - 17_500_000n);
    // E is untouched: its long and its collateral are still there
    expect((await read(l2b, "positionOf", [E, 1]))[0]).toBe(E18);
    expect(await read(l2b, "collateralOf", [E, l2b.quoteToken])).toBe(usdc(10_000n));

    // Insurance: only B's bad debt. B's 2,000 USDC seized cover 2,000 / 1.05 = 1,904.761904 of its
    // 3,600 loss, paid into the fund; the fund pays out 3,600. C's 6,000 loss is covered in full by
    // its BTC on l2b (the fund gets 6,000 and pays 6,000).
    const insuranceAfter = await insuranceBalances();
    expect({ l1: insuranceAfter.l1! - insuranceBefore.l1!, l2a: insuranceAfter.l2a! - insuranceBefore.l2a!, l2b: insuranceAfter.l2b! - insuranceBefore.l2b! }).toEqual({
      l1: 0n,
      l2a: 1_904_761_904n - usdc(3_600n),
      l2b: 0n,
    });
    expect(Number(insuranceUsdBefore) - Number(s.insuranceFundUsd)).toBeCloseTo(1_695.238096, 6);
    expect(liquidator!.stats().insurancePaidUsd).toBeCloseTo(1_695.238096, 6);

    // The API's tier history: each liquidated account went endangered and came back to SAFE.
    const changes = (await gql(`{ tierChanges(first: 500) { nodes { address from to } } }`)).tierChanges.nodes as { address: string; from: string | null; to: string }[];
    for (const [account, worst] of [[A, "LIQUIDATABLE"], [B, "INSOLVENT"], [C, "LIQUIDATABLE"]] as const) {
      const mine = changes.filter((c) => lower(c.address) === lower(account)).map((c) => c.to);
      expect(mine, account).toContain(worst);
      expect(mine.at(-1), account).toBe("SAFE");
    }
    expect(changes.filter((c) => lower(c.address) === lower(E)).map((c) => c.to)).not.toContain("LIQUIDATABLE");
  });
});
