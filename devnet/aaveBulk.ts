/**
 * Bulk Aave activity for benchmarks: on every chain's devnet Aave market (devnet/aave.ts), rounds
 * of hundreds of account actions sent as JSON-RPC batches followed by evm_mine (anvil
 * --no-mining / automine off), the way the simulator's bulk mode drives the vault.
 *
 * Each round reads every account's state in one batch per chain (getUserAccountData,
 * getUserConfiguration, aToken and variable-debt balances, the oracle's prices and each reserve's
 * cash), liquidates accounts below health factor 1 (a liquidator of the generator, receiving the
 * underlying or the aTokens), then gives every other account at most one action sized from that
 * state: supply, borrow (a share of what it may still borrow; "risky" accounts hold WETH and WBTC
 * and borrow USDC up to 90–97%, so the vault simulator's price moves and crashes, pushed by feeds
 * that are the market's price sources, make some liquidatable), repay (half or all), withdraw,
 * aToken transfer to another account, collateral switched off (when the account's headroom
 * covers it) or on. No eMode: the devnet market lists no eMode category. A revert is counted, never fatal. Every Aave call carries an
 * explicit gas limit: gas estimation fails at random on Aave (protocols/aaveV3/README.md).
 */
import { decodeFunctionResult, encodeFunctionData, toEventSelector, type Abi, type AbiEvent, type Address, type Hex } from "viem";
import { testTokenAbi } from "../abis/index.js";
import { aaveATokenAbi, aavePoolAbi, aavePoolConfiguratorAbi, aaveOracleAbi, aaveVariableDebtTokenAbi } from "../protocols/aaveV3/abis.js";
import { loadAaveArtifact } from "../protocols/aaveV3/artifacts.js";
import { AAVE_INDEXED_EVENTS } from "../protocols/aaveV3/indexedEvents.js";
import type { DevnetAaveMarket } from "./aave.js";
import { aaveAccountAddress } from "./aaveDriver.js";
import { DevnetError } from "./errors.js";
import type { Rng } from "./random.js";
import { rpc, rpcBatchStrict } from "./rpc.js";
import { tokenSlots } from "./simulator.js";
import { TxSender } from "./txSender.js";

export type AaveBulkAction = "supply" | "borrow" | "repay" | "withdraw" | "transfer" | "collateralOff" | "collateralOn" | "liquidation";

export interface AaveBulkChain {
  name: string;
  rpcUrl: string;
  market: DevnetAaveMarket;
}

export interface AaveBulkOptions {
  chains: readonly AaveBulkChain[];
  /** Accounts per chain (default 100). */
  accountsPerChain?: number;
  /** Every `riskyEvery`-th account borrows close to its limit, stablecoin against volatile collateral (default 4). */
  riskyEvery?: number;
  seed?: number;
  rng: Rng;
  receiptTimeoutMs?: number;
}

export interface AaveBulkStats {
  rounds: number;
  txSent: number;
  txFailed: number;
  byAction: Record<AaveBulkAction, number>;
  failedByAction: Record<AaveBulkAction, number>;
  /** Logs of the kinds xmargin indexes emitted by the markets' Pool, configurator, oracle and tokens (not the price sources). */
  indexedLogs: number;
}

export interface AaveBulkGenerator {
  readonly stats: AaveBulkStats;
  /** Fund every account (storage writes) and make the first supplies. Idempotent. */
  setup(): Promise<void>;
  /** One round on every chain; resolves when it is mined. Returns the indexed logs it emitted. */
  round(): Promise<number>;
}

export class AaveBulkError extends DevnetError {
  override name = "AaveBulkError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("AAVE_BULK_ERROR", message, details);
  }
}

const USER_GAS = 1_500_000n;
const LIQUIDATION_GAS = 2_500_000n;
const GAS_BALANCE_WEI = `0x${(10n ** 24n).toString(16)}`;
const MAX_UINT256 = 2n ** 256n - 1n;
const WAD = 10n ** 18n;
/** Every account (and the liquidator) holds this much of every reserve's token, in USD: more than any run spends. */
const FUND_USD = 10_000_000_000n;
const BASE = 100_000_000n; // the oracle's base unit: USD × 1e8

interface Reserve {
  index: number;
  id: number;
  underlying: Address;
  aToken: Address;
  debtToken: Address;
  decimals: number;
}

interface AccountState {
  collateralBase: bigint;
  debtBase: bigint;
  availableBase: bigint;
  healthFactor: bigint;
  collateralOn: boolean[];
  supplied: bigint[];
  debt: bigint[];
}

interface ChainCtx {
  chain: AaveBulkChain;
  sender: TxSender<AaveBulkAction>;
  reserves: Reserve[];
  accounts: Address[];
  liquidator: Address;
  aaveAddresses: Set<string>;
}

const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}`;

/** topic0 of every event xmargin indexes on the Pool, configurator, oracle and tokens. */
function indexedSelectors(): Set<string> {
  const abis: Record<string, Abi> = {
    AavePool: aavePoolAbi,
    AavePoolConfigurator: aavePoolConfiguratorAbi,
    AaveOracle: aaveOracleAbi,
    AaveAToken: aaveATokenAbi,
    AaveVariableDebtToken: aaveVariableDebtTokenAbi,
  };
  const out = new Set<string>();
  for (const [contract, abi] of Object.entries(abis)) {
    const names = new Set<string>(AAVE_INDEXED_EVENTS[contract as keyof typeof AAVE_INDEXED_EVENTS].events);
    for (const item of abi) if (item.type === "event" && names.has(item.name)) out.add(toEventSelector(item as AbiEvent));
  }
  return out;
}

export function createAaveBulk(opts: AaveBulkOptions): AaveBulkGenerator {
  const perChain = opts.accountsPerChain ?? 100;
  const riskyEvery = opts.riskyEvery ?? 4;
  const seed = opts.seed ?? 1;
  const rng = opts.rng;
  const timeoutMs = opts.receiptTimeoutMs ?? 120_000;
  const poolAbi = loadAaveArtifact("Pool").abi as Abi;
  const oracleAbi = loadAaveArtifact("AaveOracle").abi as Abi;
  const selectors = indexedSelectors();
  const zero = () => ({ supply: 0, borrow: 0, repay: 0, withdraw: 0, transfer: 0, collateralOff: 0, collateralOn: 0, liquidation: 0 });
  const stats: AaveBulkStats = { rounds: 0, txSent: 0, txFailed: 0, byAction: zero(), failedByAction: zero(), indexedLogs: 0 };
  if (opts.chains.length === 0) throw new AaveBulkError("no chain with an Aave market: deploy the devnet with aaveV3 before generating Aave activity");
  const ctxs: ChainCtx[] = opts.chains.map((chain, c) => {
    const m = chain.market;
    return {
      chain,
      sender: new TxSender<AaveBulkAction>(chain.rpcUrl, true, 500),
      reserves: m.reserves.map((r, index) => ({ index, id: index, underlying: r.underlying, aToken: r.aToken, debtToken: r.variableDebtToken, decimals: r.decimals })),
      accounts: Array.from({ length: perChain }, (_, i) => aaveAccountAddress(seed, 10_000 * (c + 1) + i)),
      liquidator: aaveAccountAddress(seed, 10_000 * (c + 1) + 9_999),
      aaveAddresses: new Set([m.pool, m.poolConfigurator, m.oracle, ...m.reserves.flatMap((r) => [r.aToken, r.variableDebtToken])].map((a) => a.toLowerCase())),
    };
  });
  let ready = false;

  const call = (to: Address, data: Hex) => ({ method: "eth_call", params: [{ to, data }, "latest"] });
  const poolData = (functionName: string, args: readonly unknown[]) => encodeFunctionData({ abi: poolAbi, functionName, args } as never);
  const balanceData = (who: Address) => encodeFunctionData({ abi: testTokenAbi, functionName: "balanceOf", args: [who] });
  const usdToUnits = (usd8: bigint, r: Reserve, price: bigint) => (usd8 * 10n ** BigInt(r.decimals)) / price;
  const unitsToUsd = (units: bigint, r: Reserve, price: bigint) => (units * price) / 10n ** BigInt(r.decimals);

  async function prices(ctx: ChainCtx): Promise<bigint[]> {
    const out = await rpcBatchStrict<Hex>(
      ctx.chain.rpcUrl,
      ctx.reserves.map((r) => call(ctx.chain.market.oracle, encodeFunctionData({ abi: oracleAbi, functionName: "getAssetPrice", args: [r.underlying] } as never))),
    );
    return out.map((h) => BigInt(h));
  }

  async function setupChain(ctx: ChainCtx): Promise<void> {
    const { rpcUrl, market } = ctx.chain;
    await rpc(rpcUrl, "anvil_autoImpersonateAccount", [true]);
    // reserve ids as the pool numbers them (bits of getUserConfiguration)
    const datas = await rpcBatchStrict<Hex>(rpcUrl, ctx.reserves.map((r) => call(market.pool, poolData("getReserveData", [r.underlying]))));
    datas.forEach((d, i) => {
      const decoded = decodeFunctionResult({ abi: poolAbi, functionName: "getReserveData", data: d }) as { id: number };
      ctx.reserves[i]!.id = Number(decoded.id);
    });
    const p = await prices(ctx);
    const calls: { method: string; params: unknown[] }[] = [];
    for (const a of [...ctx.accounts, ctx.liquidator]) {
      calls.push({ method: "anvil_setBalance", params: [a, GAS_BALANCE_WEI] });
      for (const r of ctx.reserves) {
        const slots = tokenSlots(a, market.pool);
        calls.push({ method: "anvil_setStorageAt", params: [r.underlying, slots.balance, word(usdToUnits(FUND_USD * BASE, r, p[r.index]!))] });
        calls.push({ method: "anvil_setStorageAt", params: [r.underlying, slots.allowance, word(MAX_UINT256)] });
      }
    }
    await rpcBatchStrict(rpcUrl, calls);
    const probe = ctx.accounts[0]!;
    const allowance = BigInt(await rpc<Hex>(rpcUrl, "eth_call", [{ to: ctx.reserves[0]!.underlying, data: encodeFunctionData({ abi: testTokenAbi, functionName: "allowance", args: [probe, market.pool] }) }, "latest"]));
    if (allowance !== MAX_UINT256) throw new AaveBulkError(`funding Aave accounts through storage did not take on ${ctx.chain.name} (allowance ${allowance}); expected TestToken's layout`, { chain: ctx.chain.name });
    // first supplies: two reserves each, so the first round has collateral and cash to lend
    const volatile = volatileReserves(ctx);
    ctx.accounts.forEach((a, i) => {
      for (const k of [0, 1]) {
        const r = i % riskyEvery === 0 ? volatile[k % volatile.length]! : ctx.reserves[(i + k) % ctx.reserves.length]!;
        const usd = BigInt(50_000 + rng.int(150_000));
        enqueue(ctx, a, market.pool, poolData("supply", [r.underlying, usdToUnits(usd * BASE, r, p[r.index]!), a, 0]), "supply");
      }
    });
  }

  /** The reserves whose price moves (all but USDC; all when there is no USDC). */
  function volatileReserves(ctx: ChainCtx): Reserve[] {
    const stable = ctx.chain.market.reserves.findIndex((r) => r.symbol === "USDC");
    const out = ctx.reserves.filter((r) => r.index !== stable);
    return out.length > 0 ? out : ctx.reserves;
  }

  function stableReserve(ctx: ChainCtx): Reserve | undefined {
    const stable = ctx.chain.market.reserves.findIndex((r) => r.symbol === "USDC");
    return stable < 0 ? undefined : ctx.reserves[stable];
  }

  function enqueue(ctx: ChainCtx, from: Address, to: Address, data: Hex, action: AaveBulkAction, gas = USER_GAS): void {
    ctx.sender.enqueue({ from, to, data, gas, meta: action });
  }

  async function readStates(ctx: ChainCtx): Promise<{ states: AccountState[]; price: bigint[]; cash: bigint[] }> {
    const { rpcUrl, market } = ctx.chain;
    const n = ctx.reserves.length;
    const calls = [
      ...ctx.reserves.map((r) => call(market.oracle, encodeFunctionData({ abi: oracleAbi, functionName: "getAssetPrice", args: [r.underlying] } as never))),
      ...ctx.reserves.map((r) => call(r.underlying, balanceData(r.aToken))),
    ];
    for (const a of ctx.accounts) {
      calls.push(call(market.pool, poolData("getUserAccountData", [a])));
      calls.push(call(market.pool, poolData("getUserConfiguration", [a])));
      for (const r of ctx.reserves) calls.push(call(r.aToken, balanceData(a)), call(r.debtToken, balanceData(a)));
    }
    const out = await rpcBatchStrict<Hex>(rpcUrl, calls);
    const price = out.slice(0, n).map((h) => BigInt(h));
    const cash = out.slice(n, 2 * n).map((h) => BigInt(h));
    const per = 2 + 2 * n;
    const states = ctx.accounts.map((_, i) => {
      const o = out.slice(2 * n + i * per, 2 * n + (i + 1) * per);
      const w = (hex: Hex, k: number) => BigInt(`0x${hex.slice(2 + 64 * k, 2 + 64 * (k + 1))}`);
      const config = BigInt(o[1]!);
      return {
        collateralBase: w(o[0]!, 0),
        debtBase: w(o[0]!, 1),
        availableBase: w(o[0]!, 2),
        healthFactor: w(o[0]!, 5),
        collateralOn: ctx.reserves.map((r) => ((config >> BigInt(2 * r.id + 1)) & 1n) === 1n),
        supplied: ctx.reserves.map((r) => BigInt(o[2 + 2 * r.index]!)),
        debt: ctx.reserves.map((r) => BigInt(o[3 + 2 * r.index]!)),
      };
    });
    return { states, price, cash };
  }

  /** The index of the largest of `values` among those `ok` allows, or -1. */
  const argmax = (values: bigint[], ok: (i: number) => boolean = () => true): number => {
    let best = -1;
    values.forEach((v, i) => {
      if (v > 0n && ok(i) && (best < 0 || v > values[best]!)) best = i;
    });
    return best;
  };

  function planChain(ctx: ChainCtx, states: AccountState[], price: bigint[], cash: bigint[]): void {
    const pool = ctx.chain.market.pool;
    const rs = ctx.reserves;
    const volatile = volatileReserves(ctx);
    const stable = stableReserve(ctx);
    ctx.accounts.forEach((user, i) => {
      const s = states[i]!;
      const value = (units: bigint[]) => units.map((u, k) => unitsToUsd(u, rs[k]!, price[k]!));
      if (s.debtBase > 0n && s.healthFactor < WAD) {
        const d = argmax(value(s.debt));
        const c = argmax(value(s.supplied), (k) => s.collateralOn[k]!);
        if (d < 0 || c < 0) return;
        // the underlying leaves the reserve's cash unless the liquidator takes aTokens
        const receiveAToken = cash[c]! < s.supplied[c]! || rng.chance(0.3);
        if (!receiveAToken) cash[c]! -= s.supplied[c]!;
        enqueue(ctx, ctx.liquidator, pool, poolData("liquidationCall", [rs[c]!.underlying, rs[d]!.underlying, user, MAX_UINT256, receiveAToken]), "liquidation", LIQUIDATION_GAS);
        return;
      }
      const risky = i % riskyEvery === 0;
      const hasSupply = s.supplied.some((x) => x > 0n);
      const hasDebt = s.debt.some((x) => x > 0n);
      // switching a reserve off takes away at most its value of borrowing power: allowed within half the headroom
      const offCandidates = rs.filter(
        (r) => s.collateralOn[r.index] && s.supplied[r.index]! > 0n && (s.debtBase === 0n || unitsToUsd(s.supplied[r.index]!, r, price[r.index]!) <= s.availableBase / 2n),
      );
      const onCandidates = rs.filter((r) => !s.collateralOn[r.index] && s.supplied[r.index]! > 0n);
      const weights: [AaveBulkAction, number][] = [
        ["supply", 3],
        ["borrow", s.availableBase > 100n * BASE ? (risky ? 4 : 2.5) : 0],
        ["repay", hasDebt ? (risky ? 1 : 2) : 0],
        ["withdraw", hasSupply ? 1.5 : 0],
        ["transfer", hasSupply ? 1 : 0],
        ["collateralOff", offCandidates.length > 0 ? 0.6 : 0],
        ["collateralOn", onCandidates.length > 0 ? 0.8 : 0],
      ];
      const action = weights[rng.weighted(weights.map((x) => x[1]))]![0];
      switch (action) {
        case "supply": {
          const r = rng.pick(risky ? volatile : rs);
          enqueue(ctx, user, pool, poolData("supply", [r.underlying, usdToUnits(BigInt(1_000 + rng.int(20_000)) * BASE, r, price[r.index]!), user, 0]), "supply");
          break;
        }
        case "borrow": {
          const share = risky ? 90 + rng.int(8) : 20 + rng.int(40);
          const usd8 = (s.availableBase * BigInt(share)) / 100n;
          const fits = rs.filter((r) => cash[r.index]! > (usdToUnits(usd8, r, price[r.index]!) * 11n) / 10n);
          if (fits.length === 0) break;
          const r = risky && stable && fits.includes(stable) ? stable : rng.pick(fits);
          const units = usdToUnits(usd8, r, price[r.index]!);
          cash[r.index]! -= units;
          enqueue(ctx, user, pool, poolData("borrow", [r.underlying, units, 2, 0, user]), "borrow");
          break;
        }
        case "repay": {
          const r = rng.pick(rs.filter((x) => s.debt[x.index]! > 0n));
          enqueue(ctx, user, pool, poolData("repay", [r.underlying, rng.chance(0.3) ? MAX_UINT256 : s.debt[r.index]! / 2n, 2, user]), "repay");
          break;
        }
        case "withdraw":
        case "transfer": {
          const r = rng.pick(rs.filter((x) => s.supplied[x.index]! > 0n));
          let units = s.supplied[r.index]! / (action === "withdraw" ? 4n : 10n);
          // collateral backing a debt: move at most half of what the account may still borrow
          if (s.debtBase > 0n && s.collateralOn[r.index]) {
            const cap = usdToUnits(s.availableBase / 2n, r, price[r.index]!);
            if (cap < units) units = cap;
          }
          if (units === 0n) break;
          if (action === "withdraw") {
            if (cash[r.index]! < units) break;
            cash[r.index]! -= units;
            enqueue(ctx, user, pool, poolData("withdraw", [r.underlying, units, user]), "withdraw");
          } else {
            const to = ctx.accounts[(i + 1 + rng.int(ctx.accounts.length - 1)) % ctx.accounts.length]!;
            enqueue(ctx, user, r.aToken, encodeFunctionData({ abi: testTokenAbi, functionName: "transfer", args: [to, units] }), "transfer");
          }
          break;
        }
        case "collateralOff":
        case "collateralOn": {
          const r = rng.pick(action === "collateralOff" ? offCandidates : onCandidates);
          enqueue(ctx, user, pool, poolData("setUserUseReserveAsCollateral", [r.underlying, action === "collateralOn"]), action);
          break;
        }
        case "liquidation":
          break;
      }
    });
  }

  async function flushChain(ctx: ChainCtx): Promise<number> {
    const outcomes = await ctx.sender.flush(timeoutMs);
    let logs = 0;
    for (const o of outcomes) {
      stats.txSent++;
      stats.byAction[o.meta]++;
      if (o.error !== null) {
        stats.txFailed++;
        stats.failedByAction[o.meta]++;
      }
      for (const l of o.logs) if (ctx.aaveAddresses.has(l.address.toLowerCase()) && l.topics[0] !== undefined && selectors.has(l.topics[0])) logs++;
    }
    stats.indexedLogs += logs;
    return logs;
  }

  async function setup(): Promise<void> {
    if (ready) return;
    for (const ctx of ctxs) await setupChain(ctx);
    await Promise.all(ctxs.map(flushChain));
    ready = true;
  }

  return {
    stats,
    setup,
    async round() {
      await setup();
      const plans = await Promise.all(ctxs.map(async (ctx) => ({ ctx, ...(await readStates(ctx)) })));
      for (const p of plans) planChain(p.ctx, p.states, p.price, p.cash);
      const logs = (await Promise.all(ctxs.map(flushChain))).reduce((a, b) => a + b, 0);
      stats.rounds++;
      return logs;
    },
  };
}
