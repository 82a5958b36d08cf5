/** The reference liquidator's execution on real anvil chains, and its seizure arithmetic. */
import { createPublicClient, encodeFunctionData, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { DEFAULT_CHAINS } from "./defaults.js";
import { deployDevnet, sendAndConfirm, type ChainDeployment, type DevnetDeployment } from "./deploy.js";
import { seizeAmountRaw, startLiquidator, type Liquidator } from "./liquidator.js";

const TRADER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address; // anvil account 2
const E18 = 10n ** 18n;

describe("seizeAmountRaw", () => {
  it("default: debt × (1 + bonus) / price, in the token's decimals", () => {
    // $10,000 of debt (USD × 1e8), 5% bonus, ETH at $2,000 → 5.25 ETH
    expect(seizeAmountRaw(10_000n * 10n ** 8n, 500n, 2_000n * 10n ** 8n, 18, 100n * E18)).toBe(525n * 10n ** 16n);
  });
  it("boundary: capped at what is available; zero debt or price seizes nothing", () => {
    expect(seizeAmountRaw(10_000n * 10n ** 8n, 500n, 2_000n * 10n ** 8n, 18, 3n * E18)).toBe(3n * E18);
    expect(seizeAmountRaw(0n, 500n, 2_000n * 10n ** 8n, 18, E18)).toBe(0n);
    expect(seizeAmountRaw(1n, 500n, 0n, 18, E18)).toBe(0n);
  });
  it("boundary: rounds down (6 decimals, 1 raw unit of USD × 1e8)", () => {
    expect(seizeAmountRaw(1n, 0n, 10n ** 8n, 6, 10n ** 12n)).toBe(0n); // $0.00000001 < 1 micro-USDC
    expect(seizeAmountRaw(100n, 0n, 10n ** 8n, 6, 10n ** 12n)).toBe(1n);
  });
});

let chains: RunningChain[] = [];
let deployment: DevnetDeployment;
let liquidator: Liquidator | undefined;
let settler: Liquidator | undefined;

beforeAll(async () => {
  try {
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId })));
    deployment = await deployDevnet(chains);
  } catch (e) {
    await stopChains(chains);
    throw e;
  }
});

afterAll(async () => {
  await liquidator?.stop();
  await settler?.stop();
  await stopChains(chains);
});

const send = (c: ChainDeployment, from: Address, to: Address, data: `0x${string}`) => sendAndConfirm(c.rpcUrl, from, [{ to, data, label: "tx" }]);

describe("liquidator on real anvil", () => {
  it("closes positions, repays debt and seizes collateral worth debt + 5% on each chain", async () => {
    const [l1, l2a] = deployment.chains as [ChainDeployment, ChainDeployment];
    // l1: 10 WETH collateral, 10,000 USDC debt
    const weth = l1.tokens.ETH.address;
    await send(l1, TRADER, weth, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [TRADER, 10n * E18] }));
    await send(l1, TRADER, weth, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [l1.vault, 10n * E18] }));
    await send(l1, TRADER, l1.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "deposit", args: [weth, 10n * E18] }));
    await send(l1, TRADER, l1.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "borrow", args: [l1.quoteToken, 10_000n * 10n ** 6n] }));
    // l2a: 1,000 USDC collateral, long 5 ETH at 3,000
    await send(l2a, TRADER, l2a.quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [TRADER, 1_000n * 10n ** 6n] }));
    await send(l2a, TRADER, l2a.quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [l2a.vault, 1_000n * 10n ** 6n] }));
    await send(l2a, TRADER, l2a.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "deposit", args: [l2a.quoteToken, 1_000n * 10n ** 6n] }));
    await send(l2a, TRADER, l2a.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "trade", args: [1, 5n * E18] }));
    // ETH −33%
    for (const c of deployment.chains) {
      await send(c, c.deployer, c.feeds.ETH.address, encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [2_000n * 10n ** 8n] }));
    }

    liquidator = await startLiquidator({ apiUrl: "http://127.0.0.1:1", deployment, log: () => undefined, settleCash: false });
    await liquidator.liquidate(TRADER);

    const p1 = createPublicClient({ transport: http(l1.rpcUrl) });
    const p2 = createPublicClient({ transport: http(l2a.rpcUrl) });
    expect(await p1.readContract({ address: l1.vault, abi: marginVaultAbi, functionName: "debtOf", args: [TRADER, l1.quoteToken] })).toBe(0n);
    expect(await p1.readContract({ address: l1.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [TRADER, weth] })).toBe(10n * E18 - 525n * 10n ** 16n);
    const [size] = await p2.readContract({ address: l2a.vault, abi: marginVaultAbi, functionName: "positionOf", args: [TRADER, 1] });
    expect(size).toBe(0n);
    expect(await p2.readContract({ address: l2a.vault, abi: marginVaultAbi, functionName: "cashOf", args: [TRADER] })).toBe(-5_000n * 10n ** 6n);
    expect(await p2.readContract({ address: l2a.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [TRADER, l2a.quoteToken] })).toBe(1_000n * 10n ** 6n);
    expect(liquidator.stats()).toMatchObject({ liquidations: 1, positionsClosed: 1, debtsRepaid: 1, seizures: 1, failedTxs: 0 });
  });

  it("behavior: settles negative cash: collateral covers what it can, the insurance fund pays the rest", async () => {
    const l2b = deployment.chains[2]!;
    const trader = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address; // anvil account 3
    const usdc = (n: bigint) => n * 10n ** 6n;
    const setEth = (usd: bigint) => send(l2b, l2b.deployer, l2b.feeds.ETH.address, encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [usd * 10n ** 8n] }));
    await setEth(2_000n);
    await send(l2b, trader, l2b.quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [trader, usdc(1_000n)] }));
    await send(l2b, trader, l2b.quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [l2b.vault, usdc(1_000n)] }));
    await send(l2b, trader, l2b.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "deposit", args: [l2b.quoteToken, usdc(1_000n)] }));
    await send(l2b, trader, l2b.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "trade", args: [1, 5n * E18] }));
    await setEth(1_000n); // long 5 ETH loses $5,000 on $1,000 of collateral
    const p = createPublicClient({ transport: http(l2b.rpcUrl) });
    const fundBefore = await p.readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "insuranceBalanceOf", args: [l2b.quoteToken] });

    // one liquidator per on-chain account at a time: two senders would race for its nonces
    await liquidator?.stop();
    liquidator = undefined;
    settler = await startLiquidator({ apiUrl: "http://127.0.0.1:1", deployment, log: () => undefined });
    await settler.liquidate(trader);

    expect((await p.readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "positionOf", args: [trader, 1] }))[0]).toBe(0n);
    expect(await p.readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "cashOf", args: [trader] })).toBe(0n);
    expect(await p.readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [trader, l2b.quoteToken] })).toBe(0n);
    // all 1,000 USDC seized covers $1,000 / 1.05 = $952.380952 of the loss; the fund pays $5,000
    const fundAfter = await p.readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "insuranceBalanceOf", args: [l2b.quoteToken] });
    expect(fundAfter).toBe(fundBefore + 952_380_952n - usdc(5_000n));
    expect(settler.stats()).toMatchObject({ liquidations: 1, positionsClosed: 1, seizures: 1, cashSettled: 1, failedTxs: 0 });
    expect(settler.stats().insurancePaidUsd).toBeCloseTo(5_000 - 952.380952, 6);

    // liquidating the now-flat account again does nothing and is not counted
    await settler.liquidate(trader);
    expect(settler.stats().liquidations).toBe(1);
  });

  it("behavior: cross-chain: a debt on l1 and a perp loss on l2a are covered by the account's collateral on l2b", async () => {
    const [l1, l2a, l2b] = deployment.chains as [ChainDeployment, ChainDeployment, ChainDeployment];
    const trader = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address; // anvil account 4
    const setEth = (c: ChainDeployment, usd: bigint) => send(c, c.deployer, c.feeds.ETH.address, encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [usd * 10n ** 8n] }));
    await Promise.all(deployment.chains.map((c) => setEth(c, 3_000n)));
    // l2b: 10 WETH collateral; l1: 5,000 USDC debt, no collateral there; l2a: long 2 ETH, no collateral there
    await send(l2b, trader, l2b.tokens.ETH.address, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [trader, 10n * E18] }));
    await send(l2b, trader, l2b.tokens.ETH.address, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [l2b.vault, 10n * E18] }));
    await send(l2b, trader, l2b.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "deposit", args: [l2b.tokens.ETH.address, 10n * E18] }));
    await send(l1, trader, l1.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "borrow", args: [l1.quoteToken, 5_000n * 10n ** 6n] }));
    await send(l2a, trader, l2a.vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "trade", args: [1, 2n * E18] }));
    await Promise.all(deployment.chains.map((c) => setEth(c, 2_000n))); // the long loses $2,000
    const client = (c: ChainDeployment) => createPublicClient({ transport: http(c.rpcUrl) });
    const fund = (c: ChainDeployment) => client(c).readContract({ address: c.vault, abi: marginVaultAbi, functionName: "insuranceBalanceOf", args: [c.quoteToken] });
    const fundBefore = await Promise.all(deployment.chains.map(fund));

    await settler!.stop();
    settler = await startLiquidator({ apiUrl: "http://127.0.0.1:1", deployment, log: () => undefined });
    await settler.liquidate(trader, [2, 0, 1]); // the API's order: collateral's chain first

    expect(await client(l1).readContract({ address: l1.vault, abi: marginVaultAbi, functionName: "debtOf", args: [trader, l1.quoteToken] })).toBe(0n);
    expect((await client(l2a).readContract({ address: l2a.vault, abi: marginVaultAbi, functionName: "positionOf", args: [trader, 1] }))[0]).toBe(0n);
    expect(await client(l2a).readContract({ address: l2a.vault, abi: marginVaultAbi, functionName: "cashOf", args: [trader] })).toBe(0n);
    // ($5,000 + $2,000) × 1.05 / $2,000 = 2.625 + 1.05 WETH seized on l2b, in one transaction
    expect(await client(l2b).readContract({ address: l2b.vault, abi: marginVaultAbi, functionName: "collateralOf", args: [trader, l2b.tokens.ETH.address] })).toBe(
      10n * E18 - 2_625n * 10n ** 15n - 1_050n * 10n ** 15n,
    );
    // the l2a loss is fully covered by collateral: the fund receives 2,000 USDC and pays 2,000 out
    expect(await Promise.all(deployment.chains.map(fund))).toEqual(fundBefore);
    expect(settler.stats()).toMatchObject({ liquidations: 1, positionsClosed: 1, debtsRepaid: 1, seizures: 1, cashSettled: 1, failedTxs: 0 });
    expect(settler.stats().insurancePaidUsd).toBe(0);
  });
});
