/**
 * Deploys the reference contracts on every devnet chain from anvil's account 0, using the committed
 * bytecode (abis/bytecode.ts). Addresses are deterministic (deployer + nonce); chain i burns i
 * nonces first, so the same asset has a different address on each chain, as on real networks.
 */
import { encodeDeployData, encodeFunctionData, getAddress, getContractAddress, type Address, type Hex } from "viem";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { marginVaultBytecode, priceFeedBytecode, testTokenBytecode } from "../abis/bytecode.js";
import {
  ANVIL_ACCOUNTS,
  DEVNET_MARKETS,
  DEVNET_TOKENS,
  INITIAL_PRICES_USD8,
  INSURANCE_FUND_USDC,
  VAULT_LIQUIDITY,
  type DevnetAsset,
} from "./defaults.js";
import { redactUrl } from "../config/redactUrl.js";
import { deployDevnetAave, type DevnetAaveMarket } from "./aave.js";
import { DeployError } from "./errors.js";
import { rpc, rpcBatch } from "./rpc.js";
import { TxSender, type NonceScope, type QueuedTx } from "./txSender.js";

export interface DeployTarget {
  name: string;
  chainId: number;
  rpcUrl: string;
}

export interface TokenDeployment {
  symbol: string;
  asset: DevnetAsset;
  decimals: number;
  address: Address;
}

export interface ChainDeployment {
  name: string;
  chainId: number;
  rpcUrl: string;
  /** Block of the first deployment transaction: index from here. */
  startBlock: number;
  deployer: Address;
  liquidator: Address;
  vault: Address;
  quoteToken: Address;
  /** Keyed by canonical asset. */
  tokens: Record<DevnetAsset, TokenDeployment>;
  /** One 8-decimal USD feed per asset. */
  feeds: Record<DevnetAsset, { address: Address; decimals: number }>;
  /** Vault market id → asset. */
  markets: Record<number, DevnetAsset>;
  /** The chain's Aave v3 market, when deployed (`DeployOptions.aaveV3`). */
  aaveV3?: DevnetAaveMarket;
}

export interface DevnetDeployment {
  chains: ChainDeployment[];
}

export interface DeployOptions {
  deployer?: Address;
  liquidator?: Address;
  timeoutMs?: number;
  /** Also deploy a real Aave v3 market on every chain, after the vault (devnet/aave.ts). Default false. */
  aaveV3?: boolean;
}

export interface TxRequest {
  to?: Address;
  data: Hex;
  value?: bigint;
  gas?: bigint;
  label: string;
}

export interface SendAndConfirmOptions {
  /** Nonces shared with other senders of this process on this chain (default: read from the node). */
  nonceScope?: NonceScope;
  /** Look a transaction unmined this long up in anvil's queued pool (default 2000 ms). */
  stuckMs?: number;
  /** Where a replacement of a parked transaction is reported (default console.warn). */
  log?: (message: string) => void;
}

/**
 * Send `txs` from an unlocked account with consecutive nonces (one batch), then wait for every
 * receipt; throws DeployError naming the first transaction that would revert, was refused or
 * reverted. Gas is estimated against the state before the batch. Fees are left to the node. Goes
 * through TxSender, so a transaction anvil parks in its queued pool is replaced (same nonce,
 * doubled fees) instead of timing out.
 */
export async function sendAndConfirm(
  rpcUrl: string,
  from: Address,
  txs: TxRequest[],
  timeoutMs = 60_000,
  opts: SendAndConfirmOptions = {},
): Promise<{ blockNumber: bigint; contractAddress: Address | null }[]> {
  if (txs.length === 0) return [];
  const estimates = await rpcBatch<Hex>(
    rpcUrl,
    txs.map((t) => ({
      method: "eth_estimateGas",
      params: [{ from, to: t.to, data: t.data, value: t.value ? `0x${t.value.toString(16)}` : undefined }],
    })),
  );
  const queued: QueuedTx<string>[] = txs.map((t, i) => {
    const est = estimates[i]!;
    if (t.gas === undefined && !est.ok) {
      throw new DeployError(`'${t.label}' would revert on ${redactUrl(rpcUrl)}: ${est.error}`, { label: t.label });
    }
    const gas = t.gas ?? (BigInt((est as { result: Hex }).result) * 12n) / 10n;
    return { from, to: t.to, data: t.data, value: t.value, gas, meta: t.label };
  });
  const sender = new TxSender<string>(rpcUrl, false, 500, opts.nonceScope, { maxFeePerGas: null, stuckMs: opts.stuckMs, log: opts.log });
  const { outcomes, inFlight } = await sender.send(queued);
  const refused = outcomes.find((o) => o.hash === null);
  if (refused) {
    throw new DeployError(`'${refused.meta}' was refused by ${redactUrl(rpcUrl)}: ${refused.error}`, { label: refused.meta });
  }
  await sender.confirm(inFlight, timeoutMs);
  return outcomes.map((o) => {
    if (o.error !== null || o.blockNumber === null) {
      throw new DeployError(`'${o.meta}' reverted on ${redactUrl(rpcUrl)} (tx ${o.hash})`, { label: o.meta, txHash: o.hash });
    }
    return { blockNumber: o.blockNumber, contractAddress: o.contractAddress ? getAddress(o.contractAddress) : null };
  });
}

function call(to: Address, data: Hex, label: string): TxRequest {
  return { to, data, label };
}

/** Deploy tokens, feeds and the vault on one chain; `chainIndex` nonces are burnt first. */
export async function deployChain(target: DeployTarget, chainIndex: number, opts: DeployOptions = {}): Promise<ChainDeployment> {
  const deployer = getAddress(opts.deployer ?? ANVIL_ACCOUNTS.deployer.address);
  const liquidator = getAddress(opts.liquidator ?? ANVIL_ACCOUNTS.liquidator.address);
  const url = target.rpcUrl;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let nonce = BigInt(await rpc<Hex>(url, "eth_getTransactionCount", [deployer, "pending"]));

  // Phase A: burn nonces, tokens, feeds (independent of each other).
  const phaseA: TxRequest[] = [];
  for (let i = 0; i < chainIndex; i++) phaseA.push({ to: deployer, data: "0x", label: `burn nonce ${i}` });
  nonce += BigInt(chainIndex);
  const tokens = {} as Record<DevnetAsset, TokenDeployment>;
  for (const t of DEVNET_TOKENS) {
    tokens[t.asset] = { ...t, address: getContractAddress({ from: deployer, nonce: nonce++ }) };
    phaseA.push({
      data: encodeDeployData({ abi: testTokenAbi, bytecode: testTokenBytecode, args: [`Devnet ${t.symbol}`, t.symbol, t.decimals] }),
      label: `deploy token ${t.symbol}`,
    });
  }
  const feeds = {} as Record<DevnetAsset, { address: Address; decimals: number }>;
  for (const t of DEVNET_TOKENS) {
    feeds[t.asset] = { address: getContractAddress({ from: deployer, nonce: nonce++ }), decimals: 8 };
    phaseA.push({
      data: encodeDeployData({ abi: priceFeedAbi, bytecode: priceFeedBytecode, args: [8, `${t.asset} / USD`, INITIAL_PRICES_USD8[t.asset]] }),
      label: `deploy feed ${t.asset}/USD`,
    });
  }
  const receiptsA = await sendAndConfirm(url, deployer, phaseA, timeoutMs);
  const predicted = [...Object.values(tokens), ...Object.values(feeds)].map((x) => x.address);
  const created = receiptsA.slice(chainIndex).map((r) => r.contractAddress);
  if (predicted.some((a, i) => a !== created[i])) {
    throw new DeployError(
      `deployer ${deployer} sent other transactions during deployment on chain '${target.name}': predicted ${predicted.join(",")}, got ${created.join(",")}`,
      { chain: target.name },
    );
  }

  // Phase B: the vault (its constructor reads the quote token's decimals).
  const vault = getContractAddress({ from: deployer, nonce: nonce++ });
  const quoteToken = tokens.USDC.address;
  await sendAndConfirm(
    url,
    deployer,
    [{ data: encodeDeployData({ abi: marginVaultAbi, bytecode: marginVaultBytecode, args: [quoteToken] }), label: "deploy MarginVault" }],
    timeoutMs,
  );

  // Phase C: markets, lending liquidity, liquidator, insurance allowance.
  const insuranceRaw = INSURANCE_FUND_USDC * 10n ** 6n;
  const phaseC: TxRequest[] = [];
  for (const m of DEVNET_MARKETS) {
    phaseC.push(call(vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "listMarket", args: [m.marketId, feeds[m.asset].address, m.maxLeverage] }), `list market ${m.marketId}`));
  }
  for (const t of DEVNET_TOKENS) {
    const amount = VAULT_LIQUIDITY[t.asset] * 10n ** BigInt(t.decimals);
    phaseC.push(call(tokens[t.asset].address, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [vault, amount] }), `fund vault ${t.symbol}`));
  }
  phaseC.push(call(quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [deployer, insuranceRaw] }), "mint insurance USDC"));
  phaseC.push(call(quoteToken, encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [vault, insuranceRaw] }), "approve insurance USDC"));
  phaseC.push(call(vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "setLiquidator", args: [liquidator, true] }), "authorize liquidator"));
  await sendAndConfirm(url, deployer, phaseC, timeoutMs);

  // Phase D: seed the insurance fund (needs the allowance mined).
  await sendAndConfirm(
    url,
    deployer,
    [call(vault, encodeFunctionData({ abi: marginVaultAbi, functionName: "fundInsurance", args: [quoteToken, insuranceRaw] }), "fund insurance")],
    timeoutMs,
  );

  const markets: Record<number, DevnetAsset> = {};
  for (const m of DEVNET_MARKETS) markets[m.marketId] = m.asset;
  const chain: ChainDeployment = {
    name: target.name,
    chainId: target.chainId,
    rpcUrl: url,
    startBlock: Number(receiptsA[0]!.blockNumber),
    deployer,
    liquidator,
    vault,
    quoteToken,
    tokens,
    feeds,
    markets,
  };
  if (opts.aaveV3) chain.aaveV3 = await deployDevnetAave(chain, timeoutMs);
  return chain;
}

/** Deploy on every chain in parallel; chain i burns i nonces so addresses differ across chains. */
export async function deployDevnet(chains: readonly DeployTarget[], opts: DeployOptions = {}): Promise<DevnetDeployment> {
  const deployed = await Promise.all(chains.map((c, i) => deployChain(c, i, opts)));
  return { chains: deployed };
}
