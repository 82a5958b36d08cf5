/**
 * Real anvil chains (automine): deploy the reference contracts and check the vault's accounting
 * (PnL, funding, modes, liquidation, insurance) against hand-computed values.
 */
import { createPublicClient, encodeFunctionData, http, type Address, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { buildDevnetConfig } from "./config.js";
import { DEFAULT_CHAINS, INSURANCE_FUND_USDC } from "./defaults.js";
import { deployDevnet, sendAndConfirm, type ChainDeployment, type DevnetDeployment } from "./deploy.js";
import { pollUntil, rpc } from "./rpc.js";
import { createNonceScope } from "./txSender.js";
import { loadConfig } from "../config/index.js";

const TRADER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address; // anvil account 2, unlocked
const E18 = 10n ** 18n;

let chains: RunningChain[] = [];
let deployment: DevnetDeployment;
let l1: ChainDeployment;
let client: PublicClient;

beforeAll(async () => {
  try {
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId })));
    deployment = await deployDevnet(chains);
    l1 = deployment.chains[0]!;
    client = createPublicClient({ transport: http(l1.rpcUrl) });
  } catch (e) {
    await stopChains(chains);
    throw e;
  }
});

afterAll(async () => {
  await stopChains(chains);
});

async function send(from: Address, to: Address, data: `0x${string}`, label = "tx") {
  return sendAndConfirm(l1.rpcUrl, from, [{ to, data, label }]);
}
const vaultCall = (functionName: string, args: unknown[]) =>
  encodeFunctionData({ abi: marginVaultAbi, functionName: functionName as never, args: args as never });
const setPrice = (asset: "ETH" | "BTC", usd8: bigint) =>
  send(l1.deployer, l1.feeds[asset].address, encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [usd8] }));
const read = <T>(functionName: string, args: unknown[]) =>
  client.readContract({ address: l1.vault, abi: marginVaultAbi, functionName: functionName as never, args: args as never }) as Promise<T>;

describe("deployDevnet", () => {
  it("deploys every chain with distinct addresses per asset and a funded vault", async () => {
    const usdc = deployment.chains.map((c) => c.tokens.USDC.address);
    expect(new Set(usdc).size).toBe(3);
    expect(new Set(deployment.chains.map((c) => c.vault)).size).toBe(3);
    for (const c of deployment.chains) {
      const pc = createPublicClient({ transport: http(c.rpcUrl) });
      expect(await pc.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "quoteToken" })).toBe(c.tokens.USDC.address);
      expect(await pc.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "insuranceBalanceOf", args: [c.quoteToken] })).toBe(
        INSURANCE_FUND_USDC * 10n ** 6n,
      );
      const [feed] = await pc.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "marketOf", args: [2] });
      expect(feed).toBe(c.feeds.BTC.address);
      expect(await pc.readContract({ address: c.vault, abi: marginVaultAbi, functionName: "isLiquidator", args: [c.liquidator] })).toBe(true);
      const [, answer] = await pc.readContract({ address: c.feeds.ETH.address, abi: priceFeedAbi, functionName: "latestRoundData" });
      expect(answer).toBe(300_000_000_000n);
    }
  });

  it("builds a config with one settlement chain and every token, feed and market", () => {
    const config = buildDevnetConfig(deployment, { pgliteDir: "/tmp/x" }) as { chains: Record<string, Record<string, unknown>> };
    const names = Object.keys(config.chains);
    expect(names).toEqual(["l1", "l2a", "l2b"]);
    expect(names.filter((n) => config.chains[n]!.settlement === true)).toEqual(["l1"]);
    const l2a = config.chains.l2a!;
    expect(l2a.liquidationLatencySeconds).toBe(1020);
    expect(Object.keys(l2a.tokens as object)).toHaveLength(4);
    expect((l2a.markets as Record<string, { asset: string }>)["3"]!.asset).toBe("ARB");
    expect((l2a.tokens as Record<string, { asset: string; decimals: number }>)[deployment.chains[1]!.tokens.BTC.address]).toEqual({ asset: "BTC", decimals: 8 });
  });

  it("writes a config the indexer's validator (config/loadConfig) accepts", () => {
    const config = buildDevnetConfig(deployment, { pgliteDir: "/tmp/x" });
    expect(() => loadConfig({ env: { XMARGIN_CONFIG: "devnet.json" }, readFile: () => JSON.stringify(config) })).not.toThrow();
  });
});

describe("MarginVault accounting", () => {
  it("settles realized PnL into cash at the feed price and averages the entry", async () => {
    const usdc = l1.tokens.USDC.address;
    await send(TRADER, usdc, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [TRADER, 10_000_000_000n] }));
    await send(TRADER, usdc, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [l1.vault, 2n ** 256n - 1n] }));
    await send(TRADER, l1.vault, vaultCall("deposit", [usdc, 5_000_000_000n]));
    expect(await read<bigint>("collateralOf", [TRADER, usdc])).toBe(5_000_000_000n);

    await send(TRADER, l1.vault, vaultCall("trade", [1, 2n * E18])); // long 2 ETH @ 3000
    await setPrice("ETH", 330_000_000_000n);
    await send(TRADER, l1.vault, vaultCall("trade", [1, 1n * E18])); // +1 ETH @ 3300 → entry 3100
    let [size, entry] = await read<[bigint, bigint, bigint]>("positionOf", [TRADER, 1]);
    expect(size).toBe(3n * E18);
    expect(entry).toBe(310_000_000_000n);
    await send(TRADER, l1.vault, vaultCall("trade", [1, -1n * E18])); // sell 1 @ 3300: +200 USD
    expect(await read<bigint>("cashOf", [TRADER])).toBe(200_000_000n);
    await setPrice("ETH", 290_000_000_000n);
    await send(TRADER, l1.vault, vaultCall("trade", [1, -3n * E18])); // close 2 @ 2900 (−400), flip to −1 @ 2900
    [size, entry] = await read<[bigint, bigint, bigint]>("positionOf", [TRADER, 1]);
    expect(size).toBe(-1n * E18);
    expect(entry).toBe(290_000_000_000n);
    expect(await read<bigint>("cashOf", [TRADER])).toBe(-200_000_000n);
  });

  it("accrues funding at the old rate and charges longs when the index rises (rounded up)", async () => {
    // the trader is short 1 ETH; shorts receive when the index rises
    const rate = 10n ** 15n; // 0.001 USD per second per ETH
    await send(l1.deployer, l1.vault, vaultCall("updateFunding", [1, rate]));
    const [, , , , indexAfterSet, t0] = await read<[Address, number, bigint, bigint, bigint, bigint]>("marketOf", [1]);
    await rpc(l1.rpcUrl, "evm_setNextBlockTimestamp", [Number(t0) + 1000]);
    const cashBefore = await read<bigint>("cashOf", [TRADER]);
    await send(TRADER, l1.vault, vaultCall("trade", [1, 1n * E18])); // close the short
    const [size, , fundingIndex] = await read<[bigint, bigint, bigint]>("positionOf", [TRADER, 1]);
    expect(size).toBe(0n);
    expect(fundingIndex).toBe(indexAfterSet + rate * 1000n);
    // short 1 ETH receives 1000 s × 0.001 = 1 USD = 1_000_000 raw; closed at entry, no PnL
    expect((await read<bigint>("cashOf", [TRADER])) - cashBefore).toBe(1_000_000n);
  });

  it("enforces reduce-only and halted modes", async () => {
    await send(TRADER, l1.vault, vaultCall("trade", [2, E18 / 10n]));
    await send(l1.deployer, l1.vault, vaultCall("setMarketMode", [2, 1]));
    await expect(send(TRADER, l1.vault, vaultCall("trade", [2, E18 / 10n]))).rejects.toThrow(/would revert/);
    await expect(send(TRADER, l1.vault, vaultCall("trade", [2, -E18 / 5n]))).rejects.toThrow(/would revert/); // flip
    await send(TRADER, l1.vault, vaultCall("trade", [2, -E18 / 20n]));
    await send(l1.deployer, l1.vault, vaultCall("setMarketMode", [2, 2]));
    await expect(send(TRADER, l1.vault, vaultCall("trade", [2, -E18 / 20n]))).rejects.toThrow(/would revert/);
    const [size] = await read<[bigint, bigint, bigint]>("positionOf", [TRADER, 2]);
    expect(size).toBe(E18 / 20n);
  });

  it("lets only the liquidator seize collateral and close positions; insurance pays into cash", async () => {
    const usdc = l1.tokens.USDC.address;
    await expect(send(TRADER, l1.vault, vaultCall("seizeCollateral", [TRADER, usdc, 1n]))).rejects.toThrow(/would revert/);
    await send(l1.liquidator, l1.vault, vaultCall("seizeCollateral", [TRADER, usdc, 1_000_000_000n]));
    expect(await read<bigint>("collateralOf", [TRADER, usdc])).toBe(4_000_000_000n);
    const liqBalance = await client.readContract({ address: usdc, abi: testTokenAbi, functionName: "balanceOf", args: [l1.liquidator] });
    expect(liqBalance).toBe(1_000_000_000n);
    // halted market: liquidation still closes at the feed price (60000 → BTC entry)
    await send(l1.liquidator, l1.vault, vaultCall("liquidatePosition", [TRADER, 2]));
    expect((await read<[bigint, bigint, bigint]>("positionOf", [TRADER, 2]))[0]).toBe(0n);
    const cash = await read<bigint>("cashOf", [TRADER]);
    await send(l1.deployer, l1.vault, vaultCall("payOutInsurance", [TRADER, 5_000_000n]));
    expect(await read<bigint>("cashOf", [TRADER])).toBe(cash + 5_000_000n);
    expect(await read<bigint>("insuranceBalanceOf", [usdc])).toBe(INSURANCE_FUND_USDC * 10n ** 6n - 5_000_000n);
  });
});

describe("sendAndConfirm", () => {
  /**
   * The parked state, deterministically: the batch goes out one nonce past the account's mined
   * nonce (a nonce scope primed one ahead), so anvil queues all of it behind the gap; then
   * anvil_setNonce moves the account onto the first one, which anvil never promotes by itself.
   * Before sendAndConfirm went through TxSender this timed out ("not mined within …").
   */
  it("behavior: replaces the transactions anvil parks in its queued pool and returns every receipt", async () => {
    const from = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720" as Address; // anvil account 9, unlocked, used only here
    const n = BigInt(await rpc<`0x${string}`>(l1.rpcUrl, "eth_getTransactionCount", [from, "latest"]));
    const nonceScope = createNonceScope();
    nonceScope.nonces.set(from.toLowerCase(), n + 1n);
    const logs: string[] = [];
    const mint = (amount: bigint) => ({ to: l1.quoteToken, data: encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [from, amount] }), label: `mint ${amount}` });
    const sending = sendAndConfirm(l1.rpcUrl, from, [mint(1n), mint(2n), mint(3n)], 30_000, { nonceScope, stuckMs: 300, log: (m) => logs.push(m) });
    try {
      await pollUntil(
        async () => {
          const pool = await rpc<{ queued: Record<string, Record<string, unknown>> }>(l1.rpcUrl, "txpool_content");
          return Object.keys(pool.queued[from.toLowerCase()] ?? {}).length === 3 ? true : undefined;
        },
        10_000,
        "the batch to sit in anvil's queued pool",
      );
      await rpc(l1.rpcUrl, "anvil_setNonce", [from, `0x${(n + 1n).toString(16)}`]);
      await rpc(l1.rpcUrl, "evm_mine");
      const receipts = await sending;
      expect(receipts).toHaveLength(3);
      expect(receipts.every((r) => r.blockNumber > 0n)).toBe(true);
      expect(BigInt(await rpc<`0x${string}`>(l1.rpcUrl, "eth_getTransactionCount", [from, "latest"]))).toBe(n + 4n);
      expect(await client.readContract({ address: l1.quoteToken, abi: testTokenAbi, functionName: "balanceOf", args: [from] })).toBe(6n);
      expect(logs.length).toBeGreaterThanOrEqual(1);
      expect(logs[0]).toContain(`nonce ${n + 1n}`);
    } finally {
      await sending.catch(() => undefined);
    }
  });
});
