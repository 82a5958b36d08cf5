/**
 * Real anvil chains: deploy, simulate, then check that the events exist and that every account's
 * collateral, debt and positions on the vaults equal what the simulator believes.
 */
import { createPublicClient, http, parseAbiItem } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marginVaultAbi, priceFeedAbi } from "../abis/index.js";
import { DEVNET_ASSETS } from "./defaults.js";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { DEFAULT_CHAINS } from "./defaults.js";
import { deployDevnet, type DevnetDeployment } from "./deploy.js";
import { createSimulator, type Simulator } from "./simulator.js";
import { MARKET_IDS } from "./actions.js";

let chains: RunningChain[] = [];
let deployment: DevnetDeployment;
let sim: Simulator;

beforeAll(async () => {
  try {
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId })));
    deployment = await deployDevnet(chains);
    sim = createSimulator({ chains, deployment, seed: 7, accounts: 40, actionsPerStep: 12, fundingEverySteps: 5 });
  } catch (e) {
    await stopChains(chains);
    throw e;
  }
});

afterAll(async () => {
  await stopChains(chains);
});

describe("simulator on real anvil", () => {
  it("emits vault and feed events on every chain", async () => {
    const stats = await sim.run({ steps: 30 });
    expect(stats.steps).toBe(30);
    expect(stats.txFailed).toBe(0);
    for (const [i, c] of deployment.chains.entries()) {
      const client = createPublicClient({ transport: http(chains[i]!.rpcUrl) });
      const positions = await client.getLogs({ address: c.vault, event: parseAbiItem("event PositionUpdated(address indexed account, uint32 indexed marketId, int256 sizeDelta, int256 newSize, uint256 newEntryPrice, uint256 executionPrice, int256 realizedPnl, int256 fundingPaid, int256 fundingIndex, int256 newCash)"), fromBlock: 0n });
      const deposits = await client.getLogs({ address: c.vault, event: parseAbiItem("event CollateralDeposited(address indexed account, address indexed token, uint256 amount, uint256 newBalance)"), fromBlock: 0n });
      const funding = await client.getLogs({ address: c.vault, event: parseAbiItem("event FundingUpdated(uint32 indexed marketId, int256 fundingRate, int256 cumulativeFundingIndex)"), fromBlock: 0n });
      expect(deposits.length, `${c.name} deposits`).toBeGreaterThan(0);
      expect(positions.length, `${c.name} trades`).toBeGreaterThan(0);
      expect(funding.length, `${c.name} funding updates`).toBe(3 * 6);
      const round = await client.readContract({ address: c.feeds.ETH.address, abi: priceFeedAbi, functionName: "latestRound" });
      expect(round, `${c.name} ETH feed rounds`).toBeGreaterThan(1n);
      expect(stats.perChain[c.name]!.vaultEvents).toBeGreaterThanOrEqual(deposits.length + positions.length + funding.length);
    }
  });

  it("vault views agree with the simulator's books for every account", async () => {
    let checked = 0;
    let nonZero = 0;
    for (const account of sim.accounts) {
      for (const ci of account.chains) {
        const c = deployment.chains[ci]!;
        const client = createPublicClient({ transport: http(chains[ci]!.rpcUrl) });
        const book = account.books[ci]!;
        for (const asset of DEVNET_ASSETS) {
          const token = c.tokens[asset].address;
          expect(await client.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [account.address, token] })).toBe(book.collateral[asset]);
          expect(await client.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "debtOf", args: [account.address, token] })).toBe(book.debt[asset]);
          if (book.collateral[asset] > 0n) nonZero++;
        }
        for (const id of MARKET_IDS) {
          const [size] = await client.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "positionOf", args: [account.address, id] });
          expect(size).toBe(book.positions[id]);
          if (size !== 0n) nonZero++;
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(nonZero).toBeGreaterThan(20);
  });

  it("crash pushes every chain's feeds down", async () => {
    const before = sim.prices.ETH;
    await sim.crash({ asset: "ETH", pct: 0.3 });
    for (const [i, c] of deployment.chains.entries()) {
      const client = createPublicClient({ transport: http(chains[i]!.rpcUrl) });
      const answer = await client.readContract({ address: c.feeds.ETH.address, abi: priceFeedAbi, functionName: "latestAnswer" });
      expect(Number(answer) / 1e8).toBeCloseTo(before * 0.7, 4);
    }
  });

  it("is deterministic for a seed: same accounts and same first actions", () => {
    const again = createSimulator({ deployment, seed: 7, accounts: 40 });
    expect(again.accounts.map((a) => [a.address, a.chains, a.profile])).toEqual(
      createSimulator({ deployment, seed: 7, accounts: 40 }).accounts.map((a) => [a.address, a.chains, a.profile]),
    );
    expect(again.accounts[0]!.address).not.toBe(createSimulator({ deployment, seed: 8, accounts: 1 }).accounts[0]!.address);
  });

  it("behavior: live mode pipelines steps on block-time chains and the books still match the vaults", async () => {
    // its own chains with real block times: a step must not wait for a block
    const timed = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId, blockTimeSeconds: c.blockTimeSeconds })));
    try {
      const dep = await deployDevnet(timed);
      const live = createSimulator({ chains: timed, deployment: dep, seed: 11, accounts: 60, actionsPerStep: 10 });
      const stats = await live.run({ steps: 20, intervalMs: 100 });
      expect(stats.steps).toBe(20);
      // 20 steps of 100 ms against 2 s blocks: pipelined, so many steps shared a block
      const heads = await Promise.all(timed.map((c) => createPublicClient({ transport: http(c.rpcUrl) }).getBlockNumber({ cacheTime: 0 })));
      expect(Number(heads[0]!)).toBeLessThan(20);
      expect(stats.events).toBeGreaterThan(100);
      expect(stats.txFailed).toBe(0);
      for (const account of live.accounts) {
        for (const ci of account.chains) {
          const c = dep.chains[ci]!;
          const client = createPublicClient({ transport: http(timed[ci]!.rpcUrl) });
          for (const asset of DEVNET_ASSETS) {
            expect(await client.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [account.address, c.tokens[asset].address] })).toBe(account.books[ci]!.collateral[asset]);
          }
        }
      }
    } finally {
      await stopChains(timed);
    }
  }, 120_000);

  it("behavior: a crash with recovery drifts prices back up over the next steps", async () => {
    const s = createSimulator({ chains, deployment, seed: 9, accounts: 10, priceParams: { volAnnual: { BTC: 0, ETH: 0, ARB: 0 }, meanReversion: 0, crashProbability: 0 } });
    await s.setup();
    const before = s.prices.BTC;
    await s.crash({ pct: 0.2, recoverySteps: 4, recoveryFraction: 1 });
    expect(s.prices.BTC).toBeCloseTo(before * 0.8, 6);
    await s.run({ steps: 2 });
    expect(s.prices.BTC).toBeCloseTo(before * 0.8 * Math.sqrt(1 / 0.8), 6); // half the log move back
    await s.run({ steps: 3 });
    expect(s.prices.BTC).toBeCloseTo(before, 6); // fully back after 4 steps, no further drift
  });
});
