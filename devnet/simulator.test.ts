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
});
