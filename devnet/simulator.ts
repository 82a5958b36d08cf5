/**
 * The market simulator: deterministic (for a seed) traders on every devnet chain depositing,
 * borrowing, trading perps (some hedged across chains), reducing, closing and withdrawing, while
 * correlated prices walk, feeds push on staggered per-chain schedules and funding updates.
 * Accounts are derived addresses driven through anvil's auto-impersonation (no keys, no signing).
 */
import {
  decodeEventLog,
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
import { TxSender, type TxOutcome } from "./txSender.js";

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
  signal?: AbortSignal;
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
  crash(opts: { asset?: RiskyAsset | "all"; pct: number; chains?: string[] }): Promise<void>;
  bulk(opts: BulkOptions): Promise<BulkResult>;
  /** Re-read an account's books from the vaults. */
  resync(account: SimAccount): Promise<void>;
}

type TxMeta = { kind: "account"; account: SimAccount; action: Action } | { kind: "setup"; account: SimAccount } | { kind: "system"; label: string };

const GAS = { mint: 120_000n, approve: 80_000n, deposit: 200_000n, withdraw: 150_000n, borrow: 200_000n, repay: 150_000n, trade: 300_000n, feed: 200_000n, funding: 120_000n };
const MINT_USD = 2_000_000_000; // per token per account per chain: enough for any run length

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
      sender: new TxSender<TxMeta>(rpcUrl, opts.manualMining ?? false),
      feeds: {} as Record<DevnetAsset, FeedState>,
      policy: defaultFeedPolicy(index),
      ready: new Set(),
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
  const started = Date.now();
  const stats = {
    steps: 0,
    txSent: 0,
    txFailed: 0,
    events: 0,
    crashes: 0,
    resyncs: 0,
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

  function enqueueSetup(ctx: ChainCtx, account: SimAccount): void {
    for (const asset of DEVNET_ASSETS) {
      const token = ctx.dep.tokens[asset].address;
      const raw = BigInt(Math.floor(MINT_USD / prices[asset])) * 10n ** BigInt(DECIMALS[asset]);
      ctx.sender.enqueue({ from: account.address, to: token, data: encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [account.address, raw] }), gas: GAS.mint, meta: { kind: "setup", account } });
      ctx.sender.enqueue({ from: account.address, to: token, data: encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [ctx.dep.vault, 2n ** 256n - 1n] }), gas: GAS.approve, meta: { kind: "setup", account } });
    }
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
  async function followOthers(ctx: ChainCtx): Promise<void> {
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
    for (const acc of touched) await resyncBook(ctx, acc);
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
        await rpcBatchStrict(ctx.rpcUrl, fresh.map((a) => ({ method: "anvil_setBalance", params: [a.address, "0x56bc75e2d63100000"] }))); // 100 ETH for gas
        for (const a of fresh) enqueueSetup(ctx, a);
        ctx.watchedBlock = BigInt(await rpc<Hex>(ctx.rpcUrl, "eth_blockNumber"));
      }),
    );
    // true prices start at the settlement chain's answers
    for (const asset of DEVNET_ASSETS) prices[asset] = Number(ctxs[0]!.feeds[asset].lastUsd8) / 1e8;
    anchor = { ...prices };
    await flushAll();
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
        if (!ctx.ready.has(account.index)) continue;
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
      prices = moved.prices;
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
    const r = await flushAll();
    if (followLiquidations) await Promise.all(ctxs.map((ctx) => followOthers(ctx)));
    return { step: stepNo, events: r.events, failed: r.failed, crashed };
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
      for (let i = 0; i < steps && Date.now() < until && !ro.signal?.aborted; i++) {
        await sim.step();
        ro.onProgress?.(snapshot());
      }
      return snapshot();
    },
    crash: (co) =>
      exclusive(async () => {
        await doSetup();
        if (!(co.pct > 0 && co.pct < 1)) throw new SimulatorError(`crash pct must be in (0, 1), e.g. 0.3 for −30%; got ${co.pct}`);
        const assets: RiskyAsset[] = !co.asset || co.asset === "all" ? [...RISKY_ASSETS] : [co.asset];
        const unknown = (co.chains ?? []).filter((n) => !ctxs.some((c) => c.dep.name === n));
        if (unknown.length) throw new SimulatorError(`unknown chain(s) ${unknown.join(", ")}; expected some of ${ctxs.map((c) => c.dep.name).join(", ")}`);
        for (const asset of assets) prices[asset] *= 1 - co.pct;
        for (const ctx of ctxs) {
          if (co.chains && !co.chains.includes(ctx.dep.name)) continue;
          enqueueFeeds(ctx, assets.map((asset) => ({ asset, answerUsd8: toUsd8(prices[asset]) })));
        }
        stats.crashes++;
        await flushAll();
      }),
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

export { accountNetUsd, type ChainBook };
