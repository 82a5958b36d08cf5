/**
 * The market simulator: deterministic (for a seed) traders on every devnet chain depositing,
 * borrowing, trading perps (some hedged across chains), reducing, closing and withdrawing, while
 * correlated prices walk, feeds push on staggered per-chain schedules and funding updates.
 * Accounts are derived addresses driven through anvil's auto-impersonation (no keys, no signing).
 */
import {
  decodeEventLog,
  encodeAbiParameters,
  decodeFunctionResult,
  encodeEventTopics,
  encodeFunctionData,
  encodePacked,
  getAddress,
  keccak256,
  type Address,
  type Hex,
} from "viem";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import {
  accountNetUsd,
  applyAction,
  chooseActions,
  createAccount,
  DECIMALS,
  emptyBook,
  MARKET_ASSET,
  MARKET_IDS,
  type Action,
  type ChainBook,
  type SimAccount,
} from "./actions.js";
import { DEVNET_ASSETS, type DevnetAsset } from "./defaults.js";
import type { ChainDeployment, DevnetDeployment } from "./deploy.js";
import { DevnetError } from "./errors.js";
import {
  cholesky,
  DEFAULT_PRICE_PARAMS,
  defaultFeedPolicy,
  feedsDue,
  RISKY_ASSETS,
  stepPrices,
  toUsd8,
  type FeedPolicy,
  type FeedState,
  type PriceModelParams,
  type Prices,
  type RiskyAsset,
} from "./prices.js";
import { createRng, type Rng } from "./random.js";
import { rpc, rpcBatchStrict } from "./rpc.js";
import { TxSender, type InFlightTx, type NonceScope, type TxOutcome } from "./txSender.js";

export interface SimulatorOptions {
  /** RPC endpoints by chain name (e.g. RunningChain[]); defaults to the deployment's rpcUrl. */
  chains?: readonly { name: string; rpcUrl: string }[];
  deployment: DevnetDeployment;
  seed?: number;
  /** Number of simulated accounts (default 300). */
  accounts?: number;
  /** Account actions per step across all chains (default max(6, accounts / 25)). */
  actionsPerStep?: number;
  /** Funding rates update every N steps (default 10). */
  fundingEverySteps?: number;
  priceParams?: Partial<PriceModelParams>;
  /** Chains started with --no-mining: the simulator calls evm_mine after each batch. */
  manualMining?: boolean;
  /** Watch for liquidations by others and resync the accounts they touch (default true). */
  followLiquidations?: boolean;
  receiptTimeoutMs?: number;
  /** Nonces shared with other senders in this process, by chain name (npm start shares the owner's with the liquidator). */
  nonceScopes?: Record<string, NonceScope>;
}

export interface ChainStats {
  txSent: number;
  txFailed: number;
  vaultEvents: number;
  feedEvents: number;
}

export interface SimStats {
  steps: number;
  txSent: number;
  txFailed: number;
  /** Logs emitted by the vaults and feeds (what the indexer ingests). */
  events: number;
  crashes: number;
  resyncs: number;
  /** Live mode: failed rounds of the receipt loops (RPC errors), and the last message. */
  confirmErrors: number;
  lastConfirmError: string | null;
  perChain: Record<string, ChainStats>;
  prices: Prices;
  elapsedMs: number;
}

export interface StepResult {
  step: number;
  events: number;
  failed: number;
  crashed: number | null;
}

export interface RunOptions {
  steps?: number;
  durationMs?: number;
  onProgress?: (stats: SimStats) => void;
  /** Called after every step (a `crashed` fraction says the price model crashed in it). */
  onStep?: (result: StepResult) => void;
  signal?: AbortSignal;
  /**
   * Live (pipelined) mode: start a step every `intervalMs` without waiting for the previous
   * step's receipts; a background loop per chain collects receipts, counts events and resyncs
   * accounts whose transactions reverted or that someone else liquidated. Without it every step
   * waits for all its receipts (one block of the slowest chain per step). run() returns once
   * everything sent is mined.
   */
  intervalMs?: number;
}

export interface CrashOptions {
  asset?: RiskyAsset | "all";
  /** Drop as a fraction: 0.3 = −30%. */
  pct: number;
  /** Chains whose feeds are pushed (default all). */
  chains?: string[];
  /**
   * Recovery drift: over the next `recoverySteps` steps, prices climb back by `recoveryFraction`
   * (default 0.8) of the crash's log move, in equal log steps on top of the random walk. Default 0 (none).
   */
  recoverySteps?: number;
  recoveryFraction?: number;
}

export interface BulkOptions {
  /** Stop once at least this many vault + feed events were emitted (≥ 100k for the benchmark). */
  events: number;
  /** Account actions per round across all chains (default 1200). */
  actionsPerRound?: number;
  onProgress?: (stats: SimStats) => void;
}

export interface BulkResult extends SimStats {
  eventsPerSecond: number;
}

export interface Simulator {
  readonly accounts: readonly SimAccount[];
  readonly prices: Prices;
  stats(): SimStats;
  /** Fund and approve every account on its chains (idempotent; step/run call it). */
  setup(): Promise<void>;
  step(): Promise<StepResult>;
  run(opts: RunOptions): Promise<SimStats>;
  /** Push prices down by `pct` (0.3 = −30%) on the given chains (default all) now. */
  crash(opts: CrashOptions): Promise<void>;
  bulk(opts: BulkOptions): Promise<BulkResult>;
  /** Re-read an account's books from the vaults. */
  resync(account: SimAccount): Promise<void>;
}

type TxMeta = { kind: "account"; account: SimAccount; action: Action } | { kind: "setup"; account: SimAccount } | { kind: "system"; label: string };

const GAS = { deposit: 200_000n, withdraw: 150_000n, borrow: 200_000n, repay: 150_000n, trade: 300_000n, feed: 200_000n, funding: 120_000n };
const MINT_USD = 2_000_000_000; // per token per account per chain: enough for any run length
/** Gas money for every simulated account: 1,000,000 ETH (wei, hex). */
const GAS_BALANCE_WEI = `0x${(10n ** 24n).toString(16)}`;
/** TestToken storage layout (contracts/src/TestToken.sol): name 0, symbol 1, totalSupply 2, balanceOf 3, allowance 4. */
const TOKEN_BALANCE_SLOT = 3n;
const TOKEN_ALLOWANCE_SLOT = 4n;
const MAX_UINT256 = 2n ** 256n - 1n;
/** Live mode: stop queueing account actions on a chain while this many transactions await receipts. */
const MAX_IN_FLIGHT = 3000;

/** Storage slot of `mapping(address => …)` at `slot`, key `key` (Solidity layout). */
function mappingSlot(key: Address, slot: bigint | Hex): Hex {
  const slotHex = typeof slot === "bigint" ? (`0x${slot.toString(16).padStart(64, "0")}` as Hex) : slot;
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [key, slotHex]));
}

/** Storage slots of TestToken's balanceOf[owner] and allowance[owner][spender]. */
export function tokenSlots(owner: Address, spender: Address): { balance: Hex; allowance: Hex } {
  return {
    balance: mappingSlot(owner, TOKEN_BALANCE_SLOT),
    allowance: mappingSlot(spender, mappingSlot(owner, TOKEN_ALLOWANCE_SLOT)),
  };
}

/** Deterministic account address i for `seed`. */
export function simAccountAddress(seed: number, index: number): Address {
  const h = keccak256(encodePacked(["string", "uint256", "uint256"], ["xmargin-sim", BigInt(seed), BigInt(index)]));
  return getAddress(`0x${h.slice(26)}`);
}

export class SimulatorError extends DevnetError {
  override name = "SimulatorError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("SIMULATOR_ERROR", message, details);
  }
}

interface ChainCtx {
  index: number;
  dep: ChainDeployment;
  rpcUrl: string;
  sender: TxSender<TxMeta>;
  feeds: Record<DevnetAsset, FeedState>;
  policy: FeedPolicy;
  ready: Set<number>; // account indexes set up here
  /** Live mode: sent, not yet mined. */
  inFlight: InFlightTx<TxMeta>[];
  /** Live mode: account index → its transactions in flight here. */
  busy: Map<number, number>;
  /** Accounts whose book here must be re-read from the vault before they act here again. */
  dirty: Set<number>;
  watchedBlock: bigint;
  eventAddresses: Set<string>;
}

export function createSimulator(opts: SimulatorOptions): Simulator {
  const seed = opts.seed ?? 1;
  const accountCount = opts.accounts ?? 300;
  const actionsPerStep = opts.actionsPerStep ?? Math.max(6, Math.floor(accountCount / 25));
  const fundingEvery = opts.fundingEverySteps ?? 10;
  const priceParams: PriceModelParams = { ...DEFAULT_PRICE_PARAMS, ...opts.priceParams };
  const chol = cholesky(priceParams.correlation);
  const followLiquidations = opts.followLiquidations ?? true;
  const timeoutMs = opts.receiptTimeoutMs ?? 120_000;
  const root = createRng(seed);
  const priceRng = root.fork("prices");
  const actionRng = root.fork("actions");
  const feedRng = root.fork("feeds");
  const rpcByName = new Map((opts.chains ?? []).map((c) => [c.name, c.rpcUrl]));

  const ctxs: ChainCtx[] = opts.deployment.chains.map((dep, index) => {
    const rpcUrl = rpcByName.get(dep.name) ?? dep.rpcUrl;
    return {
      index,
      dep,
      rpcUrl,
      sender: new TxSender<TxMeta>(rpcUrl, opts.manualMining ?? false, 500, opts.nonceScopes?.[dep.name]),
      feeds: {} as Record<DevnetAsset, FeedState>,
      policy: defaultFeedPolicy(index),
      ready: new Set(),
      inFlight: [],
      busy: new Map(),
      dirty: new Set(),
      watchedBlock: 0n,
      eventAddresses: new Set([dep.vault, ...Object.values(dep.feeds).map((f) => f.address)].map((a) => a.toLowerCase())),
    };
  });
  if (ctxs.length === 0) throw new SimulatorError("the deployment has no chains; deploy at least one before simulating");

  const accountRng = root.fork("accounts");
  const accounts: SimAccount[] = Array.from({ length: accountCount }, (_, i) => createAccount(i, simAccountAddress(seed, i), ctxs.length, accountRng));

  let prices: Prices = { USDC: 1, BTC: 60_000, ETH: 3_000, ARB: 1 };
  let anchor: Prices = { ...prices };
  let stepNo = 0;
  let setupDone = false;
  /** True while a live (pipelined) run is going: sends don't wait for receipts. */
  let live = false;
  /** Recovery drift after a crash: log move per step, steps left, assets. */
  let recovery: { logPerStep: number; stepsLeft: number; assets: RiskyAsset[] } | null = null;
  const started = Date.now();
  const stats = {
    steps: 0,
    txSent: 0,
    txFailed: 0,
    events: 0,
    crashes: 0,
    resyncs: 0,
    confirmErrors: 0,
    lastConfirmError: null as string | null,
    perChain: Object.fromEntries(ctxs.map((c) => [c.dep.name, { txSent: 0, txFailed: 0, vaultEvents: 0, feedEvents: 0 }])) as Record<string, ChainStats>,
  };
  // one operation at a time (step, crash, setup share the deployer's nonces and the books)
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };

  const snapshot = (): SimStats => ({
    ...stats,
    perChain: Object.fromEntries(Object.entries(stats.perChain).map(([k, v]) => [k, { ...v }])),
    prices: { ...prices },
    elapsedMs: Date.now() - started,
  });

  async function readFeeds(ctx: ChainCtx): Promise<void> {
    const answers = await rpcBatchStrict<Hex>(
      ctx.rpcUrl,
      DEVNET_ASSETS.map((asset) => ({
        method: "eth_call",
        params: [{ to: ctx.dep.feeds[asset].address, data: encodeFunctionData({ abi: priceFeedAbi, functionName: "latestAnswer" }) }, "latest"],
      })),
    );
    DEVNET_ASSETS.forEach((asset, i) => {
      const v = decodeFunctionResult({ abi: priceFeedAbi, functionName: "latestAnswer", data: answers[i]! });
      ctx.feeds[asset] = { lastUsd8: v, lastStep: 0 };
    });
  }

  function enqueueAction(ctx: ChainCtx, account: SimAccount, action: Action): void {
    const vault = ctx.dep.vault;
    let data: Hex;
    let gas: bigint;
    switch (action.kind) {
      case "trade":
        data = encodeFunctionData({ abi: marginVaultAbi, functionName: "trade", args: [action.marketId, action.sizeDelta] });
        gas = GAS.trade;
        break;
      default: {
        const token = ctx.dep.tokens[action.asset].address;
        data = encodeFunctionData({ abi: marginVaultAbi, functionName: action.kind, args: [token, action.amountRaw] });
        gas = GAS[action.kind];
      }
    }
    ctx.sender.enqueue({ from: account.address, to: vault, data, gas, meta: { kind: "account", account, action } });
  }

  /**
   * Fund `fresh` accounts with every token and approve the vault, by writing the token's storage
   * (anvil_setStorageAt) instead of 8 transactions per account and chain: setup takes two RPC
   * batches and no block space, so the first step starts at once. Checked by reading
   * balanceOf/allowance back, so a changed token layout fails loudly instead of reverting every deposit.
   */
  async function fundAndApprove(ctx: ChainCtx, fresh: SimAccount[]): Promise<void> {
    if (fresh.length === 0) return;
    const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}`;
    const calls: { method: string; params: unknown[] }[] = [];
    for (const a of fresh) {
      calls.push({ method: "anvil_setBalance", params: [a.address, GAS_BALANCE_WEI] });
      for (const asset of DEVNET_ASSETS) {
        const token = ctx.dep.tokens[asset].address;
        const raw = BigInt(Math.floor(MINT_USD / prices[asset])) * 10n ** BigInt(DECIMALS[asset]);
        const slots = tokenSlots(a.address, ctx.dep.vault);
        calls.push({ method: "anvil_setStorageAt", params: [token, slots.balance, word(raw)] });
        calls.push({ method: "anvil_setStorageAt", params: [token, slots.allowance, word(MAX_UINT256)] });
      }
    }
    await rpcBatchStrict(ctx.rpcUrl, calls);
    const probe = fresh[0]!;
    const checks = await rpcBatchStrict<Hex>(
      ctx.rpcUrl,
      DEVNET_ASSETS.flatMap((asset) => [
        { method: "eth_call", params: [{ to: ctx.dep.tokens[asset].address, data: encodeFunctionData({ abi: testTokenAbi, functionName: "balanceOf", args: [probe.address] }) }, "latest"] },
        { method: "eth_call", params: [{ to: ctx.dep.tokens[asset].address, data: encodeFunctionData({ abi: testTokenAbi, functionName: "allowance", args: [probe.address, ctx.dep.vault] }) }, "latest"] },
      ]),
    );
    DEVNET_ASSETS.forEach((asset, i) => {
      const balance = BigInt(checks[2 * i]!);
      const allowance = BigInt(checks[2 * i + 1]!);
      if (balance === 0n || allowance !== MAX_UINT256) {
        throw new SimulatorError(
          `funding ${asset} on ${ctx.dep.name} through storage did not take: balanceOf ${balance}, allowance ${allowance}; expected TestToken's layout with balanceOf at slot ${TOKEN_BALANCE_SLOT} and allowance at slot ${TOKEN_ALLOWANCE_SLOT}`,
          { chain: ctx.dep.name, asset, token: ctx.dep.tokens[asset].address },
        );
      }
    });
  }

  function countOutcomes(ctx: ChainCtx, outcomes: TxOutcome<TxMeta>[]): { events: number; failed: TxOutcome<TxMeta>[] } {
    const cs = stats.perChain[ctx.dep.name]!;
    let events = 0;
    const failed: TxOutcome<TxMeta>[] = [];
    for (const o of outcomes) {
      cs.txSent++;
      stats.txSent++;
      if (o.error) {
        cs.txFailed++;
        stats.txFailed++;
        failed.push(o);
      }
      for (const log of o.logs) {
        const a = log.address.toLowerCase();
        if (!ctx.eventAddresses.has(a)) continue;
        events++;
        if (a === ctx.dep.vault.toLowerCase()) cs.vaultEvents++;
        else cs.feedEvents++;
      }
    }
    stats.events += events;
    return { events, failed };
  }

  async function resyncBook(ctx: ChainCtx, account: SimAccount): Promise<void> {
    const vault = ctx.dep.vault;
    const calls: { data: Hex }[] = [];
    for (const asset of DEVNET_ASSETS) calls.push({ data: encodeFunctionData({ abi: marginVaultAbi, functionName: "collateralOf", args: [account.address, ctx.dep.tokens[asset].address] }) });
    for (const asset of DEVNET_ASSETS) calls.push({ data: encodeFunctionData({ abi: marginVaultAbi, functionName: "debtOf", args: [account.address, ctx.dep.tokens[asset].address] }) });
    for (const id of MARKET_IDS) calls.push({ data: encodeFunctionData({ abi: marginVaultAbi, functionName: "positionOf", args: [account.address, id] }) });
    const out = await rpcBatchStrict<Hex>(ctx.rpcUrl, calls.map((c) => ({ method: "eth_call", params: [{ to: vault, data: c.data }, "latest"] })));
    const book = emptyBook();
    DEVNET_ASSETS.forEach((asset, i) => {
      book.collateral[asset] = decodeFunctionResult({ abi: marginVaultAbi, functionName: "collateralOf", data: out[i]! });
      book.debt[asset] = decodeFunctionResult({ abi: marginVaultAbi, functionName: "debtOf", data: out[DEVNET_ASSETS.length + i]! });
    });
    MARKET_IDS.forEach((id, i) => {
      book.positions[id] = decodeFunctionResult({ abi: marginVaultAbi, functionName: "positionOf", data: out[2 * DEVNET_ASSETS.length + i]! })[0];
    });
    account.books[ctx.index] = book;
    stats.resyncs++;
  }

  async function handleFailures(ctx: ChainCtx, failed: TxOutcome<TxMeta>[]): Promise<void> {
    const touched = new Set<SimAccount>();
    for (const f of failed) {
      if (f.meta.kind === "system") continue;
      touched.add(f.meta.account);
      if (f.meta.kind === "setup") ctx.ready.delete(f.meta.account.index);
    }
    for (const account of touched) await resyncBook(ctx, account);
  }

  /** Accounts whose state someone else changed (liquidations, repayFor) since the last look. */
  async function followOthers(ctx: ChainCtx, onTouched?: (touched: Set<SimAccount>) => void): Promise<void> {
    const head = BigInt(await rpc<Hex>(ctx.rpcUrl, "eth_blockNumber"));
    if (head <= ctx.watchedBlock) return;
    const topics = (["CollateralSeized", "PositionLiquidated", "DebtRepaid"] as const).map((eventName) => encodeEventTopics({ abi: marginVaultAbi, eventName })[0]);
    const logs = await rpc<{ topics: Hex[]; data: Hex }[]>(ctx.rpcUrl, "eth_getLogs", [
      { address: ctx.dep.vault, fromBlock: `0x${(ctx.watchedBlock + 1n).toString(16)}`, toBlock: `0x${head.toString(16)}`, topics: [topics] },
    ]);
    ctx.watchedBlock = head;
    const byAddress = new Map(accounts.map((a) => [a.address.toLowerCase(), a]));
    const touched = new Set<SimAccount>();
    for (const log of logs) {
      const ev = decodeEventLog({ abi: marginVaultAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      const args = ev.args as { account: Address; payer?: Address };
      if (ev.eventName === "DebtRepaid" && args.payer?.toLowerCase() === args.account.toLowerCase()) continue;
      const acc = byAddress.get(args.account.toLowerCase());
      if (acc && acc.books[ctx.index]) touched.add(acc);
    }
    if (onTouched) onTouched(touched);
    else for (const acc of touched) await resyncBook(ctx, acc);
  }

  async function flushAll(): Promise<{ events: number; failed: number }> {
    const results = await Promise.all(
      ctxs.map(async (ctx) => {
        const outcomes = await ctx.sender.flush(timeoutMs);
        const r = countOutcomes(ctx, outcomes);
        await handleFailures(ctx, r.failed);
        return r;
      }),
    );
    return { events: results.reduce((s, r) => s + r.events, 0), failed: results.reduce((s, r) => s + r.failed.length, 0) };
  }

  async function doSetup(): Promise<void> {
    if (setupDone) return;
    await Promise.all(
      ctxs.map(async (ctx) => {
        await rpc(ctx.rpcUrl, "anvil_autoImpersonateAccount", [true]);
        await readFeeds(ctx);
        const users = accounts.filter((a) => a.chains.includes(ctx.index));
        // accounts with a nonce were set up by an earlier run on this devnet: resume from their books
        const nonces = await rpcBatchStrict<Hex>(ctx.rpcUrl, users.map((a) => ({ method: "eth_getTransactionCount", params: [a.address, "latest"] })));
        const fresh = users.filter((_, i) => BigInt(nonces[i]!) === 0n);
        for (const a of users.filter((_, i) => BigInt(nonces[i]!) > 0n)) await resyncBook(ctx, a);
        ctx.watchedBlock = BigInt(await rpc<Hex>(ctx.rpcUrl, "eth_blockNumber"));
        return fresh;
      }),
    ).then(async (freshByChain) => {
      // true prices start at the settlement chain's answers (mint amounts use them)
      for (const asset of DEVNET_ASSETS) prices[asset] = Number(ctxs[0]!.feeds[asset].lastUsd8) / 1e8;
      anchor = { ...prices };
      await Promise.all(ctxs.map((ctx, i) => fundAndApprove(ctx, freshByChain[i]!)));
    });
    for (const ctx of ctxs) {
      for (const a of accounts) if (a.chains.includes(ctx.index)) ctx.ready.add(a.index);
    }
    setupDone = true;
  }

  function enqueueFeeds(ctx: ChainCtx, due: { asset: DevnetAsset; answerUsd8: bigint }[]): void {
    for (const d of due) {
      ctx.sender.enqueue({
        from: ctx.dep.deployer,
        to: ctx.dep.feeds[d.asset].address,
        data: encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [d.answerUsd8] }),
        gas: GAS.feed,
        meta: { kind: "system", label: `feed ${d.asset}` },
      });
      ctx.feeds[d.asset] = { lastUsd8: d.answerUsd8, lastStep: stepNo };
    }
  }

  function enqueueFunding(ctx: ChainCtx): void {
    for (const id of MARKET_IDS) {
      let long = 0n;
      let short = 0n;
      for (const a of accounts) {
        const size = a.books[ctx.index]?.positions[id] ?? 0n;
        if (size > 0n) long += size;
        else short -= size;
      }
      const total = long + short;
      const imbalance = total === 0n ? 0 : Number(((long - short) * 1_000_000n) / total) / 1_000_000;
      // premium 0.03% per 8 h at full imbalance, USD per second per whole base unit, × 1e18
      const ratePerSecond = (imbalance * 0.0003 * prices[MARKET_ASSET[id]!]) / 28_800;
      const rate = BigInt(Math.round(ratePerSecond * 1e9)) * 10n ** 9n;
      ctx.sender.enqueue({
        from: ctx.dep.deployer,
        to: ctx.dep.vault,
        data: encodeFunctionData({ abi: marginVaultAbi, functionName: "updateFunding", args: [id, rate] }),
        gas: GAS.funding,
        meta: { kind: "system", label: `funding ${id}` },
      });
    }
  }

  function enqueueAccountActions(count: number): void {
    for (let i = 0; i < count; i++) {
      const account = accounts[actionRng.int(accounts.length)]!;
      for (const action of chooseActions(actionRng, account, prices)) {
        const ctx = ctxs[action.chain]!;
        if (!ctx.ready.has(account.index) || ctx.dirty.has(account.index)) continue;
        if (live && ctx.inFlight.length >= MAX_IN_FLIGHT) continue;
        account.books[action.chain] = applyAction(account.books[action.chain]!, action);
        enqueueAction(ctx, account, action);
      }
    }
  }

  /** `subSteps` price/feed/funding/action steps, then one flush (bulk rounds use many per flush). */
  async function doStep(actions: number, subSteps = 1): Promise<StepResult> {
    await doSetup();
    let crashed: number | null = null;
    for (let k = 0; k < subSteps; k++) {
      stepNo++;
      const moved = stepPrices(prices, anchor, priceRng, priceParams, chol);
      prices = applyRecovery(moved.prices);
      if (moved.crashed !== null) {
        stats.crashes++;
        crashed = moved.crashed;
      }
      for (const ctx of ctxs) {
        enqueueFeeds(ctx, feedsDue(ctx.feeds, prices, stepNo, ctx.policy, feedRng));
        if (stepNo % fundingEvery === 0) enqueueFunding(ctx);
      }
      enqueueAccountActions(actions);
      stats.steps++;
    }
    if (live) {
      const { failed } = await sendAll();
      return { step: stepNo, events: 0, failed, crashed };
    }
    const r = await flushAll();
    if (followLiquidations) await Promise.all(ctxs.map((ctx) => followOthers(ctx)));
    return { step: stepNo, events: r.events, failed: r.failed, crashed };
  }

  /** Prices after the recovery drift of the last crash, if one is running (else unchanged). */
  function applyRecovery(next: Prices): Prices {
    if (!recovery || recovery.stepsLeft <= 0) return next;
    const out = { ...next };
    for (const asset of recovery.assets) out[asset] *= Math.exp(recovery.logPerStep);
    recovery.stepsLeft--;
    if (recovery.stepsLeft === 0) recovery = null;
    return out;
  }

  // ---- live mode: send without waiting, confirm in the background ----

  function markBusy(ctx: ChainCtx, meta: TxMeta, delta: number): void {
    if (meta.kind === "system") return;
    const n = (ctx.busy.get(meta.account.index) ?? 0) + delta;
    if (n > 0) ctx.busy.set(meta.account.index, n);
    else ctx.busy.delete(meta.account.index);
  }

  /** Final outcomes (mined, reverted or never sent): count them; failed accounts get resynced. */
  function settle(ctx: ChainCtx, outcomes: TxOutcome<TxMeta>[]): number {
    const r = countOutcomes(ctx, outcomes);
    for (const o of outcomes) markBusy(ctx, o.meta, -1);
    for (const f of r.failed) if (f.meta.kind !== "system") ctx.dirty.add(f.meta.account.index);
    return r.failed.length;
  }

  /** Send every chain's queue; the transactions join the chain's in-flight list (the confirm loops settle them). */
  async function sendAll(): Promise<{ failed: number; sent: TxOutcome<TxMeta>[] }> {
    const perChain = await Promise.all(
      ctxs.map(async (ctx) => {
        const txs = ctx.sender.takeQueue();
        for (const t of txs) markBusy(ctx, t.meta, +1);
        const { outcomes, inFlight } = await ctx.sender.send(txs);
        ctx.inFlight.push(...inFlight);
        const sentIds = new Set(inFlight.map((p) => p.outcome));
        return { failed: settle(ctx, outcomes.filter((o) => !sentIds.has(o))), sent: inFlight.map((p) => p.outcome) };
      }),
    );
    return { failed: perChain.reduce((a, r) => a + r.failed, 0), sent: perChain.flatMap((r) => r.sent) };
  }

  /** Live mode: wait until the confirm loops have seen every outcome in `sent` mined (or failed). */
  async function waitSettled(sent: TxOutcome<TxMeta>[]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (sent.some((o) => o.blockNumber === null && o.error === null)) {
      if (Date.now() > deadline) throw new SimulatorError(`crash feed updates not mined within ${timeoutMs} ms; are the chains mining?`, { unmined: sent.filter((o) => o.blockNumber === null).length });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Re-read the books of dirty accounts that have nothing in flight on this chain. */
  async function resyncIdle(ctx: ChainCtx): Promise<void> {
    for (const index of [...ctx.dirty]) {
      if (ctx.busy.has(index)) continue;
      await resyncBook(ctx, accounts[index]!);
      ctx.dirty.delete(index);
    }
  }

  /** One chain's receipt loop while live (and until its in-flight list drains or the deadline passes). */
  async function confirmLoop(ctx: ChainCtx, until: () => boolean): Promise<void> {
    let lastFollow = 0;
    for (;;) {
      const stillLive = live;
      try {
        await settleMined(ctx);
        if (followLiquidations && Date.now() - lastFollow >= 1000) {
          lastFollow = Date.now();
          await followOthers(ctx, (touched) => {
            for (const a of touched) ctx.dirty.add(a.index);
          });
        }
        if (ctx.dirty.size) await resyncIdle(ctx);
      } catch (e) {
        // a node that stops answering after the run ended (Ctrl-C) leaves nothing to confirm
        if (!stillLive) return;
        stats.confirmErrors++;
        stats.lastConfirmError = e instanceof Error ? e.message : String(e);
      }
      if (!stillLive && ctx.inFlight.length === 0) return;
      if (until()) {
        ctx.sender.abandon(ctx.inFlight);
        settle(ctx, ctx.inFlight.splice(0).map((p) => p.outcome));
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One receipt round over the chain's in-flight list: settle what was mined or waited too long. */
  async function settleMined(ctx: ChainCtx): Promise<void> {
    if (ctx.inFlight.length === 0) return;
    const batch = ctx.inFlight.slice();
    const waiting = new Set(await ctx.sender.poll(batch));
    const now = Date.now();
    const done = new Set<InFlightTx<TxMeta>>();
    const stale: InFlightTx<TxMeta>[] = [];
    for (const p of batch) {
      if (!waiting.has(p)) done.add(p);
      else if (now - p.sentAt > timeoutMs) {
        stale.push(p);
        done.add(p);
      }
    }
    if (done.size === 0) return;
    ctx.sender.abandon(stale);
    ctx.inFlight = ctx.inFlight.filter((p) => !done.has(p));
    settle(ctx, [...done].map((p) => p.outcome));
  }

  async function runLive(ro: RunOptions, intervalMs: number): Promise<SimStats> {
    const until = ro.durationMs !== undefined ? Date.now() + ro.durationMs : Infinity;
    const steps = ro.steps ?? Infinity;
    await exclusive(doSetup);
    live = true;
    let drainDeadline = Infinity;
    const loops = ctxs.map((ctx) => confirmLoop(ctx, () => Date.now() > drainDeadline));
    try {
      for (let i = 0; i < steps && Date.now() < until && !ro.signal?.aborted; i++) {
        const t0 = Date.now();
        const r = await exclusive(() => doStep(actionsPerStep));
        ro.onStep?.(r);
        ro.onProgress?.(snapshot());
        const wait = intervalMs - (Date.now() - t0);
        if (wait > 0) await sleepOrAbort(wait, ro.signal);
      }
    } finally {
      live = false;
      drainDeadline = Date.now() + timeoutMs;
      await Promise.all(loops);
    }
    return snapshot();
  }

  const sim: Simulator = {
    accounts,
    get prices() {
      return { ...prices };
    },
    stats: snapshot,
    setup: () => exclusive(doSetup),
    step: () => exclusive(() => doStep(actionsPerStep)),
    async run(ro) {
      const until = ro.durationMs !== undefined ? Date.now() + ro.durationMs : Infinity;
      const steps = ro.steps ?? Infinity;
      if (steps === Infinity && until === Infinity && !ro.signal) {
        throw new SimulatorError("run() needs steps, durationMs or an AbortSignal; otherwise it never ends");
      }
      if (ro.intervalMs !== undefined) return runLive(ro, ro.intervalMs);
      for (let i = 0; i < steps && Date.now() < until && !ro.signal?.aborted; i++) {
        const r = await sim.step();
        ro.onStep?.(r);
        ro.onProgress?.(snapshot());
      }
      return snapshot();
    },
    crash: async (co) => {
      const sent = await exclusive(async () => {
        await doSetup();
        if (!(co.pct > 0 && co.pct < 1)) throw new SimulatorError(`crash pct must be in (0, 1), e.g. 0.3 for −30%; got ${co.pct}`);
        const recoverySteps = co.recoverySteps ?? 0;
        const recoveryFraction = co.recoveryFraction ?? 0.8;
        if (!(Number.isInteger(recoverySteps) && recoverySteps >= 0)) throw new SimulatorError(`crash recoverySteps must be a whole number ≥ 0; got ${recoverySteps}`);
        if (!(recoveryFraction >= 0 && recoveryFraction <= 1)) throw new SimulatorError(`crash recoveryFraction must be in [0, 1]; got ${recoveryFraction}`);
        const assets: RiskyAsset[] = !co.asset || co.asset === "all" ? [...RISKY_ASSETS] : [co.asset];
        const unknown = (co.chains ?? []).filter((n) => !ctxs.some((c) => c.dep.name === n));
        if (unknown.length) throw new SimulatorError(`unknown chain(s) ${unknown.join(", ")}; expected some of ${ctxs.map((c) => c.dep.name).join(", ")}`);
        for (const asset of assets) prices[asset] *= 1 - co.pct;
        for (const ctx of ctxs) {
          if (co.chains && !co.chains.includes(ctx.dep.name)) continue;
          enqueueFeeds(ctx, assets.map((asset) => ({ asset, answerUsd8: toUsd8(prices[asset]) })));
        }
        stats.crashes++;
        recovery = recoverySteps > 0 && recoveryFraction > 0 ? { logPerStep: (-Math.log(1 - co.pct) * recoveryFraction) / recoverySteps, stepsLeft: recoverySteps, assets } : null;
        if (!live) {
          await flushAll();
          return [];
        }
        // live: the confirm loops count the outcomes; wait (outside the lock) until the feeds are mined
        return (await sendAll()).sent;
      });
      await waitSettled(sent);
    },
    async bulk(bo) {
      if (!(opts.manualMining ?? false)) {
        throw new SimulatorError("bulk mode needs chains started with noMining and the simulator created with manualMining: true");
      }
      const t0 = Date.now();
      const e0 = stats.events;
      await sim.setup();
      while (stats.events - e0 < bo.events) {
        // the same mix as step(): a price step (feeds, funding) per actionsPerStep account actions
        const perRound = bo.actionsPerRound ?? 1200;
        await exclusive(() => doStep(actionsPerStep, Math.max(1, Math.round(perRound / actionsPerStep))));
        bo.onProgress?.(snapshot());
      }
      const s = snapshot();
      return { ...s, eventsPerSecond: (s.events - e0) / ((Date.now() - t0) / 1000) };
    },
    resync: (account) =>
      exclusive(async () => {
        for (const c of account.chains) await resyncBook(ctxs[c]!, account);
      }),
  };
  return sim;
}

function sleepOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    signal?.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      done();
    }
  });
}

export { accountNetUsd, type ChainBook };
