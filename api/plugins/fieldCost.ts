/**
 * The operation's estimated cost in this API's own units (what the resolvers will do), where
 * graphql-armor's generic cost cannot know it: a page costs its `first` times its items, a history
 * costs its buckets times the work per bucket, time travel costs a rebuild from the ledger.
 *
 * The walk is memoised: the cost is linear in the multiplier above a selection, so each fragment's
 * cost at multiplier 1 is computed once and reused for every spread (a fragment spread twice by
 * each of 24 nested fragments is 24 visits, not 2^24). It stops at the first partial sum above the
 * limit. Every use of a fragment counts (graphql-jit compiles one copy per use).
 */
import {
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql/index.js";

export interface CostModel {
  /** extra cost of a field by name (default 1) */
  weights: Record<string, number>;
  /** list fields whose size is the `first` argument, with the schema default when omitted */
  pagedDefaults: Record<string, number>;
  /** list fields of unbounded but small size (chains, items…): multiplier used */
  listEstimate: number;
  /** object-list fields whose length no argument sets */
  lists: ReadonlySet<string>;
  /**
   * Fields whose size is the number of history buckets ((to − from) / bucketSeconds + 1), with
   * the cost of one bucket: `perBucket` plus `perBucketPerAccount` × accounts in the book.
   */
  bucketed: Record<string, { perBucket: number; perBucketPerAccount: number }>;
  /** extra cost per account of the protocols' margin domains (Aave), for fields that go over all of them */
  perDomainAccount: Record<string, number>;
  /** `account(at:)`: one rebuild of an account from the ledger and 30 days of prices */
  timeTravel: number;
  /**
   * A `first` or bucket count beyond what the resolvers accept costs 1: the resolver refuses it
   * with LIMIT_EXCEEDED, a clearer error than a cost estimate.
   */
  maxPageSize: number;
  maxBuckets: number;
}

export interface CostInput {
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  model: CostModel;
  /** accounts in the book (systemHistory screens each one per bucket) */
  accounts: number;
  /** accounts in the protocols' margin domains (domainStress cascades over each); default 0 */
  domainAccounts?: number;
  /** the walk stops as soon as a partial cost passes this */
  max: number;
}

/** Thrown inside the walk to stop at the first exceeded limit. */
class Exceeded {
  constructor(readonly cost: number) {}
}

/** Cost above this is reported as this (a bomb cannot overflow to Infinity or NaN). */
export const COST_CEILING = 1e15;

/**
 * Σ over fields of weight × the product of list sizes above it (introspection and `__typename`
 * are free here; graphql-armor's cost limit covers them). Returns the cost, or the first partial
 * cost found above `max` (the exact total is not computed then).
 */
export function operationCost(input: CostInput): number {
  const { fragments, model, max } = input;
  const defaults = variableDefaults(input.operation);
  const value = (v: ValueNode): unknown => literal(v, input.variables, defaults);
  const fragmentCost = new Map<string, number>();
  const check = (cost: number): number => {
    if (cost > max) throw new Exceeded(Math.min(cost, COST_CEILING));
    return cost;
  };

  const setCost = (set: SelectionSetNode): number => {
    let total = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) total += fieldCost(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) total += setCost(s.selectionSet);
      else total += spreadCost(s.name.value);
      check(total);
    }
    return total;
  };

  const spreadCost = (name: string): number => {
    const known = fragmentCost.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (fragment === undefined) return 0;
    fragmentCost.set(name, 0); // a cycle (refused by validation anyway) counts once
    const cost = setCost(fragment.selectionSet);
    fragmentCost.set(name, cost);
    return cost;
  };

  const fieldCost = (field: FieldNode): number => {
    const name = field.name.value;
    if (name.startsWith("__")) return 0;
    let own = (model.weights[name] ?? 1) + (model.perDomainAccount[name] ?? 0) * (input.domainAccounts ?? 0);
    if (name === "account" && argument(field, "at", value) !== undefined && argument(field, "at", value) !== null) own += model.timeTravel;
    if (!field.selectionSet) return own;
    let size = 1;
    const bucket = model.bucketed[name];
    if (name in model.pagedDefaults) {
      const first = argument(field, "first", value);
      // a `first` the resolver refuses (LIMIT_EXCEEDED, naming the cap) costs one item
      size = typeof first === "number" && Number.isFinite(first) ? (first >= 1 && first <= model.maxPageSize ? first : 1) : model.pagedDefaults[name]!;
    } else if (bucket !== undefined) {
      const buckets = bucketCount(field, value, model.maxBuckets);
      own += buckets * (bucket.perBucket + bucket.perBucketPerAccount * input.accounts);
      size = buckets;
    } else if (model.lists.has(name)) {
      size = model.listEstimate;
    }
    return check(own + size * setCost(field.selectionSet));
  };

  try {
    return setCost(input.operation.selectionSet);
  } catch (error) {
    if (error instanceof Exceeded) return error.cost;
    throw error;
  }
}

function bucketCount(field: FieldNode, value: (v: ValueNode) => unknown, maxBuckets: number): number {
  const from = Number(argument(field, "from", value));
  const to = Number(argument(field, "to", value));
  const bucket = Number(argument(field, "bucketSeconds", value));
  if (!(bucket > 0) || !(to >= from)) return 1;
  const count = Math.floor((to - from) / bucket) + 1;
  // more than the resolver serves is refused there (LIMIT_EXCEEDED, naming a bucket size that fits)
  return count <= maxBuckets ? count : 1;
}

function argument(field: FieldNode, name: string, value: (v: ValueNode) => unknown): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  return arg ? value(arg.value) : undefined;
}

function variableDefaults(operation: OperationDefinitionNode): Map<string, ValueNode> {
  const out = new Map<string, ValueNode>();
  for (const d of operation.variableDefinitions ?? []) if (d.defaultValue) out.set(d.variable.name.value, d.defaultValue);
  return out;
}

/** A literal or variable as the resolver will see it: a variable not sent takes its declared default. */
function literal(value: ValueNode, variables: Readonly<Record<string, unknown>>, defaults: ReadonlyMap<string, ValueNode>): unknown {
  switch (value.kind) {
    case Kind.VARIABLE: {
      const name = value.name.value;
      if (Object.prototype.hasOwnProperty.call(variables, name)) return variables[name];
      const fallback = defaults.get(name);
      return fallback && fallback.kind !== Kind.VARIABLE ? literal(fallback, {}, new Map()) : undefined;
    }
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return value.value;
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}
