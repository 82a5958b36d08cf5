/**
 * Compiled execution (graphql-jit) answers exactly what graphql-js answers over the same schema and
 * book, data and errors alike; documents compile once and are reused; the cache stays bounded.
 */
import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createContextFactory, type ApiContext } from "../context.js";
import { createBookHub } from "../hub.js";
import { API_LIMITS } from "../limits.js";
import { maskApiError } from "../errors.js";
import { resolvers } from "../resolvers/index.js";
import { typeDefs } from "../schema/typeDefs.js";
import { address, createWorld, standardScene, type World } from "../testing/fixture.js";
import { parse } from "graphql/index.js";
import type { CompiledQuery } from "graphql-jit";
import { fieldNodesAt, useCompiledExecution } from "./useCompiledExecution.js";

let world: World;
const compilations: { name: string | null; compiled: boolean }[] = [];
/** how many requests ran a compiled function (each compiled query's `query` is counted) */
let compiledRuns = 0;

function yogaFor(world: World, compiled: boolean, maxDocuments?: number) {
  const hub = createBookHub(world.book, { maxSubscriptions: 10, maxSubscriptionsPerClient: 10, maxEndangeredThresholds: 4, endangeredCap: 100 });
  return createYoga<Record<string, unknown>, ApiContext>({
    schema: createSchema<ApiContext>({ typeDefs, resolvers: resolvers as never }) as never,
    context: createContextFactory(world.book, hub, API_LIMITS),
    maskedErrors: { maskError: (error, message) => maskApiError(error, message, true) },
    logging: false,
    plugins: compiled ? [useCompiledExecution({ maxDocuments, onCompile: (name, query) => void compilations.push({ name, compiled: countRuns(query) }) })] : [],
  });
}

function countRuns(compiled: CompiledQuery | null): boolean {
  if (compiled === null) return false;
  const run = compiled.query;
  compiled.query = (...args) => {
    compiledRuns++;
    return run(...args);
  };
  return true;
}

async function ask(yoga: ReturnType<typeof yogaFor>, query: string, variables?: Record<string, unknown>, operationName?: string) {
  const response = await yoga.fetch("http://localhost/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, body: await response.json() };
}

const FULL_ACCOUNT = `query($a: String!) { account(address: $a) {
  address tier healthFactor maintenanceHealthUsd initialHealthUsd equityUsd collateralValueUsd debtValueUsd degraded
  degradedReasons { code chainId asset message }
  chains { chainId name netValueUsd collateral { kind asset amountRaw amount valueUsd haircut latency { configured measuredLag total } zeroedByStaleness } debt { asset amount valueUsd haircut } positions { marketId size } }
  items { kind chainId asset amount } positions { marketId size unrealizedPnlUsd requirementUsd }
  liquidationPrices { asset priceUsd } grossRequirementUsd portfolioRequirementUsd marginEfficiency chainIds
  asOf { now chains { chainId name blockNumber timestamp lagSeconds stale } } } }`;

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  await world.book.ready;
});

afterAll(async () => {
  await world?.book.stop();
});

describe("useCompiledExecution", () => {
  test("default: every query answers byte for byte what graphql-js answers", async () => {
    const jit = yogaFor(world, true);
    const plain = yogaFor(world, false);
    const cases: [string, Record<string, unknown>?, string?][] = [
      [FULL_ACCOUNT, { a: address(1) }],
      [FULL_ACCOUNT, { a: address(2) }],
      [FULL_ACCOUNT, { a: address(3) }],
      [FULL_ACCOUNT, { a: address(4) }],
      [FULL_ACCOUNT, { a: address(999) }],
      [`{ system { collateralUsd debtUsd deficiencyUsd coverageRatio action accountsPerTier { safe marginCall liquidatable insolvent } chains { chainId name lagSeconds exposureUsd haircutMultiplier } } }`],
      [`{ accounts(first: 2, orderBy: HEALTH_FACTOR_ASC) { totalCount pageInfo { hasNextPage endCursor } nodes { address tier healthFactor report { tier equityUsd } } } }`],
      [`{ endangeredAccounts(first: 10, maxHealthFactor: "5") { nodes { address tier healthFactor seizable { chainId asset valueUsd latencySeconds } } } }`],
      [`query A { asOf { now } } query B { bookStats { accounts } }`, undefined, "B"],
      [`{ a1: account(address: "${address(1)}") { tier } a2: account(address: "${address(2)}") { tier ...F } } fragment F on Account { healthFactor }`],
      // errors: a coded resolver error, a bad variable, a wrong operation name
      [`{ account(address: "0x12") { tier } }`],
      [FULL_ACCOUNT, { a: 5 }],
      [`{ accounts(first: 1000000) { totalCount } }`],
      [`query($n: Int) { accounts(first: $n) { totalCount } }`, { n: "x" }],
    ];
    compiledRuns = 0;
    for (const [query, variables, operationName] of cases) {
      const before = compiledRuns;
      const a = await ask(jit, query, variables, operationName);
      // every case executes through its compiled function (variable errors run it, then graphql-js)
      expect(compiledRuns, query).toBe(before + 1);
      const b = await ask(plain, query, variables, operationName);
      expect(a, query).toEqual(b);
    }
    expect(compilations.filter((c) => c.compiled).length).toBeGreaterThan(5);
  });

  test("behavior: a document compiles once and is reused; the cache is bounded", async () => {
    compilations.length = 0;
    const jit = yogaFor(world, true, 2);
    const q = (n: number) => `{ n${n}: asOf { now } }`;
    compiledRuns = 0;
    for (let i = 0; i < 3; i++) await ask(jit, q(1));
    expect(compilations).toEqual([{ name: null, compiled: true }]);
    expect(compiledRuns).toBe(3);
    await ask(jit, q(2));
    await ask(jit, q(3)); // evicts q(1)
    await ask(jit, q(1));
    expect(compilations).toHaveLength(4);
    const answer = await ask(jit, q(1));
    expect(answer.body.data.n1.now).toBeTypeOf("number");
  });

  test("behavior: fieldNodesAt follows aliases, fragments and list indices to the field a path names", () => {
    const text = `query A { x: asOf { now } } query B { list: accounts { nodes { ...N } } } fragment N on AccountSummary { ... on AccountSummary { r: report { tier } } }`;
    const doc = parse(text);
    const at = (op: string, path: (string | number)[]) => fieldNodesAt(doc, op, path).map((n) => `${n.name.value}@${n.loc?.startToken.line}:${n.loc?.startToken.column}`);
    expect(at("A", ["x", "now"])).toEqual([`now@1:${text.indexOf("now") + 1}`]);
    expect(at("B", ["list", "nodes", 3, "r", "tier"])).toEqual([`tier@1:${text.indexOf("tier") + 1}`]);
    expect(at("B", ["list", "nodes", 0, "missing"])).toEqual([]);
    expect(at("C", ["x"])).toEqual([]);
  });
});
