/**
 * The risk API end to end over HTTP: three anvil chains, the simulator's traders, the real
 * xmargin Ponder app on Postgres (its API process runs the risk book), and:
 * - an account's health across three chains equals the risk core run on the store's rows
 *   (read with our own SQL, evaluated with risk/evaluateAccount at the API's `now`);
 * - time travel (`account(at:)`) returns the health before a crash;
 * - a graphql-sse client (distinct connections) and a plain text/event-stream client receive the
 *   push when a price crash makes an account endangered.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createClient } from "graphql-sse";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig, toRiskConfig } from "../config/index.js";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { pollUntil as poll } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { estimateVolatility } from "../risk/volatility.js";
import { prepareEnvironment } from "../risk/environment.js";
import { evaluateAccount } from "../risk/evaluateAccount.js";
import type { AccountState, Hex, PricePoint, RiskConfig } from "../risk/types.js";
import { readSse } from "../api/testing/sse.js";
import { serializeDecimal } from "../api/scalars.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { apiGraphql } from "./harness/storeGraphql.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { startPostgres } from "./harness/postgres.js";
import { readFileSync } from "node:fs";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let sim: Simulator;
let pool: pg.Pool;
let schema: string;
let riskConfig: RiskConfig;
let databaseUrl: string;
const ponderLogs: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>): Promise<any> {
  return apiGraphql(ponder.url, query, variables);
}

/** The shared poll (devnet/rpc.ts), with Ponder's log tail on a timeout. */
async function pollUntil<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  try {
    return await poll(fn, timeoutMs, what, everyMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${ponder?.logTail() ?? ""}`, { cause: error });
  }
}

/** The API's book has loaded and reached every chain's indexed block (Ponder's /status). */
async function waitBookCaughtUp(timeoutMs = 60_000): Promise<void> {
  await ponder.waitCaughtUp(devnet.caughtUp, timeoutMs);
  const status = await ponder.status();
  const want = new Map(Object.values(status).map((s) => [s.id, s.block.number]));
  await pollUntil(
    "the risk book to reach Ponder's indexed blocks",
    async () => {
      const d = await gql("{ asOf { chains { chainId blockNumber } } }");
      return d.asOf.chains.every((c: any) => Number(c.blockNumber) >= (want.get(c.chainId) ?? 0));
    },
    timeoutMs,
  );
}

const q = (name: string) => `"${schema}"."${name}"`;

/** The account's state straight from the store's tables (cash > 0 is quote collateral, < 0 quote debt). */
async function accountStateFromStore(address: Hex): Promise<AccountState> {
  const [coll, debt, cash, pos] = await Promise.all([
    pool.query(`SELECT chain_id, asset, decimals, amount_raw FROM ${q("collateral")} WHERE account = $1 AND asset IS NOT NULL`, [address]),
    pool.query(`SELECT chain_id, asset, decimals, amount_raw FROM ${q("debt")} WHERE account = $1 AND asset IS NOT NULL`, [address]),
    pool.query(`SELECT chain_id, asset, decimals, amount_raw FROM ${q("cash")} WHERE account = $1 AND asset IS NOT NULL`, [address]),
    pool.query(`SELECT chain_id, market_id, asset, size_raw, entry_price_raw, funding_index_x_18 FROM ${q("position")} WHERE account = $1 AND asset IS NOT NULL`, [address]),
  ]);
  const state: AccountState = { address, collateral: [], debt: [], positions: [] };
  const item = (r: any, amountRaw: bigint) => ({ chainId: Number(r.chain_id), asset: String(r.asset), decimals: Number(r.decimals), amountRaw });
  for (const r of coll.rows) if (BigInt(r.amount_raw) > 0n) state.collateral.push(item(r, BigInt(r.amount_raw)));
  for (const r of debt.rows) if (BigInt(r.amount_raw) > 0n) state.debt.push(item(r, BigInt(r.amount_raw)));
  for (const r of cash.rows) {
    const v = BigInt(r.amount_raw);
    if (v > 0n) state.collateral.push(item(r, v));
    if (v < 0n) state.debt.push(item(r, -v));
  }
  for (const r of pos.rows) {
    if (BigInt(r.size_raw) === 0n) continue;
    state.positions.push({
      chainId: Number(r.chain_id),
      marketId: Number(r.market_id),
      asset: String(r.asset),
      sizeRaw: BigInt(r.size_raw),
      entryPriceRaw: BigInt(r.entry_price_raw),
      priceDecimals: 8,
      fundingIndexX18: BigInt(r.funding_index_x_18),
    });
  }
  return state;
}

/** The risk core on the store's rows at `now`, with volatility estimated for `volatilityAsOf`. */
async function referenceRisk(address: Hex, now: number, volatilityAsOf: number | null) {
  const [prices, checkpoints, markets, rounds] = await Promise.all([
    pool.query(`SELECT chain_id, asset, decimals, answer_raw, updated_at FROM ${q("latest_price")}`),
    pool.query(`SELECT chain_id, latest_checkpoint FROM ${q("_ponder_checkpoint")}`),
    pool.query(`SELECT chain_id, market_id, cumulative_funding_x_18 FROM ${q("market")}`),
    pool.query(`SELECT chain_id, asset, decimals, answer_raw, updated_at FROM ${q("price_round")} WHERE asset IS NOT NULL AND decimals IS NOT NULL ORDER BY updated_at, chain_id, round_id`),
  ]);
  const series: Record<string, PricePoint[]> = {};
  const volNow = volatilityAsOf ?? now;
  for (const r of rounds.rows) {
    if (Number(r.updated_at) > volNow || BigInt(r.answer_raw) <= 0n || !riskConfig.chains[Number(r.chain_id)]) continue;
    (series[r.asset] ??= []).push({ time: Number(r.updated_at), priceRaw: BigInt(r.answer_raw), decimals: Number(r.decimals) });
  }
  const floors = Object.fromEntries(Object.entries(riskConfig.assets).map(([s, a]) => [s, Number(a.volFloorAnnual)]));
  const volatility = estimateVolatility(series, riskConfig.params, floors, volNow);
  const fundingIndexX18: Record<string, bigint> = {};
  for (const m of markets.rows) {
    const key = `${m.chain_id}:${m.market_id}`;
    if (riskConfig.markets[key]) fundingIndexX18[key] = BigInt(m.cumulative_funding_x_18);
  }
  const env = prepareEnvironment(riskConfig, {
    now,
    observations: prices.rows
      .filter((p) => riskConfig.chains[Number(p.chain_id)] && riskConfig.assets[p.asset])
      .map((p) => ({ chainId: Number(p.chain_id), asset: String(p.asset), answerRaw: BigInt(p.answer_raw), decimals: Number(p.decimals), updatedAt: Number(p.updated_at) }))
      .sort((a, b) => a.chainId - b.chainId || (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0)),
    chains: checkpoints.rows
      .map((c) => {
        const cp = String(c.latest_checkpoint);
        return { chainId: Number(c.chain_id), blockTimestamp: Number(cp.slice(0, 10)), blockNumber: BigInt(cp.slice(26, 42)) };
      })
      .filter((c) => riskConfig.chains[c.chainId])
      .sort((a, b) => a.chainId - b.chainId),
    volatility,
    fundingIndexX18,
  });
  return evaluateAccount(await accountStateFromStore(address), env);
}

const ACCOUNT_FIELDS = `address tier healthFactor maintenanceHealthUsd initialHealthUsd equityUsd collateralValueUsd debtValueUsd
  chainIds chains { chainId collateral { asset amountRaw valueUsd haircut } debt { asset amountRaw valueUsd haircut } positions { marketId size unrealizedPnlUsd requirementUsd } }
  asOf { now chains { chainId blockNumber } }`;

beforeAll(async () => {
  const pgServer = cleanup.add(await startPostgres(), (p) => p.stop(), "postgres");
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  riskConfig = toRiskConfig(loadConfig({ env: { XMARGIN_CONFIG: devnet.configPath }, readFile: (p) => readFileSync(p, "utf8") }));
  databaseUrl = await pgServer.createDatabase("api_e2e");
  schema = uniqueSchema("api_e2e");
  pool = cleanup.add(new pg.Pool({ connectionString: databaseUrl, max: 4 }), (p) => p.end(), "pg pool");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 60, seed: 5 });
  await sim.run({ steps: 25 });
  ponder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), databaseUrl, log: (line) => void ponderLogs.push(line) }),
    (p) => p.stop(),
    "ponder",
  );
  await waitBookCaughtUp(180_000);
});

afterAll(async () => {
  const errors = await cleanup.run();
  if (errors.length > 0) console.warn("cleanup:", errors);
});

describe("risk API over HTTP against the devnet and a real Ponder process", () => {
  test("default: the risk API runs in the serving worker, on the public port, Ponder's routes beside it", async () => {
    expect(ponderLogs.filter((l) => l.includes("[xmargin] risk API listening"))).toEqual([
      `[xmargin] risk API listening on ${ponder.url} (serving worker, heap cap 768 MB)`,
    ]);
    // Ponder's own routes answer on the same URL (forwarded to the indexing thread).
    const status = (await (await fetch(`${ponder.url}/status`)).json()) as Record<string, { id: number }>;
    expect(Object.values(status).map((s) => s.id).sort()).toEqual(devnet.chains.map((c) => c.chainId).sort());
    const metrics = await (await fetch(`${ponder.url}/metrics`)).text();
    expect(metrics).toContain("ponder_indexing_completed_events");
    expect(metrics).toContain("xmargin_");
  });

  test("default: an account's health across three chains equals the risk core on the store's rows", async () => {
    // An account with items on every chain.
    const rows = await pool.query(
      `SELECT account FROM (SELECT account, chain_id FROM ${q("collateral")} WHERE amount_raw > 0 UNION SELECT account, chain_id FROM ${q("debt")} WHERE amount_raw > 0
        UNION SELECT account, chain_id FROM ${q("position")} WHERE size_raw <> 0) t GROUP BY account HAVING COUNT(DISTINCT chain_id) = 3 ORDER BY account LIMIT 3`,
    );
    expect(rows.rows.length, "accounts on all three chains").toBeGreaterThan(0);
    for (const { account } of rows.rows) {
      const d = await gql(`query($a: String!) { account(address: $a) { ${ACCOUNT_FIELDS} } system { volatilityAsOf } }`, { a: account });
      const api = d.account;
      expect(api.chainIds).toHaveLength(3);
      const ref = await referenceRisk(account as Hex, api.asOf.now, d.system.volatilityAsOf);
      expect(api.tier).toBe(ref.tier);
      expect(api.healthFactor).toBe(ref.healthFactor === null ? null : serializeDecimal(ref.healthFactor));
      expect(api.maintenanceHealthUsd).toBe(serializeDecimal(ref.maintenanceHealthUsd));
      expect(api.initialHealthUsd).toBe(serializeDecimal(ref.initialHealthUsd));
      expect(api.equityUsd).toBe(serializeDecimal(ref.equityUsd));
      expect(api.collateralValueUsd).toBe(serializeDecimal(ref.collateralValueUsd));
      expect(api.debtValueUsd).toBe(serializeDecimal(ref.debtValueUsd));
      const apiItems = api.chains.flatMap((c: any) => [...c.collateral, ...c.debt].map((i: any) => `${c.chainId}:${i.asset}:${i.amountRaw}:${i.valueUsd}:${i.haircut}`)).sort();
      const refItems = ref.items.map((i) => `${i.chainId}:${i.asset}:${i.amountRaw}:${serializeDecimal(i.valueUsd)}:${serializeDecimal(i.haircutMaintenance)}`).sort();
      expect(apiItems).toEqual(refItems);
    }
  });

  test("behavior: a `ponder serve` replica runs its own book and answers the same numbers", async () => {
    const port = await freePort();
    const ponderPort = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js"), "serve", "--schema", schema, "--port", String(ponderPort), "--hostname", "127.0.0.1"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, XMARGIN_CONFIG: devnet.configPath, PONDER_TELEMETRY_DISABLED: "true", XMARGIN_API_PORT: String(port), XMARGIN_API_STRICT_PORT: "true" },
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    cleanup.defer(async () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }, "ponder serve");
    const replica = `http://127.0.0.1:${port}`;
    const query = `{ system { collateralUsd debtUsd deficiencyUsd accountsPerTier { safe marginCall liquidatable insolvent } } accounts(first: 5, orderBy: ADDRESS_ASC) { nodes { address tier equityUsd } totalCount } }`;
    const answer = async (base: string) => {
      const r = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
      const body = (await r.json()) as any;
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const main = await answer(ponder.url);
    // The replica's book loads on its own; poll until it answers (NOT_READY before that).
    const fromReplica = await pollUntil("the replica's risk book", () => answer(replica), 90_000, 250);
    expect(fromReplica.accounts.totalCount).toBeGreaterThan(0);
    expect(fromReplica.accounts).toEqual(main.accounts);
    expect(fromReplica.system.accountsPerTier).toEqual(main.system.accountsPerTier);
    expect(fromReplica.system.collateralUsd).toBe(main.system.collateralUsd);
  });

  test("behavior: time travel returns the health before a crash; SSE clients get the endangered push", async () => {
    // Pick the threshold just above the current least-healthy accounts, so a crash pushes some in.
    const before = await gql(`{ accounts(first: 500, orderBy: HEALTH_FACTOR_ASC, where: { healthFactorLt: "1000" }) { nodes { address tier healthFactor equityUsd } } asOf { now chains { timestamp } } }`);
    const withDebt = before.accounts.nodes.filter((n: any) => n.healthFactor !== null && n.tier === "SAFE");
    expect(withDebt.length).toBeGreaterThan(3);
    const threshold = Number(withDebt[0].healthFactor) * 0.95 > 1 ? (Number(withDebt[0].healthFactor) * 0.95).toFixed(4) : "1.0";

    // Clients: graphql-sse (distinct connections) on endangeredAccounts, plain SSE on one account.
    const client = createClient({ url: `${ponder.url}/graphql`, singleConnection: false, retryAttempts: 0 });
    cleanup.defer(() => client.dispose(), "sse client");
    const events: any[] = [];
    let sseError: unknown = null;
    const unsubscribe = client.subscribe(
      { query: `subscription($t: Decimal) { endangeredAccounts(maxHealthFactor: $t) { maxHealthFactor entered { address healthFactor tier } left } }`, variables: { t: threshold } },
      { next: (v) => void events.push(v), error: (e) => void (sseError = e), complete: () => undefined },
    );
    cleanup.defer(() => unsubscribe(), "sse subscription");
    const target = withDebt[0].address as string;
    const plain = await fetch(`${ponder.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { accountHealth(address: "${target}") { tier equityUsd healthFactor } }` }),
    });
    const plainSse = readSse(plain);
    cleanup.defer(() => plainSse.close(), "plain sse");
    const initial = JSON.parse((await plainSse.next(10_000)).data).data.accountHealth;
    const exactBefore = (await gql(`query($a: String!) { account(address: $a) { tier equityUsd } }`, { a: target })).account;
    expect(exactBefore.equityUsd).toBe(initial.equityUsd);
    await pollUntil("the first endangered event", async () => events.length > 0, 10_000, 50);
    const initialSet = new Set<string>(events[0].data.endangeredAccounts.entered.map((e: any) => e.address));
    expect(initialSet.has(target)).toBe(false);

    // A moment strictly before the crash's blocks.
    const tBefore = Math.max(...before.asOf.chains.map((c: any) => c.timestamp));
    await pollUntil("a new second on the wall clock", async () => Math.floor(Date.now() / 1000) > tBefore + 1, 5000, 50);
    await sim.crash({ asset: "all", pct: 0.4 });
    await waitBookCaughtUp(60_000);

    // Pushed: the crash moved accounts below the threshold.
    const pushed = await pollUntil(
      "an endangered push with entered accounts",
      async () => events.slice(1).find((e) => e.data?.endangeredAccounts?.entered?.length > 0),
      30_000,
      50,
    );
    expect(sseError).toBeNull();
    for (const e of pushed.data.endangeredAccounts.entered) expect(Number(e.healthFactor)).toBeLessThan(Number(threshold));

    // The plain SSE client saw its account's health fall.
    let latest = initial;
    await pollUntil(
      "an accountHealth push after the crash",
      async () => {
        const ev = await plainSse.next(1000).catch(() => null);
        if (ev) latest = JSON.parse(ev.data).data.accountHealth;
        return Number(latest.equityUsd) < Number(initial.equityUsd);
      },
      30_000,
      0,
    );

    // Time travel: before the crash, the target's equity and tier were what the API said then.
    const now = await gql(`query($a: String!) { now: account(address: $a) { tier equityUsd } past: account(address: $a, at: ${tBefore}) { tier equityUsd asOf { now } } }`, { a: target });
    expect(now.past).toEqual({ tier: exactBefore.tier, equityUsd: exactBefore.equityUsd, asOf: { now: tBefore } });
    expect(Number(now.now.equityUsd)).toBeLessThan(Number(now.past.equityUsd));
  });
});
