/**
 * A StoreReader over plain in-memory rows: a real risk book over plain data, for tests of the
 * book and of the API schema in process (no chain, no Ponder, no database).
 *
 * Two ways to fill it: set the tables directly (`store.collateral.push(...)`), or append ledger
 * rows with `appendLedger`, which also updates the current-state tables the way the indexer does
 * (last new value per key), so ledger and tables never disagree. `rollback` removes a chain's
 * ledger rows above a block and rebuilds the tables from what remains, like Ponder's reorg.
 */
import type { ChainId, Hex } from "../../risk/types.js";
import type {
  AccountRows,
  BalanceRow,
  CashRow,
  CheckpointRow,
  InsuranceFundRow,
  LatestPriceRow,
  LedgerRow,
  MarketRow,
  PositionRow,
  PriceRoundRow,
  StoreReader,
  TokenRow,
} from "./reader.js";
import { blockKey } from "./reader.js";
import { applyLedgerRow, createReplayState, tokenDirectory } from "./replay.js";

export interface MemoryStore {
  collateral: BalanceRow[];
  debt: BalanceRow[];
  cash: CashRow[];
  positions: PositionRow[];
  markets: MarketRow[];
  latestPrices: LatestPriceRow[];
  priceRounds: PriceRoundRow[];
  insuranceFunds: InsuranceFundRow[];
  checkpoints: CheckpointRow[];
  ledger: LedgerRow[];
  /** Token identities the ledger does not carry (asset, decimals); chain → quote token. */
  tokens: TokenRow[];
  quoteTokens: Map<ChainId, Hex>;
  /** Number of queries answered (tests check that incremental updates read little). */
  queries: number;
}

export function createMemoryStore(init: Partial<Omit<MemoryStore, "queries">> = {}): MemoryStore {
  return {
    collateral: init.collateral ?? [],
    debt: init.debt ?? [],
    cash: init.cash ?? [],
    positions: init.positions ?? [],
    markets: init.markets ?? [],
    latestPrices: init.latestPrices ?? [],
    priceRounds: init.priceRounds ?? [],
    insuranceFunds: init.insuranceFunds ?? [],
    checkpoints: init.checkpoints ?? [],
    ledger: init.ledger ?? [],
    tokens: init.tokens ?? [],
    quoteTokens: init.quoteTokens ?? new Map(),
    queries: 0,
  };
}

const compareLedger = (a: LedgerRow, b: LedgerRow) =>
  a.chainId - b.chainId || (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0) || a.logIndex - b.logIndex;

/**
 * Appends ledger rows (and, for PRICE rows with an asset, the price round and latest price),
 * then recomputes the current-state tables from the whole ledger, and moves each chain's
 * checkpoint to the newest block seen.
 */
export function appendLedger(store: MemoryStore, rows: readonly LedgerRow[], priceDecimals = 8): void {
  for (const row of rows) {
    store.ledger.push(row);
    if (row.kind === "PRICE" && row.asset !== null && row.priceRaw !== null) {
      const round: PriceRoundRow = {
        chainId: row.chainId,
        asset: row.asset,
        decimals: priceDecimals,
        answerRaw: row.priceRaw,
        roundId: row.newValueRaw ?? BigInt(store.priceRounds.length + 1),
        updatedAt: row.timestamp,
      };
      store.priceRounds.push(round);
    }
    advanceCheckpoint(store, row.chainId, row.blockNumber, row.timestamp);
  }
  store.ledger.sort(compareLedger);
  rebuildTables(store);
}

/** Removes a chain's ledger rows and price rounds above `blockNumber` (a reorg) and rebuilds the tables. */
export function rollback(store: MemoryStore, chainId: ChainId, blockNumber: bigint, blockTimestamp: number): void {
  store.ledger = store.ledger.filter((r) => {
    return !(r.chainId === chainId && r.blockNumber > blockNumber);
  });
  store.priceRounds = store.priceRounds.filter((p) => !(p.chainId === chainId && p.updatedAt > blockTimestamp));
  const cp = store.checkpoints.find((c) => c.chainId === chainId);
  if (cp !== undefined) {
    cp.blockNumber = blockNumber;
    cp.blockTimestamp = blockTimestamp;
  }
  rebuildTables(store);
}

/** Moves a chain's checkpoint forward (a block without events: keeps its data lag current). */
export function advanceCheckpoint(store: MemoryStore, chainId: ChainId, blockNumber: bigint, blockTimestamp: number, chainName?: string): void {
  const cp = store.checkpoints.find((c) => c.chainId === chainId);
  if (cp === undefined) {
    store.checkpoints.push({ chainName: chainName ?? `chain${chainId}`, chainId, blockNumber, blockTimestamp, finalizedBlockNumber: 0n });
  } else if (blockNumber >= cp.blockNumber) {
    cp.blockNumber = blockNumber;
    cp.blockTimestamp = Math.max(cp.blockTimestamp, blockTimestamp);
  }
}

/** Current-state tables from the ledger (last new value per key) and latest prices from the rounds. */
export function rebuildTables(store: MemoryStore): void {
  const state = createReplayState();
  const tokens = tokenDirectory(store.tokens, store.quoteTokens);
  for (const row of store.ledger) applyLedgerRow(state, row, tokens);
  store.collateral = [...state.collateral.values()];
  store.debt = [...state.debt.values()];
  store.cash = [...state.cash.values()];
  store.positions = [...state.positions.values()];
  // Markets and funds that came with no ledger rows (set directly) are kept.
  const markets = new Map(store.markets.filter((m) => !store.ledger.some((r) => r.chainId === m.chainId && r.marketId === m.marketId && r.kind === "MARKET_LISTED")).map((m) => [`${m.chainId}:${m.marketId}`, m]));
  for (const [key, m] of state.markets) markets.set(key, m);
  store.markets = [...markets.values()];
  const funds = new Map(store.insuranceFunds.map((f) => [`${f.chainId}:${f.token}`, f]));
  for (const [key, f] of state.insurance) funds.set(key, f);
  store.insuranceFunds = [...funds.values()];
  const latest = new Map<string, LatestPriceRow>();
  for (const p of store.priceRounds) {
    const key = `${p.chainId}:${p.asset}`;
    const known = latest.get(key);
    if (known === undefined || p.updatedAt > known.updatedAt || (p.updatedAt === known.updatedAt && p.roundId >= known.roundId)) {
      latest.set(key, { chainId: p.chainId, asset: p.asset, decimals: p.decimals, answerRaw: p.answerRaw, roundId: p.roundId, updatedAt: p.updatedAt, blockNumber: 0n });
    }
  }
  store.latestPrices = [...latest.values()];
}

const clone = <T>(rows: readonly T[]): T[] => rows.map((r) => ({ ...r }));

export function createMemoryReader(store: MemoryStore): StoreReader {
  const answer = <T>(value: T): Promise<T> => {
    store.queries++;
    return Promise.resolve(value);
  };
  const byAccount = <T extends { account: Hex }>(rows: readonly T[], addresses?: readonly Hex[]) => {
    if (addresses === undefined) return clone(rows);
    const wanted = new Set(addresses.map((a) => a.toLowerCase()));
    return clone(rows.filter((r) => wanted.has(r.account.toLowerCase())));
  };
  return {
    accountRows: (addresses): Promise<AccountRows> =>
      answer({
        collateral: byAccount(store.collateral, addresses),
        debt: byAccount(store.debt, addresses),
        cash: byAccount(store.cash, addresses),
        positions: byAccount(store.positions, addresses),
      }),
    markets: () => answer(clone(store.markets)),
    latestPrices: () => answer(clone(store.latestPrices)),
    insuranceFunds: () => answer(clone(store.insuranceFunds)),
    tokens: () => {
      const rows: TokenRow[] = [...store.tokens];
      for (const r of [...store.collateral, ...store.debt]) rows.push({ chainId: r.chainId, token: r.token, asset: r.asset, decimals: r.decimals, quote: false });
      for (const r of store.cash) rows.push({ chainId: r.chainId, token: r.quoteToken, asset: r.asset, decimals: r.decimals, quote: true });
      for (const [chainId, token] of store.quoteTokens) {
        const known = store.tokens.find((t) => t.chainId === chainId && t.token === token);
        if (known !== undefined) rows.push({ ...known, quote: true });
      }
      return answer(rows);
    },
    checkpoints: () => answer(clone(store.checkpoints)),
    ledgerHeads: () => {
      const heads = new Map<ChainId, LedgerRow>();
      for (const r of store.ledger) {
        const h = heads.get(r.chainId);
        if (h === undefined || compareLedger(r, h) > 0) heads.set(r.chainId, r);
      }
      return answer([...heads.values()].map((r) => ({ chainId: r.chainId, blockNumber: r.blockNumber, logIndex: r.logIndex, blockHash: r.blockHash })));
    },
    ledgerAfter: (cursors, limit) => {
      const byChain = new Map(cursors.map((c) => [c.chainId, c]));
      const rows = store.ledger
        .filter((r) => {
          const c = byChain.get(r.chainId);
          return c === undefined || r.blockNumber > c.blockNumber || (r.blockNumber === c.blockNumber && r.logIndex > c.logIndex);
        })
        .sort(compareLedger)
        .slice(0, limit);
      return answer(clone(rows));
    },
    ledgerBlockHashes: (blocks) => {
      const out = new Map<string, Hex>();
      const wanted = new Set(blocks.map((b) => blockKey(b.chainId, b.blockNumber)));
      for (const r of store.ledger) {
        const key = blockKey(r.chainId, r.blockNumber);
        if (wanted.has(key)) out.set(key, r.blockHash);
      }
      return answer(out);
    },
    ledgerUntil: (time, filter = {}) => {
      const who = filter.account?.toLowerCase();
      const kinds = filter.kinds === undefined ? null : new Set(filter.kinds);
      const rows = store.ledger
        .filter((r) => r.timestamp <= time && (who === undefined || r.account?.toLowerCase() === who) && (kinds === null || kinds.has(r.kind)))
        .sort((a, b) => a.timestamp - b.timestamp || compareLedger(a, b));
      return answer(clone(rows));
    },
    ledgerBlocksAt: (time) => {
      const out = new Map<ChainId, { chainId: ChainId; blockNumber: bigint; timestamp: number }>();
      for (const r of store.ledger) {
        if (r.timestamp > time) continue;
        const known = out.get(r.chainId);
        if (known === undefined) out.set(r.chainId, { chainId: r.chainId, blockNumber: r.blockNumber, timestamp: r.timestamp });
        else {
          if (r.blockNumber > known.blockNumber) known.blockNumber = r.blockNumber;
          if (r.timestamp > known.timestamp) known.timestamp = r.timestamp;
        }
      }
      return answer([...out.values()]);
    },
    priceRounds: (fromTime, toTime) =>
      answer(
        clone(store.priceRounds.filter((p) => p.updatedAt >= fromTime && p.updatedAt <= toTime)).sort(
          (a, b) => a.updatedAt - b.updatedAt || a.chainId - b.chainId || (a.roundId < b.roundId ? -1 : a.roundId > b.roundId ? 1 : 0),
        ),
      ),
    pricesAt: (time) => {
      const best = new Map<string, PriceRoundRow>();
      for (const p of store.priceRounds) {
        if (p.updatedAt > time) continue;
        const key = `${p.chainId}:${p.asset}`;
        const known = best.get(key);
        if (known === undefined || p.updatedAt > known.updatedAt || (p.updatedAt === known.updatedAt && p.roundId > known.roundId)) best.set(key, p);
      }
      return answer(clone([...best.values()]));
    },
  };
}
