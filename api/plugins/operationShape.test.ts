import { parse } from "graphql/index.js";
import { describe, expect, test } from "vitest";
import { aliasesOf, costOf, depthOf, fragmentsOf, operationsOf } from "./operationShape.js";
import { DEFAULT_COST_MODEL } from "./useOperationLimits.js";

function measure(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const op = operationsOf(doc)[0]!;
  const fragments = fragmentsOf(doc);
  return {
    depth: depthOf(op.selectionSet, fragments),
    aliases: aliasesOf(op.selectionSet, fragments),
    cost: costOf(op.selectionSet, fragments, variables, DEFAULT_COST_MODEL),
  };
}

describe("depthOf", () => {
  test("default: one scalar field is depth 1", () => {
    expect(measure("{ asOf { now } }").depth).toBe(2);
    expect(measure("{ __typename }").depth).toBe(1);
  });

  test("behavior: fragments count what they select", () => {
    const q = "{ system { ...S } } fragment S on System { chains { name } }";
    expect(measure(q).depth).toBe(3);
  });

  test("behavior: introspection is not counted", () => {
    expect(measure("{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }").depth).toBe(0);
  });

  test("behavior: a cyclic fragment does not loop forever", () => {
    const q = "{ system { ...A } } fragment A on System { ...B } fragment B on System { ...A }";
    expect(measure(q).depth).toBe(1);
  });
});

describe("aliasesOf", () => {
  test("default: counts every alias, fragments included", () => {
    expect(measure("{ a: asOf { now } b: asOf { x: now } }").aliases).toBe(3);
    expect(measure("{ ...F ...F } fragment F on Query { a: asOf { now } }").aliases).toBe(2);
  });
});

describe("costOf", () => {
  test("behavior: a page multiplies its children by first", () => {
    const small = measure("{ accounts(first: 10) { nodes { address tier } } }").cost;
    const big = measure("{ accounts(first: 500) { nodes { address tier } } }").cost;
    expect(big).toBeGreaterThan(small * 40);
  });

  test("behavior: variables are read", () => {
    const q = "query($n: Int) { accounts(first: $n) { nodes { address } } }";
    expect(measure(q, { n: 400 }).cost).toBeGreaterThan(measure(q, { n: 4 }).cost * 50);
  });

  test("behavior: history cost grows with the number of buckets", () => {
    const q = (b: number) => `{ systemHistory(from: 0, to: 100000, bucketSeconds: ${b}) { time } }`;
    expect(measure(q(50)).cost).toBeGreaterThan(measure(q(5000)).cost * 10);
    // clamped at the bucket cap: a bigger window costs no more than the cap (the resolver refuses it)
    expect(measure(q(1)).cost).toBe(measure(q(2)).cost);
  });

  test("behavior: stress is expensive", () => {
    expect(measure("{ stress(scenario: { shocks: [] }) { deficiencyUsd } }").cost).toBeGreaterThanOrEqual(20_000);
  });
});
