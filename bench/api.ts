/**
 * API benchmark (`npm run bench:api`): the risk API inside a real Ponder process over Postgres
 * holding 100k accounts, measured with autocannon beside Ponder's own endpoints on the same server,
 * then push latency (price tx mined → SSE push received).
 *
 * How the 100k accounts get into the store: Ponder indexes a small devnet first (so every table,
 * checkpoint and price exists), is stopped, generated account rows are inserted straight into the
 * store tables (collateral, debt, position, account; triggers off for that session so Ponder's
 * reorg bookkeeping ignores them), and Ponder is started again on the same schema: its API process
 * loads the risk book over all of them. Rows are deterministic (seeded PRNG).
 *
 * Results: bench/results/api.json and bench/results/api.md (with BENCH_API_BROWSERS=5, the dashboard
 * open in 5 headless Chromium pages during the runs: api-5browsers.json/.md). The load generator runs on the same
 * two cores as the server (and whatever else runs on the machine): numbers are for this machine.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { encodeFunctionData, type Address, type Hex } from "viem";
import { priceFeedAbi } from "../abis/index.js";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { rng } from "../risk/testing.js";
import { pollUntil, rpc } from "../devnet/rpc.js";
import { readSse } from "../api/testing/sse.js";
import { withDevnet, type DevnetFixture } from "../test/harness/devnet.js";
import { freePort } from "../test/harness/ports.js";
import { startPostgres, type TestPostgres } from "../test/harness/postgres.js";
import { apiGraphql } from "../test/harness/storeGraphql.js";
import { chromium, type Browser } from "playwright-core";

const ROOT = path.resolve(import.meta.dirname, "..");
// autocannon ships no types; its result shape is used below (requests, latency, non2xx, errors, timeouts).
const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<any>;
const ACCOUNTS = Number(process.env.BENCH_API_ACCOUNTS ?? 100_000);
const DURATION_S = Number(process.env.BENCH_API_DURATION ?? 10);
const PUSH_TICKS = Number(process.env.BENCH_API_TICKS ?? 40);
const CONNECTIONS = [10, 100];
/** Dashboards open during the load and push runs (headless Chromium, each page live over SSE). */
const BROWSERS = Number(process.env.BENCH_API_BROWSERS ?? 0);
const CHROMIUM = process.env.BENCH_API_CHROMIUM ?? "/usr/bin/chromium";
/** Distinct prebuilt requests per load run (each with its own random address where one is used). */
const LOAD_VARIANTS = 20_000; // more than one 10 s run sends, and more than the report cache (10k) holds

// ---------------------------------------------------------------- helpers


function benchAddress(i: number): Hex {
  return `0xbe0c${(i + 1).toString(16).padStart(36, "0")}` as Hex;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

// ---------------------------------------------------------------- store generation

interface Generated {
  addresses: Hex[];
  rows: number;
}

/**
 * Per account: ETH collateral on l1 (0.5–5.5 ETH), BTC collateral on l2a for half of them, USDC
 * debt on l2b sized for a target health factor (1% below 1, 10% in 1–1.1, the rest 1.1–4), and an
 * ETH perp on l1 for a third of them.
 */
async function insertAccounts(pool: pg.Pool, schema: string, devnet: DevnetFixture, n: number): Promise<Generated> {
  const rand = rng(42);
  const [l1, l2a, l2b] = devnet.deployment.chains;
  const q = (t: string) => `"${schema}"."${t}"`;
  const ethPrice = 3000;
  const btcPrice = 60_000;
  const addresses: Hex[] = [];
  const acc: unknown[][] = [[], [], [], [], []];
  const coll: unknown[][] = [[], [], [], [], [], [], [], [], []];
  const debt: unknown[][] = [[], [], [], [], [], [], [], [], []];
  const pos: unknown[][] = [[], [], [], [], [], [], [], [], [], [], []];
  let rows = 0;
  const pushBalance = (cols: unknown[][], chainId: number, account: Hex, token: Address, asset: string, decimals: number, amount: bigint) => {
    cols[0]!.push(chainId);
    cols[1]!.push(account);
    cols[2]!.push(token.toLowerCase());
    cols[3]!.push(asset);
    cols[4]!.push(decimals);
    cols[5]!.push(amount.toString());
    cols[6]!.push(null);
    cols[7]!.push("1");
    cols[8]!.push(String(Math.floor(Date.now() / 1000)));
    rows++;
  };
  const flush = async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL session_replication_role = replica");
      const balanceCols = "chain_id, account, token, asset, decimals, amount_raw, flag, updated_block, updated_timestamp";
      const balanceTypes = "$1::int[], $2::text[], $3::text[], $4::text[], $5::int[], $6::numeric[], $7::text[], $8::numeric[], $9::numeric[]";
      if (coll[0]!.length) await client.query(`INSERT INTO ${q("collateral")} (${balanceCols}) SELECT * FROM unnest(${balanceTypes}) ON CONFLICT DO NOTHING`, coll);
      if (debt[0]!.length) await client.query(`INSERT INTO ${q("debt")} (${balanceCols}) SELECT * FROM unnest(${balanceTypes}) ON CONFLICT DO NOTHING`, debt);
      if (pos[0]!.length) {
        await client.query(
          `INSERT INTO ${q("position")} (chain_id, account, market_id, asset, size_raw, entry_price_raw, funding_index_x_18, realized_pnl_raw, flag, updated_block, updated_timestamp)
           SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::text[], $10::numeric[], $11::numeric[]) ON CONFLICT DO NOTHING`,
          pos,
        );
      }
      if (acc[0]!.length) {
        await client.query(
          `INSERT INTO ${q("account")} (chain_id, address, first_seen_block, last_activity_block, last_activity_timestamp)
           SELECT * FROM unnest($1::int[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[]) ON CONFLICT DO NOTHING`,
          acc,
        );
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    for (const cols of [acc, coll, debt, pos]) for (const c of cols) c.length = 0;
  };

  for (let i = 0; i < n; i++) {
    const a = benchAddress(i);
    addresses.push(a);
    const eth = 0.5 + rand() * 5;
    const btc = rand() < 0.5 ? rand() * 0.2 : 0;
    const u = rand();
    const targetHf = u < 0.01 ? 0.7 + rand() * 0.3 : u < 0.11 ? 1 + rand() * 0.1 : 1.1 + rand() * 2.9;
    const value = eth * ethPrice + btc * btcPrice;
    const debtUsd = (value * 0.85) / targetHf;
    pushBalance(coll, l1!.chainId, a, l1!.tokens.ETH.address, "ETH", 18, BigInt(Math.round(eth * 1e6)) * 10n ** 12n);
    if (btc > 0) pushBalance(coll, l2a!.chainId, a, l2a!.tokens.BTC.address, "BTC", 8, BigInt(Math.round(btc * 1e8)));
    pushBalance(debt, l2b!.chainId, a, l2b!.tokens.USDC.address, "USDC", 6, BigInt(Math.round(debtUsd * 1e6)));
    if (rand() < 1 / 3) {
      const size = (rand() - 0.5) * 2; // ±1 ETH
      pos[0]!.push(l1!.chainId);
      pos[1]!.push(a);
      pos[2]!.push(1);
      pos[3]!.push("ETH");
      pos[4]!.push(BigInt(Math.round(size * 1e6)) * 10n ** 12n + "");
      pos[5]!.push(String(ethPrice * 1e8));
      pos[6]!.push("0");
      pos[7]!.push("0");
      pos[8]!.push(null);
      pos[9]!.push("1");
      pos[10]!.push(String(Math.floor(Date.now() / 1000)));
      rows++;
    }
    for (const chain of btc > 0 ? [l1!, l2a!, l2b!] : [l1!, l2b!]) {
      acc[0]!.push(chain.chainId);
      acc[1]!.push(a);
      acc[2]!.push("1");
      acc[3]!.push("1");
      acc[4]!.push(String(Math.floor(Date.now() / 1000)));
      rows++;
    }
    if ((i + 1) % 20_000 === 0) await flush();
  }
  await flush();
  return { addresses, rows };
}

// ---------------------------------------------------------------- load

interface LoadResult {
  target: string;
  connections: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function load(name: string, url: string, connections: number, request: () => { method: "GET" | "POST"; path: string; body?: string }): Promise<LoadResult> {
  // A fixed list of prebuilt requests (random addresses drawn up front): with a per-request
  // setupRequest callback the load generator itself tops out near 1,500 POST req/s on this machine
  // and would be what gets measured. Each connection cycles its own slice of the list: autocannon
  // prebuilds a connection's whole list when it creates it, and 100 connections each building all
  // 20,000 requests stalled its event loop long enough for ~60–75 requests per run to hit its 10 s
  // timeout (on /health as on everything else).
  const requests = Array.from({ length: LOAD_VARIANTS }, () => {
    const r = request();
    return { method: r.method, path: r.path, headers: { "content-type": "application/json" }, ...(r.body !== undefined ? { body: r.body } : {}) };
  });
  const perConnection = Math.max(1, Math.floor(requests.length / connections));
  const sliceFor = (i: number) => requests.slice(i * perConnection, (i + 1) * perConnection);
  let nextClient = 0;
  const result = await autocannon({
    url: `${url}${requests[0]!.path}`,
    connections,
    duration: DURATION_S,
    requests: sliceFor(0),
    setupClient(client: { setRequests(list: unknown[]): void }) {
      client.setRequests(sliceFor(nextClient++ % connections));
    },
  });
  const out: LoadResult = {
    target: name,
    connections,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  console.log(`  ${name.padEnd(34)} c=${String(connections).padStart(3)}  ${String(out.requestsPerSecond).padStart(6)} req/s  p50 ${out.latencyP50Ms} ms  p99 ${out.latencyP99Ms} ms  non2xx ${out.non2xx} errors ${out.errors}`);
  return out;
}

// ---------------------------------------------------------------- push latency

interface PushResult {
  ticks: number;
  received: number;
  missed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samplesMs: number[];
  bookUpdateMs: { p50: number; max: number };
}

/**
 * Each tick sets ETH's answer on all three chains (so the cross-chain median moves) and waits for
 * the accountHealth push of an ETH holder. Latency = push received − the moment the second of the
 * three price transactions was mined (the one that moves the median); with automine a transaction
 * is mined when eth_sendTransaction returns.
 */
async function pushLatency(url: string, devnet: DevnetFixture, holder: Hex): Promise<PushResult> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query: `subscription { accountHealth(address: "${holder}") { equityUsd } }` }),
  });
  const sse = readSse(response);
  const samples: number[] = [];
  const updateMs: number[] = [];
  let missed = 0;
  try {
    let last = JSON.parse((await sse.next(30_000)).data).data.accountHealth.equityUsd as string;
    for (let i = 0; i < PUSH_TICKS; i++) {
      const price = BigInt(Math.round((3000 + (i % 2 === 0 ? 15 : -15) + i * 0.01) * 1e8));
      const data = encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [price] });
      const mined = await Promise.all(
        devnet.deployment.chains.map(async (c) => {
          await rpc(c.rpcUrl, "eth_sendTransaction", [{ from: c.deployer, to: c.feeds.ETH.address, data, gas: "0x30000" }]);
          return performance.now();
        }),
      );
      mined.sort((a, b) => a - b);
      const t0 = mined[1]!;
      const deadline = performance.now() + 20_000;
      for (;;) {
        const left = deadline - performance.now();
        const event = left > 0 ? await sse.next(left).catch(() => null) : null;
        if (event === null) {
          missed++;
          console.log(`    tick ${i}: no push within 20 s`);
          break;
        }
        const equity = JSON.parse(event.data).data.accountHealth.equityUsd as string;
        if (equity !== last) {
          samples.push(performance.now() - t0);
          last = equity;
          break;
        }
      }
      const stats = await apiGraphql(url, "{ bookStats { lastUpdateMs } }");
      updateMs.push(Number(stats.bookStats.lastUpdateMs));
      await new Promise((r) => setTimeout(r, 300)); // pacing between ticks, not a wait for indexing
    }
  } finally {
    await sse.close();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const ups = [...updateMs].sort((a, b) => a - b);
  return {
    ticks: PUSH_TICKS,
    received: samples.length,
    missed,
    p50Ms: Math.round(quantile(sorted, 0.5)),
    p99Ms: Math.round(quantile(sorted, 0.99)),
    maxMs: Math.round(sorted[sorted.length - 1] ?? NaN),
    samplesMs: samples.map((s) => Math.round(s)),
    bookUpdateMs: { p50: Math.round(quantile(ups, 0.5)), max: Math.round(ups[ups.length - 1] ?? NaN) },
  };
}

// ---------------------------------------------------------------- chain upkeep

const START_PRICES_USD: Record<string, number> = { USDC: 1, BTC: 60_000, ETH: 3000, ARB: 1 };

/** Every feed on every chain answers its start price (the deployment alone emits no AnswerUpdated). */
async function setStartPrices(devnet: DevnetFixture): Promise<void> {
  // One sender per chain: its transactions go one after another (parallel sends from one account
  // race for the nonce); the chains proceed in parallel.
  await Promise.all(
    devnet.deployment.chains.map(async (c) => {
      for (const [asset, feed] of Object.entries(c.feeds)) {
        await rpc(c.rpcUrl, "eth_sendTransaction", [
          {
            from: c.deployer,
            to: feed.address,
            data: encodeFunctionData({ abi: priceFeedAbi, functionName: "updateAnswer", args: [BigInt(Math.round(START_PRICES_USD[asset]! * 1e8))] }),
            gas: "0x30000",
          },
        ]);
      }
    }),
  );
}

/**
 * Automine chains make no block while idle, so their data lag would pass maxDataLagSeconds (120 s)
 * during the run and the book would (rightly) zero their collateral. An empty block every 2 s per
 * chain keeps every chain fresh; price transactions are still mined as they are sent.
 */
function heartbeat(devnet: DevnetFixture): () => void {
  const timer = setInterval(() => {
    for (const c of devnet.chains) void rpc(c.rpcUrl, "evm_mine", []).catch(() => undefined);
  }, 2000);
  return () => clearInterval(timer);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  let pgServer: TestPostgres | undefined;
  let devnet: DevnetFixture | undefined;
  let ponder: PonderProcess | undefined;
  let pool: pg.Pool | undefined;
  let stopHeartbeat: (() => void) | undefined;
  let browser: Browser | undefined;
  const teardown = async () => {
    stopHeartbeat?.();
    await browser?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await ponder?.stop().catch(() => undefined);
    await devnet?.stop().catch(() => undefined);
    await pgServer?.stop().catch(() => undefined);
  };
  // Ctrl-C or a timeout must not orphan Ponder, the chains or Postgres.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping what the benchmark started`);
      void teardown().finally(() => process.exit(130));
    });
  }
  try {
    console.log(`bench:api — ${ACCOUNTS} accounts, ${DURATION_S} s per load run`);
    pgServer = await startPostgres();
    devnet = await withDevnet({ pollingIntervalMs: 100 });
    await setStartPrices(devnet);
    stopHeartbeat = heartbeat(devnet);
    const databaseUrl = await pgServer.createDatabase("bench_api");
    const schema = `bench_api_${Date.now().toString(36)}`;
    const port = await freePort();
    const logs: string[] = [];
    const startOpts = { cwd: ROOT, configPath: devnet.configPath, schema, port, databaseUrl, env: { NODE_ENV: "production", ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}) }, log: (l: string) => void logs.push(l), startTimeoutMs: 180_000 };

    console.log("1/5 first Ponder run: index the devnet, create the tables");
    ponder = await startPonder(startOpts);
    await ponder.waitCaughtUp(devnet.caughtUp, 180_000);
    await ponder.stop();
    ponder = undefined;

    console.log(`2/5 insert ${ACCOUNTS} generated accounts into the store tables`);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const t0 = performance.now();
    const generated = await insertAccounts(pool, schema, devnet, ACCOUNTS);
    const insertMs = performance.now() - t0;
    console.log(`    ${generated.rows} rows in ${(insertMs / 1000).toFixed(1)} s`);

    console.log("3/5 second Ponder run on the same schema: the API's risk book loads every account");
    const bookStart = performance.now();
    ponder = await startPonder({ ...startOpts, port: await freePort() });
    const url = ponder.url;
    await ponder.waitCaughtUp(devnet.caughtUp, 300_000);
    const stats = await pollUntil(
      async () => {
        const d = await apiGraphql(url, "{ bookStats { accounts lastUpdateMs } }");
        return d.bookStats.accounts >= ACCOUNTS ? d.bookStats : null;
      },
      600_000,
      "the risk book to load the generated accounts",
      1000,
    );
    const bookLoadS = (performance.now() - bookStart) / 1000;
    console.log(`    book holds ${stats.accounts} accounts (${bookLoadS.toFixed(1)} s after the restart)`);
    const endangered = await apiGraphql(url, "{ endangeredAccounts(first: 100) { nodes { address } } system { accountsPerTier { safe marginCall liquidatable insolvent } } }");
    const sample = await apiGraphql(url, `{ account(address: "${generated.addresses[0]}") { tier healthFactor collateralValueUsd debtValueUsd degraded degradedReasons { message } } }`);
    console.log(`    tiers ${JSON.stringify(endangered.system.accountsPerTier)}; endangered (HF < 1.1) listed: ${endangered.endangeredAccounts.nodes.length}; sample ${JSON.stringify(sample.account)}`);
    if (endangered.endangeredAccounts.nodes.length < 100) {
      throw new Error(`Only ${endangered.endangeredAccounts.nodes.length} endangered accounts: the generated book should have ~11% below HF 1.1; the endangeredAccounts measurement would be meaningless.`);
    }

    let dashboardUpdates: number[] = [];
    if (BROWSERS > 0) {
      console.log(`    opening the dashboard in ${BROWSERS} headless Chromium pages (${CHROMIUM})`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
      const pages = await Promise.all(Array.from({ length: BROWSERS }, async () => (await browser!.newContext()).newPage()));
      await Promise.all(pages.map((p) => p.goto(`${url}/`)));
      await Promise.all(pages.map((p) => p.waitForFunction(() => ((window as unknown as { __xmargin?: { systemUpdates: number } }).__xmargin?.systemUpdates ?? 0) > 0, undefined, { timeout: 120_000 })));
      dashboardUpdates = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { __xmargin: { systemUpdates: number } }).__xmargin.systemUpdates)));
      console.log(`    every page shows the system live (updates so far ${dashboardUpdates.join(", ")})`);
    }

    console.log(`4/5 load (autocannon, same server${BROWSERS > 0 ? `, ${BROWSERS} dashboards open` : ""})`);
    const [l1] = devnet.deployment.chains;
    const rand = rng(7);
    const pick = () => generated.addresses[Math.floor(rand() * generated.addresses.length)]!;
    const accountQuery = `query($a: String!) { account(address: $a) { tier healthFactor equityUsd maintenanceHealthUsd
      chains { chainId collateral { asset amount valueUsd haircut latency { total } } debt { asset amount valueUsd } } liquidationPrices { asset priceUsd } } }`;
    const endangeredQuery = `{ endangeredAccounts(first: 100) { nodes { address tier healthFactor equityUsd } } }`;
    const endangeredSeizableQuery = `{ endangeredAccounts(first: 100) { nodes { address tier healthFactor equityUsd seizable { chainId asset valueUsd latencySeconds } } } }`;
    const storeQuery = `query($c: Float!, $a: String!, $t: String!) { collateral(chainId: $c, account: $a, token: $t) { amountRaw } }`;
    const probeStore = await fetch(`${url}/store/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: storeQuery, variables: { c: l1!.chainId, a: generated.addresses[0], t: l1!.tokens.ETH.address.toLowerCase() } }),
    });
    const probeBody = (await probeStore.json()) as any;
    if (!probeBody.data?.collateral?.amountRaw) throw new Error(`The store query does not answer a row: ${JSON.stringify(probeBody).slice(0, 500)}`);

    // Warm-up (discarded): the book's first frame refreshes and volatility estimate after the restart.
    await load("warm-up account(address)", url, 10, () => ({ method: "POST", path: "/graphql", body: JSON.stringify({ query: accountQuery, variables: { a: pick() } }) }));
    const runs: LoadResult[] = [];
    for (const c of CONNECTIONS) {
      runs.push(await load("account(address)", url, c, () => ({ method: "POST", path: "/graphql", body: JSON.stringify({ query: accountQuery, variables: { a: pick() } }) })));
      runs.push(await load("endangeredAccounts(first: 100)", url, c, () => ({ method: "POST", path: "/graphql", body: JSON.stringify({ query: endangeredQuery }) })));
      runs.push(await load("endangeredAccounts(first: 100)+seizable", url, c, () => ({ method: "POST", path: "/graphql", body: JSON.stringify({ query: endangeredSeizableQuery }) })));
      runs.push(
        await load("/store/graphql row by primary key", url, c, () => ({
          method: "POST",
          path: "/store/graphql",
          body: JSON.stringify({ query: storeQuery, variables: { c: l1!.chainId, a: pick(), t: l1!.tokens.ETH.address.toLowerCase() } }),
        })),
      );
      runs.push(await load("/health", url, c, () => ({ method: "GET", path: "/health" })));
    }

    console.log("5/5 push latency: price tx mined → SSE push (Ponder polling 100 ms, the book on each commit)");
    const push = await pushLatency(url, devnet, generated.addresses[0]!);
    console.log(`    p50 ${push.p50Ms} ms, p99 ${push.p99Ms} ms over ${push.received}/${push.ticks} ticks; book update p50 ${push.bookUpdateMs.p50} ms`);

    const at = (t: string, c: number) => runs.find((r) => r.target === t && r.connections === c)!;
    const ratio10 = at("account(address)", 10).requestsPerSecond / at("/store/graphql row by primary key", 10).requestsPerSecond;
    const ratio100 = at("account(address)", 100).requestsPerSecond / at("/store/graphql row by primary key", 100).requestsPerSecond;
    const targets = {
      accountVsStoreThroughputAt10: { value: Number(ratio10.toFixed(2)), target: ">= 3", met: ratio10 >= 3 },
      accountVsStoreThroughputAt100: { value: Number(ratio100.toFixed(2)), target: ">= 3", met: ratio100 >= 3 },
      accountP99At10Ms: { value: at("account(address)", 10).latencyP99Ms, target: "<= 15", met: at("account(address)", 10).latencyP99Ms <= 15 },
      pushP50Ms: { value: push.p50Ms, target: "<= 250", met: push.p50Ms <= 250 },
      pushP99Ms: { value: push.p99Ms, target: "<= 150", met: push.p99Ms <= 150 },
    };
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg(), node: process.version },
      setup: {
        accounts: ACCOUNTS,
        storeRowsInserted: generated.rows,
        howAccountsGetInTheStore: "generated rows inserted straight into the Postgres store tables (collateral, debt, position, account) between two Ponder runs on the same schema",
        insertSeconds: Number((insertMs / 1000).toFixed(1)),
        bookLoadSecondsAfterRestart: Number(bookLoadS.toFixed(1)),
        database: "Postgres 15 (harness, fsync off)",
        ponderPollingIntervalMs: 100,
        bookFollows: "each committed checkpoint pushed from the indexing thread (its own poll 1000 ms as a fallback)",
        durationSecondsPerRun: DURATION_S,
        nodeEnv: "production",
        bookTiming: {
          XMARGIN_BOOK_POLL_MS: process.env.XMARGIN_BOOK_POLL_MS ?? "(book default)",
          XMARGIN_BOOK_STRESS_MS: process.env.XMARGIN_BOOK_STRESS_MS ?? "(book default)",
        },
        tiers: endangered.system.accountsPerTier,
        loadGenerator: "autocannon 8, in the bench process on the same machine",
        dashboardsOpen: BROWSERS,
      },
      load: runs,
      push,
      targets,
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
    };
    writeResults(result);
    console.log("targets:", JSON.stringify(targets));
  } finally {
    await teardown();
  }
}

function writeResults(result: any): void {
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  // a run with dashboards open is written beside the plain one (api-5browsers.md), not over it
  const name = result.setup.dashboardsOpen > 0 ? `api-${result.setup.dashboardsOpen}browsers` : "api";
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const rows = result.load
    .map((r: LoadResult) => `| ${r.target} | ${r.connections} | ${r.requestsPerSecond} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.non2xx} | ${r.errors + r.timeouts} |`)
    .join("\n");
  const t = result.targets;
  const mark = (x: { met: boolean }) => (x.met ? "met" : "**missed**");
  const md = `# API benchmark (bench/api.ts)

${result.date} — ${result.machine.cpus} cores (${result.machine.cpuModel}), ${result.machine.memoryGb} GB, Node ${result.machine.node}; load average at the end ${result.machine.loadAverage.map((x: number) => x.toFixed(1)).join(" / ")} (the machine is shared with other engineers' runs, and autocannon runs on the same cores as the server).

**Setup.** ${result.setup.accounts} accounts (${result.setup.storeRowsInserted} rows) — ${result.setup.howAccountsGetInTheStore}; inserted in ${result.setup.insertSeconds} s; the risk book held them ${result.setup.bookLoadSecondsAfterRestart} s after Ponder's restart. ${result.setup.database}; Ponder polling ${result.setup.ponderPollingIntervalMs} ms, the book follows ${result.setup.bookFollows}; book timing ${JSON.stringify(result.setup.bookTiming)}; NODE_ENV=production; ${result.setup.durationSecondsPerRun} s per run; ${result.setup.dashboardsOpen > 0 ? `**the dashboard open in ${result.setup.dashboardsOpen} headless Chromium pages** during the load and push runs (BENCH_API_BROWSERS=${result.setup.dashboardsOpen})` : "no dashboard open"}. Tiers: ${JSON.stringify(result.setup.tiers)}.

\`account(address)\` runs cycle through 20,000 prebuilt requests (each connection through its own slice), each request for a random one of the ${result.setup.accounts} addresses (more than a run sends and than the book's 10k report cache holds, so requests evaluate the account with decimal.js); \`/store/graphql\` reads one collateral row by primary key for a random address (Ponder's built-in GraphQL, same process).

| target | connections | req/s | p50 ms | p99 ms | non-2xx | errors |
|---|---|---|---|---|---|---|
${rows}

**Push latency** (price tx mined on the chains → \`accountHealth\` SSE push received; ${result.push.received}/${result.push.ticks} ticks, each moves ETH on all three chains, the second mined tx is t0): p50 **${result.push.p50Ms} ms**, p99 **${result.push.p99Ms} ms**, max ${result.push.maxMs} ms. Risk-book update (every ETH holder re-screened): p50 ${result.push.bookUpdateMs.p50} ms, max ${result.push.bookUpdateMs.max} ms.

| target | measured | goal | |
|---|---|---|---|
| account ÷ store row throughput, 10 connections | ${t.accountVsStoreThroughputAt10.value}× | ≥ 3× | ${mark(t.accountVsStoreThroughputAt10)} |
| account ÷ store row throughput, 100 connections | ${t.accountVsStoreThroughputAt100.value}× | ≥ 3× | ${mark(t.accountVsStoreThroughputAt100)} |
| account p99, 10 connections | ${t.accountP99At10Ms.value} ms | ≤ 15 ms | ${mark(t.accountP99At10Ms)} |
| push p50 | ${t.pushP50Ms.value} ms | ≤ 250 ms | ${mark(t.pushP50Ms)} |
| push p99 | ${t.pushP99Ms.value} ms | ≤ 150 ms | ${mark(t.pushP99Ms)} |
`;
  // Hand-written notes below the generated part (from "## Notes" on) are kept across runs.
  const file = path.join(dir, `${name}.md`);
  const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
  const notes = previous.indexOf("\n## Notes");
  writeFileSync(file, notes >= 0 ? `${md}${previous.slice(notes)}` : md);
}

await main();
