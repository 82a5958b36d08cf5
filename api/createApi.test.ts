/**
 * The risk API in process: yoga over a real risk book over plain rows (api/book/memoryReader.ts),
 * no socket. The world is three chains with four accounts (api/testing/fixture.ts).
 */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { serializeDecimal } from "./scalars.js";
import { createApi, mountApi, type XmarginApi } from "./createApi.js";
import { CHAINS, address, createWorld, standardScene, type World } from "./testing/fixture.js";
import { readSse } from "./testing/sse.js";

let world: World;
let api: XmarginApi;
let crashTime = 0;

async function gql(query: string, variables?: Record<string, unknown>, target: XmarginApi = api) {
  const response = await target.handle(
    new Request("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, ...body };
}

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  await world.book.ready;
  api = createApi({ book: world.book, production: true });
});

afterAll(async () => {
  api?.close();
  await world?.book.stop();
});

describe("account", () => {
  test("default: the full report equals the book's, as decimal strings", async () => {
    const r = await gql(`query($a: String!) { account(address: $a) {
      address tier healthFactor maintenanceHealthUsd initialHealthUsd equityUsd collateralValueUsd debtValueUsd degraded
      chains { chainId name collateral { asset amount valueUsd haircut latency { configured measuredLag total } } debt { asset amountRaw valueUsd } }
      items { kind chainId asset amountRaw }
      liquidationPrices { asset priceUsd } grossRequirementUsd portfolioRequirementUsd marginEfficiency
      asOf { now chains { chainId name blockNumber timestamp lagSeconds } } } }`, { a: address(2).toUpperCase().replace("0X", "0x") });
    expect(r.errors).toBeUndefined();
    const risk = world.book.account(address(2))!;
    const a = r.data.account;
    expect(a.address).toBe(address(2));
    expect(a.tier).toBe(risk.tier);
    expect(a.healthFactor).toBe(serializeDecimal(risk.healthFactor));
    expect(a.maintenanceHealthUsd).toBe(serializeDecimal(risk.maintenanceHealthUsd));
    expect(a.equityUsd).toBe("1000"); // 2 ETH × 2,000 − 3,000 USDC
    expect(a.chains.map((c: any) => c.name)).toEqual(["l1", "l2a", "l2b"]);
    const l1Eth = a.chains[0].collateral[0];
    expect(l1Eth).toMatchObject({ asset: "ETH", amount: "1", valueUsd: "2000", latency: { configured: 900, measuredLag: 5, total: 905 } }); // the lag (0 s) stepped up to one 5 s step
    expect(Number(l1Eth.haircut)).toBeGreaterThan(0);
    // The l2b item waits longer (1,085 s) than the l1 item (905 s): a larger haircut.
    expect(Number(a.chains[2].collateral[0].haircut)).toBeGreaterThan(Number(l1Eth.haircut));
    expect(a.chains[1].debt[0]).toMatchObject({ asset: "USDC", amountRaw: "3000000000" });
    expect(typeof a.healthFactor).toBe("string");
    expect(a.liquidationPrices.find((p: any) => p.asset === "ETH")).toBeTruthy();
    expect(a.asOf.chains).toHaveLength(3);
    expect(a.asOf.chains[0].blockNumber).toMatch(/^\d+$/);
  });

  test("behavior: no liabilities gives a null health factor; an unseen address gives null", async () => {
    const r = await gql(`{ a: account(address: "${address(4)}") { tier healthFactor } b: account(address: "${address(99)}") { tier } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.a).toEqual({ tier: "SAFE", healthFactor: null });
    expect(r.data.b).toBeNull();
  });
});

describe("accounts", () => {
  test("default: cursor pagination visits every account once, with totalCount", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: any = await gql(`query($after: String) { accounts(first: 1, after: $after) { nodes { address healthFactor } pageInfo { hasNextPage endCursor } totalCount } }`, { after });
      expect(r.errors).toBeUndefined();
      expect(r.data.accounts.totalCount).toBe(4);
      seen.push(...r.data.accounts.nodes.map((n: any) => n.address));
      if (!r.data.accounts.pageInfo.hasNextPage) break;
      after = r.data.accounts.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4].map(address).sort());
  });

  test("behavior: filters by chain and health factor", async () => {
    const r = await gql(`{ accounts(where: { chainId: ${CHAINS.l2b}, healthFactorLt: "1.2" }) { nodes { address } totalCount } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.accounts.nodes.map((n: any) => n.address)).toEqual([address(2)]);
  });
});

describe("endangeredAccounts", () => {
  test("default: most endangered first, with seizable collateral fastest chain first", async () => {
    const r = await gql(`{ endangeredAccounts(maxHealthFactor: "1.5", first: 10) { maxHealthFactor nodes { address healthFactor seizable { chainId asset amount latencySeconds } } } }`);
    expect(r.errors).toBeUndefined();
    const nodes = r.data.endangeredAccounts.nodes;
    expect(nodes.map((n: any) => n.address)).toEqual([address(2), address(3)]);
    expect(Number(nodes[0].healthFactor)).toBeLessThan(Number(nodes[1].healthFactor));
    expect(nodes[0].seizable).toEqual([
      { chainId: CHAINS.l1, asset: "ETH", amount: "1", latencySeconds: 905 },
      { chainId: CHAINS.l2b, asset: "ETH", amount: "1", latencySeconds: 1085 },
    ]);
  });
});

describe("system and stress", () => {
  test("default: totals, tiers and per-chain horizons", async () => {
    const r = await gql(`{ system { collateralUsd debtUsd deficiencyUsd action accountsPerTier { safe marginCall liquidatable insolvent }
      chains { chainId name horizonSeconds haircutLagSeconds haircutMultiplier liquidationLatencySeconds exposureUsd } marks { asset priceUsd divergentChains } oracleDivergence { asset } } }`);
    expect(r.errors).toBeUndefined();
    const s = r.data.system;
    expect(s.collateralUsd).toBe("85000"); // 10 + 2 ETH × 2,000 + 1 BTC × 60,000 + 1,000 USDC
    expect(s.debtUsd).toBe("48000");
    const tiers = s.accountsPerTier;
    expect(tiers.safe + tiers.marginCall + tiers.liquidatable + tiers.insolvent).toBe(4);
    // configured latency + the data lag stepped up to one 5 s step (risk.lagStepSeconds)
    expect(s.chains.map((c: any) => c.horizonSeconds)).toEqual([905, 1025, 1085]);
    expect(s.chains.map((c: any) => c.haircutLagSeconds)).toEqual([5, 5, 5]);
    // √(905 / 31,536,000) = 0.005357
    expect(s.chains[0].haircutMultiplier).toBe("0.005357");
    expect(s.marks.find((m: any) => m.asset === "ETH").priceUsd).toBe("2000");
    // Per-chain exposure at mark, no haircut: together, all collateral minus all debt.
    const exposures = s.chains.map((c: any) => c.exposureUsd as string);
    expect(exposures.every((e: string) => /^-?\d+(\.\d+)?$/.test(e))).toBe(true);
    expect(exposures.reduce((sum: number, e: string) => sum + Number(e), 0)).toBe(Number(s.collateralUsd) - Number(s.debtUsd));
    expect(s.oracleDivergence).toEqual([]);
  });

  test("behavior: a scenario with an unknown asset is BAD_SCENARIO naming the asset", async () => {
    const r = await gql(`{ stress(scenario: { shocks: [{ asset: "DOGE", pct: "-0.5" }] }) { deficiencyUsd } }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_SCENARIO");
    expect(r.errors?.[0]?.message).toContain("DOGE");
  });

  test("behavior: a valid scenario answers with its rounds", async () => {
    const r = await gql(`{ stress(scenario: { name: "eth-50", shocks: [{ asset: "ETH", pct: "-0.5" }], latencyMultiplier: "2" }) {
      name shocks { asset pct } latencyMultiplier deficiencyUsd liquidatedVolumeUsd rounds { round liquidatedAccounts deficiencyUsd } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.stress).toMatchObject({ name: "eth-50", shocks: [{ asset: "ETH", pct: "-0.5" }], latencyMultiplier: "2" });
    expect(r.data.stress.deficiencyUsd).toMatch(/^\d+(\.\d+)?$/);
  });
});

describe("liquidationCurve", () => {
  test("default: 13 points from 0 to −60%, each the stress engine's answer for that shock", async () => {
    const r = await gql(`{ liquidationCurve(asset: "ETH") { asset maxShockPct steps points { shockPct priceUsd deficiencyUsd liquidatedVolumeUsd liquidatedAccounts rounds } asOf { now } } }`);
    expect(r.errors).toBeUndefined();
    const c = r.data.liquidationCurve;
    expect(c).toMatchObject({ asset: "ETH", maxShockPct: "0.6", steps: 12 });
    expect(c.points.map((p: any) => p.shockPct)).toEqual(["0", "-0.05", "-0.1", "-0.15", "-0.2", "-0.25", "-0.3", "-0.35", "-0.4", "-0.45", "-0.5", "-0.55", "-0.6"]);
    expect(c.points[0].priceUsd).toBe("2000");
    expect(c.points[12].priceUsd).toBe("800");
    const at50 = c.points[10];
    const s = await gql(`{ stress(scenario: { shocks: [{ asset: "ETH", pct: "-0.5" }] }) { liquidatedVolumeUsd deficiencyUsd rounds { liquidatedAccounts } } }`);
    expect(at50.liquidatedVolumeUsd).toBe(s.data.stress.liquidatedVolumeUsd);
    expect(at50.liquidatedAccounts).toBe(s.data.stress.rounds.reduce((n: number, x: any) => n + x.liquidatedAccounts, 0));
    expect(Math.abs(Number(at50.deficiencyUsd) - Number(s.data.stress.deficiencyUsd))).toBeLessThanOrEqual(0.01);
  });

  test("behavior: cached per book version (the same points until the book changes)", () => {
    const a = world.book.liquidationCurve({ asset: "BTC", maxShockPct: "0.6", steps: 6 });
    expect(world.book.liquidationCurve({ asset: "BTC", maxShockPct: "0.6", steps: 6 }).points).toBe(a.points);
  });

  test("behavior: computed in slices, the curve equals the one computed at once; identical requests share one computation", async () => {
    const request = { asset: "ETH", maxShockPct: "0.5", steps: 5 };
    const [x, y] = [world.book.liquidationCurveSliced(request), world.book.liquidationCurveSliced(request)];
    expect(y).toBe(x);
    const sliced = await x;
    expect(sliced.points).toEqual(world.book.liquidationCurve(request).points);
    expect(sliced.asOf).toEqual(world.book.asOf());
    // a bad request is refused before any work
    expect(() => world.book.liquidationCurveSliced({ asset: "DOGE", maxShockPct: "0.5", steps: 5 })).toThrow(/unknown asset 'DOGE'/);
  });

  test("behavior: a bad asset, range or step count is BAD_SCENARIO naming each", async () => {
    const r = await gql(`{ liquidationCurve(asset: "DOGE", maxShockPct: "2", steps: 0) { steps } }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_SCENARIO");
    expect(r.errors?.[0]?.message).toContain("unknown asset 'DOGE'");
    expect(r.errors?.[0]?.message).toContain("maxShockPct: 2 is outside (0, 0.99]");
    expect(r.errors?.[0]?.message).toContain("steps: 0 is not an integer from 1 to 60");
  });
});

describe("a price crash: tiers, history, time travel, subscriptions", () => {
  test("default: the endangered subscription sees the account enter; tierChanges and time travel agree", async () => {
    // Subscribe (SSE) before the crash.
    const response = await api.yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { endangeredAccounts(maxHealthFactor: "1") { entered { address tier } left } }` }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const health = await api.yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { accountHealth(address: "${address(2)}") { tier equityUsd } }` }),
    });
    const sse = readSse(response);
    const healthSse = readSse(health);
    try {
      const first = JSON.parse((await sse.next(5000)).data);
      expect(first.data.endangeredAccounts.entered).toEqual([]); // nobody below HF 1 yet
      const firstHealth = JSON.parse((await healthSse.next(5000)).data);
      expect(firstHealth.data.accountHealth.tier).toBe("SAFE");

      const before = world.time;
      world.advance(60);
      crashTime = world.time;
      world.price("ETH", 1700);
      await world.book.sync();

      const pushed = JSON.parse((await sse.next(5000)).data);
      expect(pushed.data.endangeredAccounts.entered).toEqual([{ address: address(2), tier: "LIQUIDATABLE" }]);
      const pushedHealth = JSON.parse((await healthSse.next(5000)).data);
      expect(pushedHealth.data.accountHealth).toEqual({ tier: "LIQUIDATABLE", equityUsd: "400" });

      const changes = await gql(`{ tierChanges(tier: LIQUIDATABLE) { nodes { address from to timestamp } pageInfo { endCursor } } }`);
      expect(changes.errors).toBeUndefined();
      expect(changes.data.tierChanges.nodes).toContainEqual({ address: address(2), from: "SAFE", to: "LIQUIDATABLE", timestamp: crashTime });

      const travel = await gql(`{ before: account(address: "${address(2)}", at: ${before}) { tier equityUsd asOf { now } } now: account(address: "${address(2)}") { tier } }`);
      expect(travel.errors).toBeUndefined();
      expect(travel.data.before).toEqual({ tier: "SAFE", equityUsd: "1000", asOf: { now: before } });
      expect(travel.data.now.tier).toBe("LIQUIDATABLE");
    } finally {
      await sse.close();
      await healthSse.close();
    }
  });

  test("behavior: history buckets span the crash", async () => {
    const from = crashTime - 60;
    const r = await gql(`{ accountHistory(address: "${address(2)}", from: ${from}, to: ${crashTime}, bucketSeconds: 60) { time tier equityUsd } }`);
    expect(r.errors).toBeUndefined();
    const points = r.data.accountHistory;
    expect(points.map((p: any) => p.time)).toEqual([from, crashTime]);
    expect(points[0].tier).toBe("SAFE");
    expect(points[1].tier).toBe("LIQUIDATABLE");
  });
});

describe("abuse: every bad request is a clear coded error, and the server keeps serving", () => {
  const cases: { name: string; query: string; code: string; variables?: Record<string, unknown> }[] = [
    { name: "malformed query", query: "{ account(address: ", code: "GRAPHQL_PARSE_FAILED" },
    { name: "unknown field", query: "{ nope }", code: "GRAPHQL_VALIDATION_FAILED" },
    { name: "alias bomb", query: `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: asOf { now }`).join(" ")} }`, code: "ALIAS_LIMIT" },
    { name: "token bomb", query: `{ asOf { ${"now ".repeat(5000)} } }`, code: "TOKEN_LIMIT" },
    { name: "first: 1000000", query: "{ accounts(first: 1000000) { totalCount } }", code: "LIMIT_EXCEEDED" },
    { name: "first: 501", query: "{ endangeredAccounts(first: 501) { nodes { address } } }", code: "LIMIT_EXCEEDED" },
    { name: "cost bomb", query: "{ accounts(first: 500) { nodes { report { chains { collateral { amount valueUsd haircut } debt { amount } positions { size } } } } } }", code: "COST_LIMIT" },
    {
      name: "three stress runs in one operation",
      query: `{ ${["a", "b", "c"].map((n) => `${n}: stress(scenario: { shocks: [{ asset: "ETH", pct: "-0.1" }] }) { deficiencyUsd }`).join(" ")} }`,
      code: "COST_LIMIT",
    },
    {
      name: "five liquidation curves in one operation",
      query: `{ ${["a", "b", "c", "d", "e"].map((n, i) => `${n}: liquidationCurve(asset: "ETH", steps: ${i + 2}) { steps }`).join(" ")} }`,
      code: "COST_LIMIT",
    },
    { name: "invalid address", query: '{ account(address: "0x12") { tier } }', code: "BAD_ADDRESS" },
    { name: "negative time", query: `{ account(address: "${address(1)}", at: -5) { tier } }`, code: "BAD_TIME" },
    { name: "future time", query: `{ account(address: "${address(1)}", at: 2000000000) { tier } }`, code: "BAD_TIME" },
    { name: "from after to", query: "{ systemHistory(from: 10, to: 5, bucketSeconds: 1) { time } }", code: "BAD_TIME" },
    { name: "too many buckets", query: `{ systemHistory(from: 0, to: 1700000000, bucketSeconds: 1) { time } }`, code: "LIMIT_EXCEEDED" },
    { name: "bad decimal", query: '{ endangeredAccounts(maxHealthFactor: "lots") { nodes { address } } }', code: "BAD_DECIMAL" },
    { name: "bad cursor", query: '{ tierChanges(after: "zzz") { nodes { seq } } }', code: "BAD_CURSOR" },
    { name: "bad variable type", query: "query($a: String!) { account(address: $a) { tier } }", variables: { a: 5 }, code: "GRAPHQL_VALIDATION_FAILED" },
  ];
  for (const c of cases) {
    test(`behavior: ${c.name} → ${c.code}`, async () => {
      const started = performance.now();
      const r = await gql(c.query, c.variables);
      const elapsedMs = performance.now() - started;
      expect(r.errors?.length, JSON.stringify(r)).toBeGreaterThan(0);
      expect(r.errors![0]!.extensions?.code, JSON.stringify(r.errors)).toBe(c.code);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.errors![0]!.message.length).toBeGreaterThan(10);
      // Not a timing assertion on the happy path: an abusive request must not hang the server.
      expect(elapsedMs).toBeLessThan(5000);
      const ok = await gql("{ asOf { now } }");
      expect(ok.errors).toBeUndefined();
    });
  }

  test("behavior: a depth bomb → DEPTH_LIMIT; the deepest real query passes", async () => {
    // The schema's deepest path is 7 levels (below the limit of 10)…
    const deepest = `{ endangeredAccounts { nodes { report { chains { collateral { latency { total } } } } } } }`;
    expect((await gql(deepest)).errors).toBeUndefined();
    // …a bomb nests fragments (introspection-free) beyond it: 12 levels through __typename-free spreads.
    const bomb = `{ endangeredAccounts { nodes { report { ...C } } } }
      fragment C on Account { chains { collateral { latency { total } } debt { ...I } } }
      fragment I on AccountItem { latency { total } }`;
    const r = await gql(bomb.replace("latency { total } } debt { ...I }", "latency { total } } debt { ...I }"), undefined,
      createApi({ book: world.book, production: true, limits: { maxDepth: 5 } }));
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe("DEPTH_LIMIT");
    expect(r.errors?.[0]?.message).toMatch(/Query depth 7 exceeds the limit of 5/);
  });

  test("behavior: a body over the limit → 413 BODY_LIMIT", async () => {
    const big = JSON.stringify({ query: `{ asOf { now } }`, variables: { pad: "x".repeat(100_000) } });
    const response = await api.handle(new Request("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: big }));
    expect(response.status).toBe(413);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe("BODY_LIMIT");
  });

  test("behavior: an unexpected failure is masked in production and keeps its message in development", async () => {
    const broken = new Proxy(world.book, {
      get(target, prop, receiver) {
        if (prop === "system") return () => {
          throw new Error("connection to 10.0.0.5 lost (secret detail)");
        };
        return Reflect.get(target, prop, receiver);
      },
    });
    const prod = createApi({ book: broken, production: true });
    const dev = createApi({ book: broken, production: false });
    try {
      const p = await gql("{ system { action } }", undefined, prod);
      expect(p.errors?.[0]?.message).toBe("Unexpected error.");
      expect(p.errors?.[0]?.extensions?.code).toBe("INTERNAL");
      expect(JSON.stringify(p)).not.toContain("secret");
      const d = await gql("{ system { action } }", undefined, dev);
      expect(d.errors?.[0]?.message).toContain("connection to 10.0.0.5 lost");
      expect(d.errors?.[0]?.extensions?.code).toBe("INTERNAL");
    } finally {
      prod.close();
      dev.close();
    }
  });

  test("behavior: the API only reads (no Mutation type)", async () => {
    const r = await gql("{ __schema { mutationType { name } } }");
    expect(r.data.__schema.mutationType).toBeNull();
  });
});

describe("GraphiQL and metrics", () => {
  test("default: GET /graphql with Accept text/html serves GraphiQL with no external URL", async () => {
    const response = await api.handle(new Request("http://localhost/graphql", { headers: { accept: "text/html" } }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<title>xmargin risk API</title>");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
  });

  test("default: /metrics/risk on a Hono app exposes tiers, deficiency, lag and update time", async () => {
    const app = new Hono();
    mountApi(app, api, { intoPonderRegistry: false });
    const response = await app.request("/metrics/risk");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const tiers = world.book.system().accountsPerTier;
    expect(text).toContain(`xmargin_accounts{tier="SAFE"} ${tiers.SAFE}`);
    expect(text).toContain(`xmargin_accounts{tier="LIQUIDATABLE"} ${tiers.LIQUIDATABLE}`);
    expect(text).toMatch(/xmargin_deficiency_usd \d/);
    expect(text).toMatch(/xmargin_chain_lag_seconds\{chain="l1",chain_id="1001"\} \d/);
    expect(text).toMatch(/xmargin_book_update_ms \d/);
    const viaGraphql = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ bookStats { accounts } }" }),
    });
    expect(((await viaGraphql.json()) as any).data.bookStats.accounts).toBe(4);
  });
});
