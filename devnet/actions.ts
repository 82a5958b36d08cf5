/**
 * Pure account behaviour of the simulator: what each simulated trader holds (its mirror of the
 * vault's state) and which action it takes next. No I/O: the simulator turns actions into calls.
 */
import { DEVNET_MARKETS, DEVNET_TOKENS, type DevnetAsset } from "./defaults.js";
import type { Prices } from "./prices.js";
import type { Rng } from "./random.js";

export const E18 = 10n ** 18n;
export const DECIMALS: Record<DevnetAsset, number> = Object.fromEntries(DEVNET_TOKENS.map((t) => [t.asset, t.decimals])) as Record<DevnetAsset, number>;
export const MARKET_ASSET: Record<number, DevnetAsset> = Object.fromEntries(DEVNET_MARKETS.map((m) => [m.marketId, m.asset]));
export const MARKET_IDS: readonly number[] = DEVNET_MARKETS.map((m) => m.marketId);

/** The simulator's view of an account on one chain (what the vault should report). */
export interface ChainBook {
  collateral: Record<DevnetAsset, bigint>;
  debt: Record<DevnetAsset, bigint>;
  /** marketId → signed size × 1e18. */
  positions: Record<number, bigint>;
}

export interface Profile {
  /** Target gross leverage on collateral value. */
  leverage: number;
  /** Probability a new position gets an opposite twin on another chain. */
  hedgeProbability: number;
  /** Probability a new position is long. */
  longBias: number;
}

export interface SimAccount {
  index: number;
  address: `0x${string}`;
  /** Indexes into the simulator's chain list; the first is the home chain. */
  chains: number[];
  profile: Profile;
  books: Record<number, ChainBook>;
}

export type Action =
  | { kind: "deposit"; chain: number; asset: DevnetAsset; amountRaw: bigint }
  | { kind: "withdraw"; chain: number; asset: DevnetAsset; amountRaw: bigint }
  | { kind: "borrow"; chain: number; asset: DevnetAsset; amountRaw: bigint }
  | { kind: "repay"; chain: number; asset: DevnetAsset; amountRaw: bigint }
  | { kind: "trade"; chain: number; marketId: number; sizeDelta: bigint };

export function emptyBook(): ChainBook {
  return {
    collateral: { USDC: 0n, BTC: 0n, ETH: 0n, ARB: 0n },
    debt: { USDC: 0n, BTC: 0n, ETH: 0n, ARB: 0n },
    positions: Object.fromEntries(MARKET_IDS.map((id) => [id, 0n])),
  };
}

/** Whole-token float → raw units (6 significant decimals kept). */
export function tokensToRaw(tokens: number, decimals: number): bigint {
  const micro = BigInt(Math.max(0, Math.floor(tokens * 1e6)));
  return decimals >= 6 ? micro * 10n ** BigInt(decimals - 6) : micro / 10n ** BigInt(6 - decimals);
}

/** Raw units → whole-token float (display and sizing only). */
export function rawToTokens(raw: bigint, decimals: number): number {
  return Number(raw) / 10 ** decimals;
}

/** USD value of a book's collateral minus debt at `prices` (no PnL, no haircuts): sizing only. */
export function bookNetUsd(book: ChainBook, prices: Prices): number {
  let usd = 0;
  for (const asset of Object.keys(book.collateral) as DevnetAsset[]) {
    usd += rawToTokens(book.collateral[asset], DECIMALS[asset]) * prices[asset];
    usd -= rawToTokens(book.debt[asset], DECIMALS[asset]) * prices[asset];
  }
  return usd;
}

export function accountNetUsd(account: SimAccount, prices: Prices): number {
  return account.chains.reduce((s, c) => s + bookNetUsd(account.books[c]!, prices), 0);
}

/** Deterministic account shape: 1–3 chains, a leverage profile (60% 1–3x, 30% 3–8x, 10% 8–15x). */
export function createAccount(index: number, address: `0x${string}`, chainCount: number, rng: Rng): SimAccount {
  const home = index % chainCount;
  const extra = rng.weighted([0.45, 0.35, 0.2]);
  const chains = [home];
  for (let k = 1; k <= Math.min(extra, chainCount - 1); k++) chains.push((home + k) % chainCount);
  const tier = rng.weighted([0.6, 0.3, 0.1]);
  const leverage = tier === 0 ? rng.range(1, 3) : tier === 1 ? rng.range(3, 8) : rng.range(8, 15);
  const profile: Profile = {
    leverage,
    hedgeProbability: chains.length > 1 && rng.chance(0.35) ? 0.6 : 0,
    longBias: rng.range(0.45, 0.8),
  };
  const books: Record<number, ChainBook> = {};
  for (const c of chains) books[c] = emptyBook();
  return { index, address, chains, profile, books };
}

const DEPOSIT_ASSET_WEIGHTS: Record<DevnetAsset, number> = { USDC: 0.45, ETH: 0.3, BTC: 0.17, ARB: 0.08 };

function randomDeposit(rng: Rng, account: SimAccount, prices: Prices): Action {
  const chain = rng.pick(account.chains);
  const assets = Object.keys(DEPOSIT_ASSET_WEIGHTS) as DevnetAsset[];
  const asset = assets[rng.weighted(assets.map((a) => DEPOSIT_ASSET_WEIGHTS[a]))]!;
  const usd = Math.exp(rng.range(Math.log(1_000), Math.log(60_000)));
  return { kind: "deposit", chain, asset, amountRaw: tokensToRaw(usd / prices[asset], DECIMALS[asset]) || 1n };
}

/**
 * The next action of `account`, or a list of two for a cross-chain hedge (long here, short there).
 * Weights: deposit 22, withdraw 8, borrow 7, repay 6, open 24, reduce 12, close 7 (infeasible ones
 * drop out). Withdrawals take 10–50% of one balance, borrows 5–25% of the chain's net value, opens
 * size the notional at leverage × net value × U(0.2, 0.6).
 */
export function chooseActions(rng: Rng, account: SimAccount, prices: Prices): Action[] {
  const net = accountNetUsd(account, prices);
  if (net < 500) return [randomDeposit(rng, account, prices)];

  const withCollateral: { chain: number; asset: DevnetAsset }[] = [];
  const withDebt: { chain: number; asset: DevnetAsset }[] = [];
  const withPosition: { chain: number; marketId: number; size: bigint }[] = [];
  for (const chain of account.chains) {
    const book = account.books[chain]!;
    for (const asset of Object.keys(book.collateral) as DevnetAsset[]) {
      if (book.collateral[asset] > 0n) withCollateral.push({ chain, asset });
      if (book.debt[asset] > 0n) withDebt.push({ chain, asset });
    }
    for (const id of MARKET_IDS) if (book.positions[id] !== 0n) withPosition.push({ chain, marketId: id, size: book.positions[id]! });
  }
  const weights = [22, withCollateral.length ? 8 : 0, 7, withDebt.length ? 6 : 0, 24, withPosition.length ? 12 : 0, withPosition.length ? 7 : 0];
  switch (rng.weighted(weights)) {
    case 0:
      return [randomDeposit(rng, account, prices)];
    case 1: {
      const { chain, asset } = rng.pick(withCollateral);
      const balance = account.books[chain]!.collateral[asset];
      const amountRaw = (balance * BigInt(Math.floor(rng.range(0.1, 0.5) * 1000))) / 1000n;
      return amountRaw > 0n ? [{ kind: "withdraw", chain, asset, amountRaw }] : [randomDeposit(rng, account, prices)];
    }
    case 2: {
      const chain = rng.pick(account.chains);
      const chainNet = bookNetUsd(account.books[chain]!, prices);
      if (chainNet < 1_000) return [randomDeposit(rng, account, prices)];
      const asset: DevnetAsset = rng.chance(0.7) ? "USDC" : "ETH";
      const usd = chainNet * rng.range(0.05, 0.25);
      return [{ kind: "borrow", chain, asset, amountRaw: tokensToRaw(usd / prices[asset], DECIMALS[asset]) || 1n }];
    }
    case 3: {
      const { chain, asset } = rng.pick(withDebt);
      const owed = account.books[chain]!.debt[asset];
      const amountRaw = rng.chance(0.4) ? owed : (owed * BigInt(Math.floor(rng.range(0.3, 1) * 1000))) / 1000n;
      return [{ kind: "repay", chain, asset, amountRaw: amountRaw > 0n ? amountRaw : owed }];
    }
    case 4: {
      const chain = rng.pick(account.chains);
      const marketId = rng.pick(MARKET_IDS);
      const asset = MARKET_ASSET[marketId]!;
      const notional = net * account.profile.leverage * rng.range(0.2, 0.6);
      const size = BigInt(Math.floor((notional / prices[asset]) * 1e6)) * 10n ** 12n;
      if (size === 0n) return [randomDeposit(rng, account, prices)];
      const signed = rng.chance(account.profile.longBias) ? size : -size;
      const actions: Action[] = [{ kind: "trade", chain, marketId, sizeDelta: signed }];
      if (rng.chance(account.profile.hedgeProbability)) {
        const others = account.chains.filter((c) => c !== chain);
        if (others.length) actions.push({ kind: "trade", chain: rng.pick(others), marketId, sizeDelta: -signed });
      }
      return actions;
    }
    case 5: {
      const p = rng.pick(withPosition);
      const part = (p.size * BigInt(Math.floor(rng.range(0.2, 0.8) * 1000))) / 1000n;
      return [{ kind: "trade", chain: p.chain, marketId: p.marketId, sizeDelta: part !== 0n ? -part : -p.size }];
    }
    default: {
      const p = rng.pick(withPosition);
      return [{ kind: "trade", chain: p.chain, marketId: p.marketId, sizeDelta: -p.size }];
    }
  }
}

/** The book after `action` succeeds (pure; the input is not modified). */
export function applyAction(book: ChainBook, action: Action): ChainBook {
  const next: ChainBook = { collateral: { ...book.collateral }, debt: { ...book.debt }, positions: { ...book.positions } };
  switch (action.kind) {
    case "deposit":
      next.collateral[action.asset] += action.amountRaw;
      break;
    case "withdraw":
      next.collateral[action.asset] -= action.amountRaw;
      break;
    case "borrow":
      next.debt[action.asset] += action.amountRaw;
      break;
    case "repay":
      next.debt[action.asset] -= action.amountRaw;
      break;
    case "trade":
      next.positions[action.marketId] = (next.positions[action.marketId] ?? 0n) + action.sizeDelta;
      break;
  }
  return next;
}
