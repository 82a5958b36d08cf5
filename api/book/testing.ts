/**
 * Plain-data fixtures for tests of the risk book and of the API over it: a three-chain in-memory
 * store with a few accounts, and a market crash to append. Not imported by production code.
 *
 *   const store = seededStore();                       // prices at T0, four accounts
 *   const book = createRiskBook({ reader: createMemoryReader(store), config: bookTestConfig(), clock: () => (T0 + 10) * 1000 });
 *   await book.start();
 *   appendLedger(store, crashRows(T0 + 60));           // ETH 3000 → 2000 on every chain
 */
import type { ChainId, Hex, RiskConfig } from "../../risk/types.js";
import { CHAIN_L1, CHAIN_L2A, CHAIN_L2B, CHAINS, NOW, testConfig } from "../../risk/testing.js";
import type { LedgerRow, TokenRow } from "./reader.js";
import { appendLedger, createMemoryStore, type MemoryStore } from "./memoryReader.js";

export { CHAIN_L1, CHAIN_L2A, CHAIN_L2B, CHAINS };
export const T0 = NOW;

export const USDC: Record<ChainId, Hex> = { [CHAIN_L1]: "0x00000000000000000000000000000000000000a1", [CHAIN_L2A]: "0x00000000000000000000000000000000000000a2", [CHAIN_L2B]: "0x00000000000000000000000000000000000000a3" };
export const WETH: Record<ChainId, Hex> = { [CHAIN_L1]: "0x00000000000000000000000000000000000000e1", [CHAIN_L2A]: "0x00000000000000000000000000000000000000e2", [CHAIN_L2B]: "0x00000000000000000000000000000000000000e3" };

export const ALICE: Hex = "0x000000000000000000000000000000000000a11c";
export const BOB: Hex = "0x0000000000000000000000000000000000000b0b";
export const CAROL: Hex = "0x000000000000000000000000000000000000ca01";
export const DAVE: Hex = "0x000000000000000000000000000000000000da7e";
export const ERIN: Hex = "0x000000000000000000000000000000000000e111";

export function bookTestConfig(): RiskConfig {
  return testConfig();
}

export function testTokens(): TokenRow[] {
  const rows: TokenRow[] = [];
  for (const chainId of CHAINS) {
    rows.push({ chainId, token: USDC[chainId], asset: "USDC", decimals: 6, quote: true });
    rows.push({ chainId, token: WETH[chainId], asset: "ETH", decimals: 18, quote: false });
  }
  return rows;
}

let blockCounter = new Map<ChainId, bigint>();

/** A block number per chain that only grows (each call a new block), from 100. */
export function nextBlock(chainId: ChainId): bigint {
  const next = (blockCounter.get(chainId) ?? 99n) + 1n;
  blockCounter.set(chainId, next);
  return next;
}

export function resetBlocks(): void {
  blockCounter = new Map();
}

export function blockHash(chainId: ChainId, blockNumber: bigint, fork = 0): Hex {
  return `0x${chainId.toString(16).padStart(8, "0")}${fork.toString(16).padStart(4, "0")}${blockNumber.toString(16).padStart(52, "0")}` as Hex;
}

/** The ledger columns an event may leave empty, all null. */
export const NULL_LEDGER_FIELDS = {
  account: null,
  token: null,
  marketId: null,
  asset: null,
  amountRaw: null,
  newValueRaw: null,
  priceRaw: null,
  entryPriceRaw: null,
  fundingIndexX18: null,
  cashRaw: null,
} as const satisfies Partial<LedgerRow>;

/** A ledger row with everything null but what is given. */
export function ledgerRow(row: Pick<LedgerRow, "chainId" | "kind" | "timestamp"> & Partial<LedgerRow> & { fork?: number }): LedgerRow {
  const { fork = 0, ...rest } = row;
  const blockNumber = row.blockNumber ?? nextBlock(row.chainId);
  return {
    blockNumber,
    logIndex: 0,
    blockHash: blockHash(row.chainId, blockNumber, fork),
    ...NULL_LEDGER_FIELDS,
    ...rest,
  };
}

const e18 = 10n ** 18n;
const e6 = 10n ** 6n;
const e8 = 10n ** 8n;

/** PRICE rows on every chain (8-decimal answers). */
export function priceRows(prices: Record<string, number>, timestamp: number, chains: ChainId[] = CHAINS, fork = 0): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const chainId of chains) {
    const blockNumber = nextBlock(chainId);
    let logIndex = 0;
    for (const [asset, usd] of Object.entries(prices)) {
      rows.push(ledgerRow({ chainId, kind: "PRICE", timestamp, blockNumber, logIndex: logIndex++, asset, priceRaw: BigInt(Math.round(usd * 1e8)), fork }));
    }
  }
  return rows;
}

/**
 * Four accounts at T0 (ETH 3000):
 * - ALICE: 10 ETH on L1, 15,000 USDC debt on L2A (safe);
 * - BOB: 1 ETH on L2B, 2,400 USDC debt on L1 (margin call);
 * - CAROL: 100,000 USDC on L1, no debt (health factor null);
 * - DAVE: 1,000 USDC cash and a 10 ETH long at 3000 on L1 (market 1).
 */
export function seedRows(t0 = T0): LedgerRow[] {
  const t = t0;
  return [
    ...priceRows({ ETH: 3000, USDC: 1, BTC: 60000, SOL: 150 }, t),
    ledgerRow({ chainId: CHAIN_L1, kind: "MARKET_LISTED", timestamp: t, marketId: 1, asset: "ETH" }),
    ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: t + 1, account: ALICE, token: WETH[CHAIN_L1], asset: "ETH", amountRaw: 10n * e18, newValueRaw: 10n * e18 }),
    ledgerRow({ chainId: CHAIN_L2A, kind: "BORROW", timestamp: t + 2, account: ALICE, token: USDC[CHAIN_L2A], asset: "USDC", amountRaw: 15_000n * e6, newValueRaw: 15_000n * e6 }),
    ledgerRow({ chainId: CHAIN_L2B, kind: "DEPOSIT", timestamp: t + 3, account: BOB, token: WETH[CHAIN_L2B], asset: "ETH", amountRaw: e18, newValueRaw: e18 }),
    ledgerRow({ chainId: CHAIN_L1, kind: "BORROW", timestamp: t + 4, account: BOB, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 2_400n * e6, newValueRaw: 2_400n * e6 }),
    ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: t + 5, account: CAROL, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 100_000n * e6, newValueRaw: 100_000n * e6 }),
    ledgerRow({ chainId: CHAIN_L1, kind: "INSURANCE_PAID", timestamp: t + 6, account: DAVE, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 1_000n * e6, newValueRaw: 50_000n * e6, cashRaw: 1_000n * e6 }),
    ledgerRow({ chainId: CHAIN_L1, kind: "POSITION", timestamp: t + 7, account: DAVE, marketId: 1, asset: "ETH", amountRaw: 10n * e18, newValueRaw: 10n * e18, priceRaw: 3000n * e8, entryPriceRaw: 3000n * e8, fundingIndexX18: 0n, cashRaw: 1_000n * e6 }),
    ledgerRow({ chainId: CHAIN_L1, kind: "INSURANCE_FUNDED", timestamp: t + 8, token: USDC[CHAIN_L1], asset: "USDC", amountRaw: 50_000n * e6, newValueRaw: 100_000n * e6 }),
  ];
}

/** ETH to `ethUsd` on every chain at `timestamp` (a crash with the default 2000). */
export function crashRows(timestamp: number, ethUsd = 2000, fork = 0): LedgerRow[] {
  return priceRows({ ETH: ethUsd, USDC: 1, BTC: 60000, SOL: 150 }, timestamp, CHAINS, fork);
}

/** A store holding the seed rows (and every chain's checkpoint at the last seed block). */
export function seededStore(t0 = T0): MemoryStore {
  resetBlocks();
  const store = createMemoryStore({ tokens: testTokens() });
  appendLedger(store, seedRows(t0));
  return store;
}
