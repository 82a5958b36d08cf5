/**
 * The store the indexer should have produced, computed independently from the chain: every vault
 * and feed event read with eth_getLogs and decoded with viem, plus the vault's own view functions
 * (collateralOf, debtOf, cashOf, positionOf, marketOf, insuranceBalanceOf) read at the same block.
 *
 * Rows use the store's camelCase column names and carry values as strings (bigints and numbers in
 * decimal, addresses lowercase), so they compare directly with `readStore` rows. Only columns whose
 * meaning the shared contracts fix (IMarginVault.sol, ponder.schema.ts) are predicted.
 */
import { createPublicClient, decodeEventLog, http, type Log, type PublicClient } from "viem";
import { marginVaultAbi, priceFeedAbi } from "../../abis/index.js";
import { rpcBlockNumber } from "../../devnet/ponderProcess.js";

type Hex = `0x${string}`;
export type Row = Record<string, string | null>;

/** The slice of a chain's xmargin config ground truth needs (config/types.ts ChainConfig fits). */
export interface TruthChain {
  name: string;
  chainId: number;
  /** One URL, or the config's list (the first is used). */
  rpc: string | string[];
  vault: Hex;
  startBlock?: number;
  tokens: Record<string, { asset: string; decimals: number }>;
  feeds: Record<string, { asset: string; decimals: number }>;
  markets: Record<string, { asset: string }>;
}

export interface ExpectedTable {
  /** Columns that identify a row (the store's primary key, or a natural key for `liquidation`). */
  key: string[];
  rows: Row[];
  /**
   * "exact": the store has exactly these keys. "superset": the store may hold extra rows, but
   * every row it holds must be in `rows` (values checked) and every `required` key must be there.
   */
  mode: "exact" | "superset";
  /** For "superset": keys (joined with "|") the store must hold. */
  required?: Set<string>;
}

export interface GroundTruth {
  /** Block each chain was read at. */
  heads: Record<string, number>;
  /** Decoded events per chain, in chain order. */
  events: Record<string, DecodedEvent[]>;
  tables: Record<string, ExpectedTable>;
}

export interface DecodedEvent {
  chainId: number;
  address: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
  txHash: Hex;
  timestamp: bigint;
  eventName: string;
  args: Record<string, unknown>;
}

const LEDGER_KIND: Record<string, string> = {
  CollateralDeposited: "DEPOSIT",
  CollateralWithdrawn: "WITHDRAW",
  DebtBorrowed: "BORROW",
  DebtRepaid: "REPAY",
  CollateralSeized: "SEIZE",
  PositionUpdated: "POSITION",
  PositionLiquidated: "POSITION_LIQUIDATED",
  FundingUpdated: "FUNDING",
  MarketListed: "MARKET_LISTED",
  MarketModeChanged: "MARKET_MODE",
  MaxLeverageChanged: "MAX_LEVERAGE",
  AnswerUpdated: "PRICE",
  InsuranceFunded: "INSURANCE_FUNDED",
  InsurancePaidOut: "INSURANCE_PAID",
  LiquidatorSet: "LIQUIDATOR_SET",
};

const s = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === "string" && /^0x[0-9a-f]*$/i.test(v) ? v.toLowerCase() : String(v);
const abs = (v: bigint) => (v < 0n ? -v : v);

function rpcOf(chain: TruthChain): string {
  return Array.isArray(chain.rpc) ? chain.rpc[0] : chain.rpc;
}

function rpcUrlOf(client: PublicClient): string {
  const url = (client.transport as { url?: string }).url;
  if (!url) throw new Error("readEvents needs a client with an http transport (its URL is read for eth_getLogs).");
  return url;
}

async function getLogs(rpcUrl: string, address: Hex, from: number, to: number): Promise<Log[]> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "eth_getLogs",
      params: [{ address, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }],
    }),
  });
  const body = (await res.json()) as { result?: Log[]; error?: { message: string } };
  if (!body.result) throw new Error(`eth_getLogs ${from}–${to} for ${address} failed: ${body.error?.message ?? `HTTP ${res.status}`}`);
  return body.result;
}

/** Read all of a chain's vault + configured-feed logs up to `toBlock`, decoded, in chain order. */
export async function readEvents(
  client: PublicClient,
  chain: TruthChain,
  toBlock: number,
  options: { timestamps?: boolean } = {},
): Promise<DecodedEvent[]> {
  const feeds = Object.keys(chain.feeds).map((f) => f.toLowerCase() as Hex);
  const addresses = [chain.vault.toLowerCase() as Hex, ...feeds];
  const logs: Log[] = [];
  const step = 2_000;
  for (let from = chain.startBlock ?? 0; from <= toBlock; from += step) {
    const to = Math.min(toBlock, from + step - 1);
    // Plain fetch, one address at a time: bulk-mode blocks hold thousands of logs, beyond viem's 10 MB body limit.
    for (const address of addresses) logs.push(...(await getLogs(rpcUrlOf(client), address, from, to)));
  }
  const blockNumbers = options.timestamps === false ? [] : [...new Set(logs.map((l) => BigInt(l.blockNumber as unknown as string)))];
  const timestamps = new Map<bigint, bigint>();
  await Promise.all(
    blockNumbers.map(async (n) => {
      const block = await client.getBlock({ blockNumber: n });
      timestamps.set(n, block.timestamp);
    }),
  );
  const out: DecodedEvent[] = [];
  for (const log of logs) {
    const address = (log.address as string).toLowerCase() as Hex;
    const abi = address === chain.vault.toLowerCase() ? marginVaultAbi : priceFeedAbi;
    let decoded: { eventName: string; args: unknown };
    try {
      decoded = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as typeof decoded;
    } catch {
      continue; // not an event of the contract's ABI
    }
    if (!(decoded.eventName in LEDGER_KIND)) continue; // NewRound, UpdaterSet, OwnershipTransferred...
    const blockNumber = BigInt(log.blockNumber as unknown as string);
    out.push({
      chainId: chain.chainId,
      address,
      blockNumber,
      blockHash: (log.blockHash as string).toLowerCase() as Hex,
      logIndex: Number(BigInt(log.logIndex as unknown as string)),
      txHash: (log.transactionHash as string).toLowerCase() as Hex,
      timestamp: timestamps.get(blockNumber) ?? 0n,
      eventName: decoded.eventName,
      args: decoded.args as Record<string, unknown>,
    });
  }
  out.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  return out;
}

/** Compute the expected store for all chains, each read at its current head. */
export async function groundTruth(chains: TruthChain[]): Promise<GroundTruth> {
  const tables: Record<string, ExpectedTable> = {
    account: { key: ["chainId", "address"], rows: [], mode: "superset", required: new Set() },
    collateral: { key: ["chainId", "account", "token"], rows: [], mode: "exact" },
    debt: { key: ["chainId", "account", "token"], rows: [], mode: "exact" },
    cash: { key: ["chainId", "account"], rows: [], mode: "superset", required: new Set() },
    position: { key: ["chainId", "account", "marketId"], rows: [], mode: "exact" },
    market: { key: ["chainId", "marketId"], rows: [], mode: "exact" },
    priceRound: { key: ["chainId", "feed", "roundId"], rows: [], mode: "exact" },
    latestPrice: { key: ["chainId", "asset"], rows: [], mode: "exact" },
    liquidation: { key: ["chainId", "txHash", "logIndex"], rows: [], mode: "exact" },
    insuranceFund: { key: ["chainId", "token"], rows: [], mode: "exact" },
    liquidator: { key: ["chainId", "address"], rows: [], mode: "exact" },
    ledger: { key: ["chainId", "blockNumber", "logIndex"], rows: [], mode: "exact" },
  };
  const heads: Record<string, number> = {};
  const eventsByChain: Record<string, DecodedEvent[]> = {};

  for (const chain of chains) {
    const rpcUrl = rpcOf(chain);
    const client = createPublicClient({ transport: http(rpcUrl, { batch: { batchSize: 200 }, retryCount: 2 }) }) as PublicClient;
    const head = await rpcBlockNumber(rpcUrl);
    heads[chain.name] = head;
    const events = await readEvents(client, chain, head);
    eventsByChain[chain.name] = events;
    const chainId = String(chain.chainId);
    const vault = chain.vault.toLowerCase() as Hex;
    const blockNumber = BigInt(head);
    const tokenInfo = (t: string) => chain.tokens[t.toLowerCase()] ?? Object.entries(chain.tokens).find(([k]) => k.toLowerCase() === t.toLowerCase())?.[1];
    const feedInfo = (f: string) => Object.entries(chain.feeds).find(([k]) => k.toLowerCase() === f.toLowerCase())?.[1];

    const collateralKeys = new Map<string, { account: Hex; token: Hex }>();
    const debtKeys = new Map<string, { account: Hex; token: Hex }>();
    const positionKeys = new Map<string, { account: Hex; marketId: number }>();
    const cashAccounts = new Set<Hex>();
    const allAccounts = new Set<Hex>();
    const otherAddresses = new Set<Hex>();
    const insuranceTokens = new Set<Hex>();
    const liquidators = new Map<Hex, boolean>();
    const marketIds = new Set<number>();
    const lastFundingUpdate = new Map<number, bigint>();
    const latestByAsset = new Map<string, DecodedEvent>();

    for (const ev of events) {
      const a = ev.args as Record<string, any>;
      const account = a.account ? ((a.account as string).toLowerCase() as Hex) : null;
      const token = a.token ? ((a.token as string).toLowerCase() as Hex) : null;
      if (account) allAccounts.add(account);
      for (const k of ["payer", "from", "liquidator"]) if (a[k]) otherAddresses.add((a[k] as string).toLowerCase() as Hex);
      const led: Row = {
        chainId,
        blockNumber: s(ev.blockNumber),
        logIndex: s(ev.logIndex),
        blockHash: ev.blockHash,
        txHash: ev.txHash,
        timestamp: s(ev.timestamp),
        kind: LEDGER_KIND[ev.eventName],
      };
      // Only what the event itself names is predicted: for other kinds the schema leaves the
      // columns open (the indexer may file a feed or market's token there).
      if (account) led.account = account;
      if (token) led.token = token;
      switch (ev.eventName) {
        case "CollateralDeposited":
        case "CollateralWithdrawn":
        case "CollateralSeized":
          collateralKeys.set(`${account}|${token}`, { account: account!, token: token! });
          led.amountRaw = s(a.amount);
          led.newValueRaw = s(a.newBalance);
          break;
        case "DebtBorrowed":
        case "DebtRepaid":
          debtKeys.set(`${account}|${token}`, { account: account!, token: token! });
          led.amountRaw = s(a.amount);
          led.newValueRaw = s(a.newDebt);
          break;
        case "PositionUpdated":
          positionKeys.set(`${account}|${a.marketId}`, { account: account!, marketId: Number(a.marketId) });
          cashAccounts.add(account!);
          led.marketId = s(a.marketId);
          led.amountRaw = s(a.sizeDelta);
          led.newValueRaw = s(a.newSize);
          led.priceRaw = s(a.executionPrice);
          led.entryPriceRaw = s(a.newEntryPrice);
          led.fundingIndexX18 = s(a.fundingIndex);
          led.cashRaw = s(a.newCash);
          led.realizedPnlRaw = s(a.realizedPnl);
          break;
        case "PositionLiquidated":
          positionKeys.set(`${account}|${a.marketId}`, { account: account!, marketId: Number(a.marketId) });
          cashAccounts.add(account!);
          led.marketId = s(a.marketId);
          led.amountRaw = s(a.sizeClosed);
          led.priceRaw = s(a.executionPrice);
          led.cashRaw = s(a.newCash);
          led.realizedPnlRaw = s(a.realizedPnl);
          break;
        case "InsurancePaidOut":
          cashAccounts.add(account!);
          insuranceTokens.add(token!);
          led.amountRaw = s(a.amount);
          led.newValueRaw = s(a.newFundBalance);
          led.cashRaw = s(a.newCash);
          break;
        case "InsuranceFunded":
          insuranceTokens.add(token!);
          led.amountRaw = s(a.amount);
          led.newValueRaw = s(a.newBalance);
          break;
        case "LiquidatorSet":
          liquidators.set((a.liquidator as string).toLowerCase() as Hex, a.allowed as boolean);
          break;
        case "MarketListed":
        case "MarketModeChanged":
        case "MaxLeverageChanged":
          marketIds.add(Number(a.marketId));
          led.marketId = s(a.marketId);
          break;
        case "FundingUpdated":
          marketIds.add(Number(a.marketId));
          lastFundingUpdate.set(Number(a.marketId), ev.timestamp);
          led.marketId = s(a.marketId);
          led.amountRaw = s(a.fundingRate);
          led.newValueRaw = s(a.cumulativeFundingIndex);
          break;
        case "AnswerUpdated": {
          const info = feedInfo(ev.address);
          led.priceRaw = s(a.current);
          tables.priceRound.rows.push({
            chainId,
            feed: ev.address,
            roundId: s(a.roundId),
            asset: info?.asset ?? null,
            answerRaw: s(a.current),
            updatedAt: s(a.updatedAt),
            blockNumber: s(ev.blockNumber),
            blockTimestamp: s(ev.timestamp),
          });
          if (info) latestByAsset.set(info.asset, ev);
          break;
        }
      }
      tables.ledger.rows.push(led);
      if (ev.eventName === "CollateralSeized" || ev.eventName === "PositionLiquidated") {
        const isSeize = ev.eventName === "CollateralSeized";
        tables.liquidation.rows.push({
          chainId,
          txHash: ev.txHash,
          logIndex: s(ev.logIndex),
          kind: isSeize ? "collateral" : "position",
          account,
          liquidator: s(a.liquidator),
          token: isSeize ? token : null,
          marketId: isSeize ? null : s(a.marketId),
          amountRaw: isSeize ? s(a.amount) : s(a.sizeClosed),
          priceRaw: isSeize ? null : s(a.executionPrice),
          realizedPnlRaw: isSeize ? null : s(a.realizedPnl),
          blockNumber: s(ev.blockNumber),
          timestamp: s(ev.timestamp),
        });
      }
    }

    const read = <T>(functionName: string, args: unknown[]): Promise<T> =>
      client.readContract({ address: vault, abi: marginVaultAbi, functionName: functionName as any, args: args as any, blockNumber }) as Promise<T>;

    await Promise.all([
      ...[...collateralKeys.values()].map(async ({ account, token }) => {
        const amount = await read<bigint>("collateralOf", [account, token]);
        const info = tokenInfo(token);
        tables.collateral.rows.push({
          chainId,
          account,
          token,
          asset: info?.asset ?? null,
          decimals: info ? String(info.decimals) : null,
          amountRaw: s(amount),
        });
      }),
      ...[...debtKeys.values()].map(async ({ account, token }) => {
        const amount = await read<bigint>("debtOf", [account, token]);
        const info = tokenInfo(token);
        tables.debt.rows.push({
          chainId,
          account,
          token,
          asset: info?.asset ?? null,
          decimals: info ? String(info.decimals) : null,
          amountRaw: s(amount),
        });
      }),
      ...[...allAccounts].map(async (account) => {
        const amount = await read<bigint>("cashOf", [account]);
        tables.cash.rows.push({ chainId, account, amountRaw: s(amount) });
        if (cashAccounts.has(account)) tables.cash.required!.add(`${chainId}|${account}`);
      }),
      ...[...insuranceTokens].map(async (token) => {
        const balance = await read<bigint>("insuranceBalanceOf", [token]);
        const info = tokenInfo(token);
        tables.insuranceFund.rows.push({ chainId, token, asset: info?.asset ?? null, balanceRaw: s(balance) });
      }),
    ]);

    const oi = new Map<number, { long: bigint; short: bigint }>();
    await Promise.all(
      [...positionKeys.values()].map(async ({ account, marketId }) => {
        const [size, entryPrice, fundingIndex] = await read<[bigint, bigint, bigint]>("positionOf", [account, marketId]);
        const o = oi.get(marketId) ?? { long: 0n, short: 0n };
        if (size > 0n) o.long += size;
        else o.short += abs(size);
        oi.set(marketId, o);
        const row: Row = {
          chainId,
          account,
          marketId: String(marketId),
          asset: chain.markets[String(marketId)]?.asset ?? null,
          sizeRaw: s(size),
          entryPriceRaw: s(entryPrice),
          fundingIndexX18: s(fundingIndex),
        };
        // A closed position's funding index has no effect, and after PositionLiquidated it is not
        // observable from events (the vault settles funding but the event carries no index).
        if (size === 0n) delete row.fundingIndexX18;
        tables.position.rows.push(row);
      }),
    );
    await Promise.all(
      [...marketIds].map(async (marketId) => {
        const [feed, mode, maxLeverage, fundingRate, cumulative, lastFundingTime] = await read<[Hex, number, bigint, bigint, bigint, bigint]>(
          "marketOf",
          [marketId],
        );
        // The store keeps the index as of the market's last FundingUpdated (the only event that
        // carries it); the vault accrues lazily at the same rate since then (index += rate × Δt),
        // so that value is the view's index minus the accrual after the event.
        const lastUpdate = lastFundingUpdate.get(marketId);
        const indexAtLastUpdate = lastUpdate === undefined ? cumulative : cumulative - fundingRate * (lastFundingTime - lastUpdate);
        const o = oi.get(marketId) ?? { long: 0n, short: 0n };
        tables.market.rows.push({
          chainId,
          marketId: String(marketId),
          feed: feed.toLowerCase(),
          asset: chain.markets[String(marketId)]?.asset ?? null,
          mode: String(mode),
          maxLeverageX18: s(maxLeverage),
          fundingRateX18: s(fundingRate),
          cumulativeFundingX18: s(indexAtLastUpdate),
          openInterestLongRaw: s(o.long),
          openInterestShortRaw: s(o.short),
        });
      }),
    );

    for (const [address, allowed] of liquidators) tables.liquidator.rows.push({ chainId, address, allowed: String(allowed) });
    for (const [asset, ev] of latestByAsset) {
      const a = ev.args as Record<string, any>;
      tables.latestPrice.rows.push({
        chainId,
        asset,
        feed: ev.address,
        decimals: String(feedInfo(ev.address)!.decimals),
        answerRaw: s(a.current),
        roundId: s(a.roundId),
        updatedAt: s(a.updatedAt),
        blockNumber: s(ev.blockNumber),
      });
    }
    for (const account of allAccounts) {
      tables.account.rows.push({ chainId, address: account });
      tables.account.required!.add(`${chainId}|${account}`);
    }
    for (const other of otherAddresses) if (!allAccounts.has(other)) tables.account.rows.push({ chainId, address: other });
  }
  return { heads, events: eventsByChain, tables };
}

/** Count of decoded events per event name, over all chains (to check a workload covers every type). */
export function eventCounts(truth: GroundTruth): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const events of Object.values(truth.events)) for (const ev of events) counts[ev.eventName] = (counts[ev.eventName] ?? 0) + 1;
  return counts;
}
