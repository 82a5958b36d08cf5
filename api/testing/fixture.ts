/**
 * A small three-chain world on plain data for the API's in-process tests: a real risk book over
 * api/book/memoryReader.ts, a test-controlled clock, and helpers that append ledger rows the way
 * the indexer writes them (each row carries the new state).
 */
import { DEFAULT_RISK_PARAMS } from "../../risk/defaults.js";
import type { ChainId, Hex, RiskConfig } from "../../risk/types.js";
import { createRiskBook, type RiskBook } from "../book/book.js";
import { appendLedger, createMemoryReader, createMemoryStore, type MemoryStore } from "../book/memoryReader.js";
import type { LedgerRow } from "../book/reader.js";
import { NULL_LEDGER_FIELDS } from "../book/testing.js";

export const CHAINS = { l1: 1001, l2a: 1002, l2b: 1003 } as const;
export const T0 = 1_700_000_000; // unix seconds of the first block

const TOKENS: Record<string, { asset: string; decimals: number }> = {
  USDC: { asset: "USDC", decimals: 6 },
  ETH: { asset: "ETH", decimals: 18 },
  BTC: { asset: "BTC", decimals: 8 },
};

export function tokenAddress(chainId: ChainId, asset: string): Hex {
  const index = Object.keys(TOKENS).indexOf(asset) + 1;
  return `0x${chainId.toString(16).padStart(8, "0")}${index.toString(16).padStart(32, "0")}` as Hex;
}

export function address(n: number): Hex {
  return `0x${n.toString(16).padStart(40, "0")}` as Hex;
}

export function riskConfig(): RiskConfig {
  const asset = (symbol: string, cfM: string, cfI: string, vol: string, group: "stable" | "btc" | "eth" | "alt") => ({
    symbol,
    cfMaintenance: cfM,
    cfInitial: cfI,
    volFloorAnnual: vol,
    maxOracleAgeSeconds: 86_400,
    impactKappa: "0.5",
    depthUsd: "50000000",
    group,
  });
  const markets: RiskConfig["markets"] = {};
  for (const chainId of Object.values(CHAINS)) {
    markets[`${chainId}:1`] = { key: `${chainId}:1`, chainId, marketId: 1, asset: "ETH", mmr: "0.03", imr: "0.05", imf: "0" };
  }
  return {
    params: { ...DEFAULT_RISK_PARAMS },
    assets: {
      USDC: asset("USDC", "0.95", "0.9", "0.01", "stable"),
      ETH: asset("ETH", "0.85", "0.8", "0.45", "eth"),
      BTC: asset("BTC", "0.85", "0.8", "0.4", "btc"),
    },
    markets,
    chains: {
      [CHAINS.l1]: { chainId: CHAINS.l1, name: "l1", liquidationLatencySeconds: 900, maxDataLagSeconds: 3600 },
      [CHAINS.l2a]: { chainId: CHAINS.l2a, name: "l2a", liquidationLatencySeconds: 1020, maxDataLagSeconds: 3600 },
      [CHAINS.l2b]: { chainId: CHAINS.l2b, name: "l2b", liquidationLatencySeconds: 1080, maxDataLagSeconds: 3600 },
    },
  };
}

export interface World {
  store: MemoryStore;
  book: RiskBook;
  config: RiskConfig;
  /** the clock the book reads, in ms */
  nowMs: number;
  /** block time of the next row, unix seconds */
  time: number;
  /** appends rows and moves the clock to their time */
  emit(rows: Partial<LedgerRow>[]): void;
  deposit(chainId: ChainId, account: Hex, asset: string, newAmountRaw: bigint): void;
  borrow(chainId: ChainId, account: Hex, asset: string, newAmountRaw: bigint): void;
  price(asset: string, usd: number, chainIds?: ChainId[]): void;
  /** advance block time (and the clock) by `seconds` */
  advance(seconds: number): void;
}

export function createWorld(): World {
  const store = createMemoryStore();
  const block = new Map<ChainId, bigint>();
  for (const [name, chainId] of Object.entries(CHAINS)) {
    for (const [symbol, t] of Object.entries(TOKENS)) {
      store.tokens.push({ chainId, token: tokenAddress(chainId, symbol), asset: t.asset, decimals: t.decimals, quote: symbol === "USDC" });
    }
    store.quoteTokens.set(chainId, tokenAddress(chainId, "USDC"));
    store.checkpoints.push({ chainName: name, chainId, blockNumber: 0n, blockTimestamp: T0, finalizedBlockNumber: 0n });
    block.set(chainId, 0n);
  }
  const config = riskConfig();
  const world: World = {
    store,
    config,
    nowMs: T0 * 1000,
    time: T0,
    book: undefined as unknown as RiskBook,
    emit(rows) {
      const full: LedgerRow[] = rows.map((r) => {
        const chainId = r.chainId!;
        const n = (block.get(chainId) ?? 0n) + 1n;
        block.set(chainId, n);
        return {
          chainId,
          blockNumber: n,
          logIndex: 0,
          blockHash: `0x${chainId.toString(16)}${n.toString(16).padStart(62, "0")}` as Hex,
          timestamp: world.time,
          kind: "DEPOSIT",
          ...NULL_LEDGER_FIELDS,
          ...r,
        } as LedgerRow;
      });
      appendLedger(store, full);
      world.nowMs = Math.max(world.nowMs, world.time * 1000);
    },
    deposit(chainId, account, asset, newAmountRaw) {
      world.emit([{ chainId, kind: "DEPOSIT", account, token: tokenAddress(chainId, asset), asset, amountRaw: newAmountRaw, newValueRaw: newAmountRaw }]);
    },
    borrow(chainId, account, asset, newAmountRaw) {
      world.emit([{ chainId, kind: "BORROW", account, token: tokenAddress(chainId, asset), asset, amountRaw: newAmountRaw, newValueRaw: newAmountRaw }]);
    },
    price(asset, usd, chainIds = Object.values(CHAINS)) {
      world.emit(chainIds.map((chainId) => ({ chainId, kind: "PRICE", asset, priceRaw: BigInt(Math.round(usd * 1e8)) })));
    },
    advance(seconds) {
      world.time += seconds;
      world.nowMs = world.time * 1000;
      for (const cp of store.checkpoints) cp.blockTimestamp = Math.max(cp.blockTimestamp, world.time);
    },
  };
  world.book = createRiskBook({ reader: createMemoryReader(store), config, clock: () => world.nowMs, pollIntervalMs: 60_000 });
  return world;
}

/**
 * The standard scene: prices on every chain, then
 * - 0x…01 safe: 10 ETH on l1, 5,000 USDC debt on l2a;
 * - 0x…02 endangered: 1 ETH on l1 + 1 ETH on l2b, 3,000 USDC debt on l2a (HF ≈ 1.1 at ETH 2,000);
 * - 0x…03 insolvent after a crash: 1 BTC on l2b, 50,000 USDC debt on l1;
 * - 0x…04 only collateral (no debt: health factor null).
 */
export function standardScene(world: World): void {
  world.price("USDC", 1);
  world.price("ETH", 2000);
  world.price("BTC", 60_000);
  world.advance(12);
  world.deposit(CHAINS.l1, address(1), "ETH", 10n * 10n ** 18n);
  world.borrow(CHAINS.l2a, address(1), "USDC", 5_000n * 10n ** 6n);
  world.deposit(CHAINS.l1, address(2), "ETH", 10n ** 18n);
  world.deposit(CHAINS.l2b, address(2), "ETH", 10n ** 18n);
  world.borrow(CHAINS.l2a, address(2), "USDC", 3_000n * 10n ** 6n);
  world.deposit(CHAINS.l2b, address(3), "BTC", 10n ** 8n);
  world.borrow(CHAINS.l1, address(3), "USDC", 40_000n * 10n ** 6n);
  world.deposit(CHAINS.l2a, address(4), "USDC", 1_000n * 10n ** 6n);
  world.advance(12);
}

/**
 * `days` of history before the standard scene's accounts act: ETH and BTC re-priced on every
 * chain every `stepSeconds` (a ±0.5 % walk, deterministic), so time travel and history read a
 * month of oracle rounds as they do on a long-running devnet.
 */
export function priceHistory(world: World, days: number, stepSeconds: number): void {
  const steps = Math.floor((days * 86_400) / stepSeconds);
  let eth = 2000;
  let btc = 60_000;
  const rows: Partial<LedgerRow>[] = [];
  for (let i = 0; i < steps; i++) {
    eth *= i % 3 === 0 ? 0.995 : 1.0026;
    btc *= i % 4 === 0 ? 1.004 : 0.9987;
    const timestamp = world.time + i * stepSeconds;
    for (const chainId of Object.values(CHAINS)) {
      rows.push({ chainId, kind: "PRICE", asset: "ETH", priceRaw: BigInt(Math.round(eth * 100)) * 10n ** 6n, timestamp });
      rows.push({ chainId, kind: "PRICE", asset: "BTC", priceRaw: BigInt(Math.round(btc)) * 10n ** 8n, timestamp });
    }
  }
  world.emit(rows); // one append: the memory store rebuilds its tables once
  world.advance(steps * stepSeconds);
}
