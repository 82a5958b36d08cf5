/**
 * Drives Aave accounts on one devnet chain's Aave market (devnet/aave.ts): supply, borrow, repay,
 * withdraw, aToken transfers between the driver's accounts, collateral switched off and on. Each
 * step picks one account and one action, sized from the market's own views (getUserAccountData,
 * balances), so few transactions revert; a revert is counted, never fatal (the chain stays the
 * truth and the indexer follows whatever was mined). Every Aave call carries an explicit gas limit
 * (gas estimation fails at random on Aave, see protocols/aaveV3/README.md).
 */
import { encodeAbiParameters, encodeFunctionData, encodePacked, getAddress, keccak256, type Abi, type Address, type Hex } from "viem";
import { testTokenAbi } from "../abis/index.js";
import { aavePoolAbi } from "../protocols/aaveV3/abis.js";
import { loadAaveArtifact } from "../protocols/aaveV3/artifacts.js";
import type { DevnetAaveMarket, DevnetAaveReserve } from "./aave.js";
import { INITIAL_PRICES_USD8 } from "./defaults.js";
import type { Rng } from "./random.js";
import { rpc, rpcBatchStrict } from "./rpc.js";
import { TxSender, type NonceScope } from "./txSender.js";

const AAVE_USER_GAS = 1_500_000n;
const GAS_BALANCE_WEI = "0x3635c9adc5dea00000"; // 1000 ETH
const TOKEN_BALANCE_SLOT = 3n;
const TOKEN_ALLOWANCE_SLOT = 4n;
const MAX_UINT256 = 2n ** 256n - 1n;
/** Each account starts with this much of every reserve's token, in USD. */
const MINT_USD = 1_000_000n;

export type AaveAction = "supply" | "borrow" | "repay" | "withdraw" | "transfer" | "collateralOff" | "collateralOn";

export interface AaveDriverStats {
  sent: number;
  failed: number;
  byAction: Record<AaveAction, number>;
}

export interface AaveDriver {
  readonly accounts: readonly Address[];
  /** Fund every account (storage writes), approve the pool, first supplies. Idempotent. */
  setup(): Promise<void>;
  /** One action of one account; resolves when it is mined (or reverted). */
  step(rng: Rng): Promise<AaveAction>;
  /**
   * Leverage one account to the edge: a large WETH supply as collateral, then USDC borrowed up to
   * 95% of what it may borrow (HF ≈ 1.05–1.1), so a −35% crash leaves it liquidatable; a liquidity
   * provider of the driver (not in `accounts`) supplies the USDC lent. Resolves true when the
   * borrow was mined.
   */
  leverUp(user: Address): Promise<boolean>;
  readonly stats: AaveDriverStats;
}

export interface AaveDriverOptions {
  rpcUrl: string;
  market: DevnetAaveMarket;
  /** Accounts driven on this chain (default 6). */
  accounts?: number;
  seed: number;
  /** Share the chain's nonce scope with other senders of this process. */
  nonceScope?: NonceScope;
  log?: (message: string) => void;
}

/** Deterministic Aave account i of `seed` (distinct from the vault simulator's accounts). */
export function aaveAccountAddress(seed: number, index: number): Address {
  return getAddress(`0x${keccak256(encodePacked(["string", "uint256", "uint256"], ["xmargin-aave", BigInt(seed), BigInt(index)])).slice(26)}`);
}

const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}`;
function mappingSlot(key: Address, slot: bigint | Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [key, typeof slot === "bigint" ? word(slot) : slot]));
}

/** Pick one of `items` uniformly. */
function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.min(items.length - 1, Math.floor(rng.next() * items.length))]!;
}

export function createAaveDriver(opts: AaveDriverOptions): AaveDriver {
  const { rpcUrl, market } = opts;
  const accounts = Array.from({ length: opts.accounts ?? 6 }, (_, i) => aaveAccountAddress(opts.seed, i));
  const sender = new TxSender<string>(rpcUrl, false, 500, opts.nonceScope, { log: opts.log });
  const poolAbi = loadAaveArtifact("Pool").abi as Abi;
  const stats: AaveDriverStats = { sent: 0, failed: 0, byAction: { supply: 0, borrow: 0, repay: 0, withdraw: 0, transfer: 0, collateralOff: 0, collateralOn: 0 } };
  let ready = false;

  const call = async (to: Address, data: Hex): Promise<Hex> => rpc<Hex>(rpcUrl, "eth_call", [{ to, data }, "latest"]);
  const balanceOf = async (token: Address, who: Address): Promise<bigint> =>
    BigInt(await call(token, encodeFunctionData({ abi: testTokenAbi, functionName: "balanceOf", args: [who] })));
  const accountData = async (who: Address): Promise<{ collateralBase: bigint; debtBase: bigint; availableBase: bigint }> => {
    const hex = await call(market.pool, encodeFunctionData({ abi: aavePoolAbi, functionName: "getUserAccountData", args: [who] }));
    const w = (i: number) => BigInt(`0x${hex.slice(2 + 64 * i, 2 + 64 * (i + 1))}`);
    return { collateralBase: w(0), debtBase: w(1), availableBase: w(2) };
  };
  const send = async (from: Address, to: Address, data: Hex, label: string): Promise<boolean> => {
    stats.sent++;
    const [o] = await sender.submit([{ from, to, data, gas: AAVE_USER_GAS, meta: label }]);
    const ok = o !== undefined && o.error === null && o.blockNumber !== null;
    if (!ok) stats.failed++;
    return ok;
  };
  const poolCall = (from: Address, functionName: string, args: readonly unknown[]) =>
    send(from, market.pool, encodeFunctionData({ abi: poolAbi, functionName, args } as never), `${functionName} by ${from}`);
  const unitsForUsd = (r: DevnetAaveReserve, usd: bigint): bigint => (usd * 10n ** BigInt(r.decimals) * 100_000_000n) / INITIAL_PRICES_USD8[r.asset];

  async function setup(): Promise<void> {
    if (ready) return;
    await rpc(rpcUrl, "anvil_autoImpersonateAccount", [true]);
    const calls: { method: string; params: unknown[] }[] = [];
    for (const a of accounts) {
      calls.push({ method: "anvil_setBalance", params: [a, GAS_BALANCE_WEI] });
      for (const r of market.reserves) {
        calls.push({ method: "anvil_setStorageAt", params: [r.underlying, mappingSlot(a, TOKEN_BALANCE_SLOT), word(unitsForUsd(r, MINT_USD))] });
        calls.push({ method: "anvil_setStorageAt", params: [r.underlying, mappingSlot(market.pool, mappingSlot(a, TOKEN_ALLOWANCE_SLOT)), word(MAX_UINT256)] });
      }
    }
    await rpcBatchStrict(rpcUrl, calls);
    // Every account supplies one reserve to start with, so borrows have collateral behind them.
    for (const [i, a] of accounts.entries()) {
      const r = market.reserves[i % market.reserves.length]!;
      await poolCall(a, "supply", [r.underlying, unitsForUsd(r, 50_000n), a, 0]);
    }
    ready = true;
  }

  async function step(rng: Rng): Promise<AaveAction> {
    await setup();
    const user = pick(rng, accounts);
    const r = pick(rng, market.reserves);
    const action = pick<AaveAction>(rng, ["supply", "supply", "borrow", "borrow", "repay", "withdraw", "transfer", "collateralOff", "collateralOn"]);
    stats.byAction[action]++;
    switch (action) {
      case "supply":
        await poolCall(user, "supply", [r.underlying, unitsForUsd(r, BigInt(1_000 + Math.floor(rng.next() * 20_000))), user, 0]);
        break;
      case "borrow": {
        // A share of what the account may still borrow, at the feed's initial price (the oracle
        // may have moved: a borrow that no longer fits reverts and is counted).
        const { availableBase } = await accountData(user);
        const usd = (availableBase * BigInt(20 + Math.floor(rng.next() * 50))) / 100n / 100_000_000n;
        if (usd === 0n) break;
        await poolCall(user, "borrow", [r.underlying, unitsForUsd(r, usd), 2, 0, user]);
        break;
      }
      case "repay": {
        const debt = await balanceOf(r.variableDebtToken, user);
        if (debt === 0n) break;
        // Half the debt, or all of it (uint256 max repays exactly what is owed).
        await poolCall(user, "repay", [r.underlying, rng.next() < 0.3 ? MAX_UINT256 : debt / 2n, 2, user]);
        break;
      }
      case "withdraw": {
        const supplied = await balanceOf(r.aToken, user);
        if (supplied === 0n) break;
        await poolCall(user, "withdraw", [r.underlying, supplied / 4n, user]);
        break;
      }
      case "transfer": {
        const supplied = await balanceOf(r.aToken, user);
        const to = pick(rng, accounts.filter((a) => a !== user));
        if (supplied === 0n || to === undefined) break;
        await send(user, r.aToken, encodeFunctionData({ abi: testTokenAbi, functionName: "transfer", args: [to, supplied / 10n] }), `aToken transfer ${user} → ${to}`);
        break;
      }
      case "collateralOff":
      case "collateralOn":
        if ((await balanceOf(r.aToken, user)) === 0n) break;
        await poolCall(user, "setUserUseReserveAsCollateral", [r.underlying, action === "collateralOn"]);
        break;
    }
    return action;
  }

  async function leverUp(user: Address): Promise<boolean> {
    await setup();
    const weth = market.reserves.find((r) => r.symbol === "WETH");
    const usdc = market.reserves.find((r) => r.symbol === "USDC");
    if (!weth || !usdc) throw new Error("leverUp needs the devnet's WETH and USDC reserves");
    // the pool must hold the USDC to lend: a liquidity provider of this driver supplies it first
    const lp = aaveAccountAddress(opts.seed, 1_000_000);
    await rpcBatchStrict(rpcUrl, [
      { method: "anvil_setBalance", params: [lp, GAS_BALANCE_WEI] },
      { method: "anvil_setStorageAt", params: [usdc.underlying, mappingSlot(lp, TOKEN_BALANCE_SLOT), word(unitsForUsd(usdc, 2n * MINT_USD))] },
      { method: "anvil_setStorageAt", params: [usdc.underlying, mappingSlot(market.pool, mappingSlot(lp, TOKEN_ALLOWANCE_SLOT)), word(MAX_UINT256)] },
      { method: "anvil_setStorageAt", params: [weth.underlying, mappingSlot(user, TOKEN_BALANCE_SLOT), word(unitsForUsd(weth, 2n * MINT_USD))] },
    ]);
    await poolCall(lp, "supply", [usdc.underlying, unitsForUsd(usdc, 2n * MINT_USD), lp, 0]);
    await poolCall(user, "supply", [weth.underlying, unitsForUsd(weth, 1_500_000n), user, 0]);
    await poolCall(user, "setUserUseReserveAsCollateral", [weth.underlying, true]);
    const { availableBase } = await accountData(user);
    const usd = (availableBase * 95n) / 100n / 100_000_000n;
    return usd > 0n && (await poolCall(user, "borrow", [usdc.underlying, unitsForUsd(usdc, usd), 2, 0, user]));
  }

  return { accounts, setup, step, leverUp, stats };
}
