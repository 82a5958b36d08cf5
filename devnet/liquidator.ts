/**
 * The reference liquidator: follows the API's `endangeredAccounts` subscription over SSE and,
 * for every account that enters as LIQUIDATABLE or INSOLVENT, uses the vault's liquidator role on
 * every chain: it closes every open position at the feed price, repays each debt on the account's
 * behalf (repayFor) and seizes collateral worth the repaid debt plus a bonus, priced at the feed
 * answers of the collateral's chain. The margin is unified across chains, so is the seizure: a
 * debt on one chain is covered from the account's collateral on any chain, fastest to seize first
 * (the order the API reports). Negative cash is settled through the insurance fund; bad debt left
 * after that is the fund's (owner's) business, not the liquidator's.
 *
 * CLI: tsx devnet/liquidator.ts --api http://127.0.0.1:4000 [--config .xmargin/devnet/xmargin.config.json]
 */
import { createClient, type Client } from "graphql-sse";
import { decodeFunctionResult, encodeFunctionData, type Address, type Hex } from "viem";
import { marginVaultAbi, priceFeedAbi, testTokenAbi } from "../abis/index.js";
import { MARKET_IDS } from "./actions.js";
import { DEVNET_ASSETS, type DevnetAsset } from "./defaults.js";
import type { ChainDeployment, DevnetDeployment } from "./deploy.js";
import { parseFlags } from "./args.js";
import { readDeploymentFromConfigFile } from "./deploymentFromConfig.js";
import { rpc, rpcBatchStrict } from "./rpc.js";
import { TxSender, type NonceScope, type QueuedTx } from "./txSender.js";

export const ENDANGERED_SUBSCRIPTION = /* GraphQL */ `
  subscription Endangered($maxHealthFactor: Decimal) {
    endangeredAccounts(maxHealthFactor: $maxHealthFactor) {
      entered { address tier healthFactor seizable { chainId asset latencySeconds } }
      left
    }
  }
`;

export interface EnteredAccount {
  address: string;
  tier: "SAFE" | "MARGIN_CALL" | "LIQUIDATABLE" | "INSOLVENT";
  healthFactor: string | null;
  seizable: { chainId: number; asset: string; latencySeconds: number }[];
}

export interface LiquidatorStats {
  liquidations: number;
  positionsClosed: number;
  debtsRepaid: number;
  seizures: number;
  /** Negative cash balances settled (collateral + insurance payout). */
  cashSettled: number;
  /** USD the insurance funds paid beyond the collateral seized for it (bad debt). */
  insurancePaidUsd: number;
  failedTxs: number;
  errors: number;
}

export interface Liquidator {
  stats(): LiquidatorStats;
  /** Liquidate one account now on every chain (also used by tests). */
  liquidate(address: Address, chainOrder?: number[]): Promise<void>;
  stop(): Promise<void>;
}

export interface LiquidatorOptions {
  /** Base URL of the API (its /graphql serves the subscription). */
  apiUrl: string;
  deployment: DevnetDeployment;
  /** Liquidate below this health factor, as the API's Decimal string (default "1"). */
  maxHealthFactor?: string;
  /** Collateral seized per unit of debt repaid, on top of its value (default 0.05 = 5%). */
  bonus?: number;
  /** Tiers acted on (default LIQUIDATABLE, INSOLVENT). */
  tiers?: EnteredAccount["tier"][];
  log?: (message: string) => void;
  /**
   * Settle what is left after positions are closed and debts repaid: a negative cash balance is
   * covered by seizing collateral worth it (+ bonus) and paying that value into the insurance
   * fund, and the vault owner (the deployer) pays the fund out to the account's cash, so the
   * account ends flat and the fund absorbs only true bad debt (default true).
   */
  settleCash?: boolean;
  /** Nonces shared with other senders in this process, by chain name (the owner's, with the simulator). */
  nonceScopes?: Record<string, NonceScope>;
}

/** What one liquidation did on one chain (the transactions that succeeded, and the failed ones). */
export interface ChainLiquidation {
  chain: string;
  closed: number;
  repaid: number;
  seized: number;
  failed: number;
  /** Negative cash settled from the account's collateral, USD. */
  cashCoveredUsd: number;
  /** Negative cash the insurance fund absorbed beyond that (bad debt), USD. */
  insurancePaidUsd: number;
}

/** True when the liquidation changed something on some chain. */
export function didSomething(perChain: readonly ChainLiquidation[]): boolean {
  return perChain.some((c) => c.closed + c.repaid + c.seized + c.failed > 0 || c.cashCoveredUsd > 0 || c.insurancePaidUsd > 0);
}

/** One line for people: `l2a 2 closed, 1 repaid, 1 seized; l1 nothing to do`, in liquidation order. */
export function describeLiquidation(perChain: readonly ChainLiquidation[]): string {
  return perChain
    .map((c) => {
      const usd = (v: number) => `$${Math.round(v).toLocaleString("en-US")}`;
      const parts = [
        c.closed && `${c.closed} closed`,
        c.repaid && `${c.repaid} repaid`,
        c.seized && `${c.seized} seized`,
        c.cashCoveredUsd >= 0.5 && `${usd(c.cashCoveredUsd)} cash loss covered by collateral`,
        c.insurancePaidUsd >= 0.5 && `${usd(c.insurancePaidUsd)} bad debt paid by insurance`,
        c.failed && `${c.failed} failed`,
      ].filter(Boolean);
      return `${c.chain} ${parts.length ? parts.join(", ") : "nothing to do"}`;
    })
    .join("; ");
}

const GAS = { liquidate: 300_000n, repay: 150_000n, seize: 150_000n, setup: 120_000n, fund: 150_000n, payout: 150_000n };
const E8 = 100_000_000n;

/**
 * Collateral to seize for `debtUsd8` (USD × 1e8) of repaid debt, in the token's raw units:
 * raw = debtUsd8 × (1 + bonus) × 10^decimals / priceUsd8, rounded down, capped at `available`.
 */
export function seizeAmountRaw(debtUsd8: bigint, bonusBps: bigint, priceUsd8: bigint, decimals: number, available: bigint): bigint {
  if (priceUsd8 <= 0n || debtUsd8 <= 0n) return 0n;
  const raw = (debtUsd8 * (10_000n + bonusBps) * 10n ** BigInt(decimals)) / (10_000n * priceUsd8);
  return raw < available ? raw : available;
}

export async function startLiquidator(opts: LiquidatorOptions): Promise<Liquidator> {
  const log = opts.log ?? (() => undefined);
  const bonusBps = BigInt(Math.round((opts.bonus ?? 0.05) * 10_000));
  const tiers = new Set(opts.tiers ?? ["LIQUIDATABLE", "INSOLVENT"]);
  const stats: LiquidatorStats = { liquidations: 0, positionsClosed: 0, debtsRepaid: 0, seizures: 0, cashSettled: 0, insurancePaidUsd: 0, failedTxs: 0, errors: 0 };
  const settleCash = opts.settleCash ?? true;
  const chains = opts.deployment.chains.map((dep) => {
    const scope = opts.nonceScopes?.[dep.name];
    // their receipt rounds replace transactions anvil parks in its queued pool (see anvilParked.ts)
    return { dep, sender: new TxSender<string>(dep.rpcUrl, false, 500, scope, { log }), owner: new TxSender<string>(dep.rpcUrl, false, 500, scope, { log }) };
  });
  const inFlight = new Set<string>();
  let stopped = false;

  // working capital for repayFor: the devnet tokens mint freely
  await Promise.all(
    chains.map(async ({ dep, sender }) => {
      for (const asset of DEVNET_ASSETS) {
        const token = dep.tokens[asset].address;
        sender.enqueue({ from: dep.liquidator, to: token, data: encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [dep.liquidator, 10n ** 36n] }), gas: GAS.setup, meta: "mint" });
        sender.enqueue({ from: dep.liquidator, to: token, data: encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [dep.vault, 2n ** 256n - 1n] }), gas: GAS.setup, meta: "approve" });
      }
      const out = await sender.flush();
      stats.failedTxs += out.filter((o) => o.error).length;
    }),
  );

  async function readAccount(dep: ChainDeployment, account: Address) {
    const calls: Hex[] = [
      ...DEVNET_ASSETS.map((a) => encodeFunctionData({ abi: marginVaultAbi, functionName: "collateralOf", args: [account, dep.tokens[a].address] })),
      ...DEVNET_ASSETS.map((a) => encodeFunctionData({ abi: marginVaultAbi, functionName: "debtOf", args: [account, dep.tokens[a].address] })),
      ...MARKET_IDS.map((id) => encodeFunctionData({ abi: marginVaultAbi, functionName: "positionOf", args: [account, id] })),
      ...DEVNET_ASSETS.map(() => encodeFunctionData({ abi: priceFeedAbi, functionName: "latestAnswer" })),
      encodeFunctionData({ abi: marginVaultAbi, functionName: "cashOf", args: [account] }),
      encodeFunctionData({ abi: marginVaultAbi, functionName: "insuranceBalanceOf", args: [dep.quoteToken] }),
    ];
    const targets: Address[] = [...DEVNET_ASSETS.map(() => dep.vault), ...DEVNET_ASSETS.map(() => dep.vault), ...MARKET_IDS.map(() => dep.vault), ...DEVNET_ASSETS.map((a) => dep.feeds[a].address), dep.vault, dep.vault];
    const out = await rpcBatchStrict<Hex>(dep.rpcUrl, calls.map((data, i) => ({ method: "eth_call", params: [{ to: targets[i], data }, "latest"] })));
    const n = DEVNET_ASSETS.length;
    const collateral = {} as Record<DevnetAsset, bigint>;
    const debt = {} as Record<DevnetAsset, bigint>;
    const price = {} as Record<DevnetAsset, bigint>;
    DEVNET_ASSETS.forEach((a, i) => {
      collateral[a] = decodeFunctionResult({ abi: marginVaultAbi, functionName: "collateralOf", data: out[i]! });
      debt[a] = decodeFunctionResult({ abi: marginVaultAbi, functionName: "debtOf", data: out[n + i]! });
      price[a] = decodeFunctionResult({ abi: priceFeedAbi, functionName: "latestAnswer", data: out[2 * n + MARKET_IDS.length + i]! });
    });
    const positions = MARKET_IDS.map((id, i) => ({ id, size: decodeFunctionResult({ abi: marginVaultAbi, functionName: "positionOf", data: out[2 * n + i]! })[0] }));
    const tail = 3 * n + MARKET_IDS.length;
    const cashRaw = decodeFunctionResult({ abi: marginVaultAbi, functionName: "cashOf", data: out[tail]! });
    const insuranceRaw = decodeFunctionResult({ abi: marginVaultAbi, functionName: "insuranceBalanceOf", data: out[tail + 1]! });
    return { collateral, debt, positions, price, cashRaw, insuranceRaw };
  }

  /**
   * Liquidate `account` across every chain and wait for the receipts. Unified cross-chain margin
   * means collateral on one chain backs liabilities on another, so the seizure is account-wide:
   * 1. close every position on every chain (realised PnL lands in cash);
   * 2. on the state after closing, repay each debt where it is, and seize collateral worth it plus
   *    the bonus from the account's collateral anywhere, chains in `order` (fastest to seize
   *    first), most valuable collateral first within a chain;
   * 3. settle negative cash (see `settleCash`): collateral anywhere covers what it can (paid into
   *    that chain's insurance fund), the fund pays the account flat; only the rest is bad debt.
   * Builds its own transaction lists and sends them with `submit`, so concurrent liquidations on
   * one chain never take each other's transactions.
   */
  async function liquidateAccount(order: readonly number[], account: Address): Promise<ChainLiquidation[]> {
    const done = new Map<number, ChainLiquidation>(
      order.map((i) => [i, { chain: chains[i]!.dep.name, closed: 0, repaid: 0, seized: 0, failed: 0, cashCoveredUsd: 0, insurancePaidUsd: 0 }]),
    );
    const count = (i: number, out: { meta: string; error: string | null }[]) => {
      const d = done.get(i)!;
      for (const o of out) {
        if (o.error) {
          stats.failedTxs++;
          d.failed++;
        } else if (o.meta === "close") {
          stats.positionsClosed++;
          d.closed++;
        } else if (o.meta === "repay") {
          stats.debtsRepaid++;
          d.repaid++;
        } else if (o.meta === "seize") {
          stats.seizures++;
          d.seized++;
        }
      }
    };

    // 1. close positions everywhere, then read every chain's state after closing
    const states = await Promise.all(
      order.map(async (i) => {
        const { dep, sender } = chains[i]!;
        const state = await readAccount(dep, account);
        const closes: QueuedTx<string>[] = state.positions
          .filter((p) => p.size !== 0n)
          .map((p) => ({ from: dep.liquidator, to: dep.vault, data: encodeFunctionData({ abi: marginVaultAbi, functionName: "liquidatePosition", args: [account, p.id] }), gas: GAS.liquidate, meta: "close" }));
        if (closes.length === 0) return state;
        count(i, await sender.submit(closes));
        return readAccount(dep, account); // closing realised PnL into cash
      }),
    );
    const stateOf = new Map(order.map((i, k) => [i, states[k]!]));

    // 2. the account's collateral, in seizure order, and the seizures planned per (chain, asset)
    const pool = order.flatMap((i) => {
      const { dep } = chains[i]!;
      const st = stateOf.get(i)!;
      const valueUsd8 = (a: DevnetAsset) => (st.collateral[a] * st.price[a]) / 10n ** BigInt(dep.tokens[a].decimals);
      return [...DEVNET_ASSETS]
        .filter((a) => st.collateral[a] > 0n)
        .sort((a, b) => (valueUsd8(a) === valueUsd8(b) ? 0 : valueUsd8(a) > valueUsd8(b) ? -1 : 1))
        .map((asset) => ({ chain: i, asset, available: st.collateral[asset], priceUsd8: st.price[asset], decimals: dep.tokens[asset].decimals }));
    });
    const seizures = new Map<string, { chain: number; asset: DevnetAsset; raw: bigint }>();
    /** Seize up to `usd8` (× (1 + bonus)) of collateral anywhere; returns the USD × 1e8 covered (before bonus). */
    const seizeWorth = (usd8: bigint): bigint => {
      let remainingUsd8 = usd8;
      for (const c of pool) {
        if (remainingUsd8 <= 0n || c.available === 0n) continue;
        const raw = seizeAmountRaw(remainingUsd8, bonusBps, c.priceUsd8, c.decimals, c.available);
        if (raw === 0n) continue;
        c.available -= raw;
        remainingUsd8 -= (raw * c.priceUsd8 * 10_000n) / (10n ** BigInt(c.decimals) * (10_000n + bonusBps));
        const key = `${c.chain}:${c.asset}`;
        const s = seizures.get(key) ?? { chain: c.chain, asset: c.asset, raw: 0n };
        s.raw += raw;
        seizures.set(key, s);
      }
      return usd8 - (remainingUsd8 > 0n ? remainingUsd8 : 0n);
    };
    const txs = new Map<number, QueuedTx<string>[]>(order.map((i) => [i, []]));
    for (const i of order) {
      const { dep } = chains[i]!;
      const st = stateOf.get(i)!;
      for (const asset of DEVNET_ASSETS) {
        const owed = st.debt[asset];
        if (owed === 0n) continue;
        txs.get(i)!.push({ from: dep.liquidator, to: dep.vault, data: encodeFunctionData({ abi: marginVaultAbi, functionName: "repayFor", args: [account, dep.tokens[asset].address, owed] }), gas: GAS.repay, meta: "repay" });
        seizeWorth((owed * st.price[asset]) / 10n ** BigInt(dep.tokens[asset].decimals));
      }
    }
    // 3. negative cash: collateral anywhere pays what it can into this chain's fund, the fund pays the account flat
    const payouts = new Map<number, bigint>();
    for (const i of settleCash ? order : []) {
      const { dep } = chains[i]!;
      const st = stateOf.get(i)!;
      if (st.cashRaw >= 0n) continue;
      const quoteDecimals = BigInt(dep.tokens.USDC.decimals);
      const quotePrice = st.price.USDC > 0n ? st.price.USDC : E8;
      const deficitRaw = -st.cashRaw;
      const coveredUsd8 = seizeWorth((deficitRaw * quotePrice) / 10n ** quoteDecimals);
      let coveredRaw = (coveredUsd8 * 10n ** quoteDecimals) / quotePrice;
      if (coveredRaw > deficitRaw) coveredRaw = deficitRaw;
      if (coveredRaw > 0n) {
        txs.get(i)!.push({ from: dep.liquidator, to: dep.vault, data: encodeFunctionData({ abi: marginVaultAbi, functionName: "fundInsurance", args: [dep.quoteToken, coveredRaw] }), gas: GAS.fund, meta: "fund" });
      }
      const fund = st.insuranceRaw + coveredRaw;
      const payoutRaw = deficitRaw < fund ? deficitRaw : fund;
      if (payoutRaw > 0n) payouts.set(i, payoutRaw);
      const d = done.get(i)!;
      d.cashCoveredUsd = Number(coveredRaw) / 10 ** Number(quoteDecimals);
      d.insurancePaidUsd = Number(payoutRaw - (coveredRaw < payoutRaw ? coveredRaw : payoutRaw)) / 10 ** Number(quoteDecimals);
    }
    for (const s of seizures.values()) {
      const { dep } = chains[s.chain]!;
      txs.get(s.chain)!.push({ from: dep.liquidator, to: dep.vault, data: encodeFunctionData({ abi: marginVaultAbi, functionName: "seizeCollateral", args: [account, dep.tokens[s.asset].address, s.raw] }), gas: GAS.seize, meta: "seize" });
    }

    await Promise.all(
      order.map(async (i) => {
        const { dep, sender, owner } = chains[i]!;
        const list = txs.get(i)!;
        if (list.length) count(i, await sender.submit(list));
        const payoutRaw = payouts.get(i);
        if (payoutRaw === undefined) return;
        const d = done.get(i)!;
        const out = await owner.submit([{ from: dep.deployer, to: dep.vault, data: encodeFunctionData({ abi: marginVaultAbi, functionName: "payOutInsurance", args: [account, payoutRaw] }), gas: GAS.payout, meta: "payout" }]);
        if (out.some((o) => o.error)) {
          stats.failedTxs++;
          d.failed++;
          d.cashCoveredUsd = 0;
          d.insurancePaidUsd = 0;
        } else {
          stats.cashSettled++;
          stats.insurancePaidUsd += d.insurancePaidUsd;
        }
      }),
    );
    return order.map((i) => done.get(i)!);
  }

  async function liquidate(address: Address, chainOrder?: number[]): Promise<ChainLiquidation[] | null> {
    const key = address.toLowerCase();
    if (inFlight.has(key)) return null;
    inFlight.add(key);
    try {
      const perChain = await liquidateAccount(chainOrder ?? chains.map((_, i) => i), address);
      // an account the API still shows as endangered after it was emptied (the indexer lags) is no new liquidation
      if (!didSomething(perChain)) return null;
      stats.liquidations++;
      return perChain;
    } finally {
      inFlight.delete(key);
    }
  }

  function chainOrderFor(entry: EnteredAccount): number[] {
    const order: number[] = [];
    const sorted = [...entry.seizable].sort((a, b) => a.latencySeconds - b.latencySeconds);
    for (const s of sorted) {
      const i = chains.findIndex((c) => c.dep.chainId === s.chainId);
      if (i >= 0 && !order.includes(i)) order.push(i);
    }
    for (let i = 0; i < chains.length; i++) if (!order.includes(i)) order.push(i); // positions/debt without collateral
    return order;
  }

  let client: Client | undefined;
  let lastProblem = "";
  const note = (problem: string) => {
    // the API answers "still loading" until Ponder's backfill is done: say it once, not every retry
    if (problem !== lastProblem) log(problem);
    lastProblem = problem;
  };
  const loop = (async () => {
    let backoffMs = 1000;
    while (!stopped) {
      client = createClient({ url: `${opts.apiUrl.replace(/\/$/, "")}/graphql`, singleConnection: false, retryAttempts: 0 });
      try {
        const iterator = client.iterate<{ endangeredAccounts: { entered: EnteredAccount[]; left: string[] } }>({
          query: ENDANGERED_SUBSCRIPTION,
          variables: { maxHealthFactor: opts.maxHealthFactor ?? "1" },
        });
        for await (const result of iterator) {
          if (stopped) break;
          if (result.errors?.length) {
            note(`subscription error: ${result.errors.map((e) => e.message).join("; ")} (retrying)`);
            continue;
          }
          if (lastProblem !== "subscribed") note(`subscribed to endangeredAccounts at ${opts.apiUrl}/graphql`);
          lastProblem = "subscribed";
          backoffMs = 1000;
          for (const entry of result.data?.endangeredAccounts.entered ?? []) {
            if (!tiers.has(entry.tier)) continue;
            const startedAt = Date.now();
            void liquidate(entry.address as Address, chainOrderFor(entry)).then(
              (perChain) => {
                if (perChain) log(`liquidated ${entry.address} (${entry.tier}, HF ${entry.healthFactor ?? "n/a"}) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${describeLiquidation(perChain)}`);
              },
              (e) => {
                stats.errors++;
                if (!stopped) log(`liquidating ${entry.address} failed: ${e instanceof Error ? e.message : e}`);
              },
            );
          }
        }
      } catch (e) {
        if (!stopped) note(`subscription dropped: ${e instanceof Error ? e.message : String(e)} (reconnecting)`);
      } finally {
        client.dispose();
      }
      if (!stopped) await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  })();

  return {
    stats: () => ({ ...stats }),
    liquidate: async (address, order) => {
      await liquidate(address, order);
    },
    async stop() {
      stopped = true;
      client?.dispose();
      await Promise.race([loop, new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { values: ["api", "config", "max-health-factor"] });
  const deployment = readDeploymentFromConfigFile(String(flags.config ?? process.env.XMARGIN_CONFIG ?? ".xmargin/devnet/xmargin.config.json"));
  await Promise.all(deployment.chains.map((c) => rpc(c.rpcUrl, "eth_chainId")));
  const liq = await startLiquidator({
    apiUrl: String(flags.api ?? "http://127.0.0.1:4000"),
    deployment,
    maxHealthFactor: flags["max-health-factor"] ? String(flags["max-health-factor"]) : undefined,
    log: (m) => console.log(m),
  });
  const stop = () => void liq.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1]?.endsWith("liquidator.ts")) void main();
