import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql/index.js";
import { describe, expect, test } from "vitest";
import { operationCost } from "./fieldCost.js";
import { DEFAULT_COST_MODEL } from "./useOperationLimits.js";

function cost(query: string, variables: Record<string, unknown> = {}, options: { accounts?: number; domainAccounts?: number; max?: number } = {}) {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return operationCost({ operation, fragments, variables, model: DEFAULT_COST_MODEL, accounts: options.accounts ?? 0, domainAccounts: options.domainAccounts, max: options.max ?? Infinity });
}

/** Each fragment spreads the next twice; the last selects one scalar. */
function fanOut(levels: number): string {
  let fragments = "";
  for (let i = 1; i < levels; i++) fragments += `fragment F${i} on System { ...F${i + 1} ...F${i + 1} }\n`;
  return `{ system { ...F1 } }\n${fragments}fragment F${levels} on System { action }`;
}

describe("operationCost", () => {
  test("default: scalars cost 1, weighted fields their weight, introspection and __typename nothing", () => {
    expect(cost("{ asOf { now } }")).toBe(2);
    expect(cost("{ __typename __schema { types { name } } }")).toBe(0);
    expect(cost('{ account(address: "0x1") { tier } }')).toBe(3);
  });

  test("behavior: a page multiplies its children by first; a first the resolver refuses costs one item", () => {
    expect(cost("{ accounts(first: 10) { nodes { address tier } } }")).toBe(1 + 10 * (1 + 2));
    expect(cost("{ accounts { nodes { address } } }")).toBe(1 + 50 * 2); // the schema default
    expect(cost("{ accounts(first: 100000) { nodes { address } } }")).toBe(1 + 1 * 2);
  });

  test("behavior: variables are read, and a variable's declared default is costed when it is not sent", () => {
    const q = "query($n: Int = 400) { accounts(first: $n) { nodes { address } } }";
    expect(cost(q, { n: 4 })).toBe(1 + 4 * 2);
    expect(cost(q)).toBe(1 + 400 * 2);
    expect(cost(q, { n: null })).toBe(1 + 50 * 2); // null: the resolver's default page
  });

  test("behavior: domainStress grows with the protocols' accounts (a cascade goes over each)", () => {
    const q = `{ stress(scenario: { shocks: [] }) { domainStress { deficiencyUsd } } }`;
    const small = cost(q, {}, { domainAccounts: 100 });
    const large = cost(q, {}, { domainAccounts: 1_000_000 });
    expect(large - small).toBeCloseTo((1_000_000 - 100) * DEFAULT_COST_MODEL.perDomainAccount.domainStress!, 6);
    // a million Aave accounts: one scenario's cascade is refused by cost alone (limit 50,000)
    expect(large).toBeGreaterThan(50_000);
  });

  test("behavior: history costs its buckets × the work per bucket; systemHistory grows with the book", () => {
    const account = (b: number) => `{ accountHistory(address: "0x1", from: 0, to: 99999, bucketSeconds: ${b}) { time } }`;
    const { accountHistory, systemHistory } = DEFAULT_COST_MODEL.bucketed;
    expect(cost(account(1000))).toBe(50 + 100 * accountHistory!.perBucket + 100 * 1);
    const system = `{ systemHistory(from: 0, to: 99999, bucketSeconds: 1000) { time } }`;
    expect(cost(system, {}, { accounts: 1000 })).toBeCloseTo(100 + 100 * (systemHistory!.perBucket + 1000 * systemHistory!.perBucketPerAccount) + 100, 6);
    expect(cost(system, {}, { accounts: 100_000 })).toBeGreaterThan(cost(system, {}, { accounts: 1000 }) * 10);
    // the case: 2,000 buckets over 30 days is refused by cost (limit 50,000)
    expect(cost(`{ accountHistory(address: "0x1", from: 0, to: 2591999, bucketSeconds: 1296) { time } }`)).toBeGreaterThan(50_000);
    // more buckets than served: refused by the resolver (LIMIT_EXCEEDED), costed as one
    expect(cost(account(1))).toBe(50 + accountHistory!.perBucket + 1);
  });

  test("behavior: time travel costs a ledger rebuild, now does not", () => {
    expect(cost('{ account(address: "0x1", at: 5) { tier } }') - cost('{ account(address: "0x1") { tier } }')).toBe(DEFAULT_COST_MODEL.timeTravel);
    expect(cost('query($t: Int = 5) { account(address: "0x1", at: $t) { tier } }')).toBeGreaterThan(DEFAULT_COST_MODEL.timeTravel);
  });

  test("behavior: every fragment use counts, and a 24-level fan-out is costed by visiting each fragment once", () => {
    expect(cost(fanOut(3))).toBe(1 + 4);
    const started = performance.now();
    expect(cost(fanOut(24))).toBe(1 + 2 ** 23);
    // 2^23 uses walked one by one would take seconds; memoised it is 24 fragment visits
    expect(performance.now() - started).toBeLessThan(250);
  });

  test("behavior: the walk stops at the first partial cost above the limit", () => {
    const c = cost(fanOut(24), {}, { max: 1000 });
    expect(c).toBeGreaterThan(1000);
    expect(c).toBeLessThan(2 ** 23);
  });

  test("boundary: a fragment cycle (refused by validation) does not loop", () => {
    expect(cost("{ system { ...A } } fragment A on System { action ...B } fragment B on System { ...A }")).toBe(2);
  });
});
