/**
 * Pure measures of an operation's shape: depth, aliases and estimated cost. Fragments are
 * expanded (a fragment spread counts what it selects), cycles count once, introspection fields
 * (`__schema`, `__type`) are not counted so GraphiQL's introspection query always passes.
 */
import {
  Kind,
  type DocumentNode,
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
  /** fields whose size is the number of history buckets ((to − from) / bucketSeconds + 1) */
  bucketed: ReadonlySet<string>;
  /**
   * Sizes are clamped to what the resolvers accept (a larger `first` or bucket count is refused
   * there with LIMIT_EXCEEDED, a clearer error than a cost estimate).
   */
  maxPageSize: number;
  maxBuckets: number;
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
  return out;
}

export function operationsOf(document: DocumentNode): OperationDefinitionNode[] {
  return document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

function isIntrospection(field: FieldNode): boolean {
  return field.name.value === "__schema" || field.name.value === "__type";
}

/** Deepest nesting of selection sets (a top-level scalar field has depth 1). */
export function depthOf(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): number {
  let max = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (isIntrospection(s)) continue;
      max = Math.max(max, 1 + (s.selectionSet ? depthOf(s.selectionSet, fragments, seen) : 0));
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(s.selectionSet, fragments, seen));
    } else {
      const name = s.name.value;
      const f = fragments.get(name);
      if (!f || seen.has(name)) continue;
      seen.add(name);
      max = Math.max(max, depthOf(f.selectionSet, fragments, seen));
      seen.delete(name);
    }
  }
  return max;
}

/** Number of aliased fields, fragments expanded once per spread. */
export function aliasesOf(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (s.alias) n++;
      if (s.selectionSet) n += aliasesOf(s.selectionSet, fragments, seen);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      n += aliasesOf(s.selectionSet, fragments, seen);
    } else {
      const f = fragments.get(s.name.value);
      if (!f || seen.has(s.name.value)) continue;
      seen.add(s.name.value);
      n += aliasesOf(f.selectionSet, fragments, seen);
      seen.delete(s.name.value);
    }
  }
  return n;
}

function argValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  return arg ? literal(arg.value, variables) : undefined;
}

function literal(value: ValueNode, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case Kind.VARIABLE:
      return variables[value.name.value];
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.STRING:
    case Kind.ENUM:
      return value.value;
    case Kind.BOOLEAN:
      return value.value;
    default:
      return undefined;
  }
}

/**
 * Estimated cost: Σ over fields of weight × the product of list sizes above it. A paged field's
 * size is its `first` (or default); a bucketed field's size is its bucket count; other lists use
 * `listEstimate`. Capped at 1e12 so a bomb cannot overflow.
 */
export function costOf(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  model: CostModel,
  multiplier = 1,
  seen = new Set<string>(),
): number {
  let total = 0;
  for (const s of set.selections) {
    if (total > 1e12) return total;
    if (s.kind === Kind.FIELD) {
      if (isIntrospection(s) || s.name.value === "__typename") continue;
      const name = s.name.value;
      total += (model.weights[name] ?? 1) * multiplier;
      if (!s.selectionSet) continue;
      let size = 1;
      if (name in model.pagedDefaults) {
        const first = argValue(s, "first", variables);
        size = typeof first === "number" && Number.isFinite(first) && first > 0 ? Math.min(first, model.maxPageSize) : model.pagedDefaults[name]!;
      } else if (model.bucketed.has(name)) {
        const from = Number(argValue(s, "from", variables));
        const to = Number(argValue(s, "to", variables));
        const bucket = Number(argValue(s, "bucketSeconds", variables));
        size = bucket > 0 && to >= from ? Math.min(Math.floor((to - from) / bucket) + 1, model.maxBuckets) : 1;
      } else if (isListField(name)) {
        size = model.listEstimate;
      }
      total += costOf(s.selectionSet, fragments, variables, model, multiplier * Math.min(size, 1e6), seen);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      total += costOf(s.selectionSet, fragments, variables, model, multiplier, seen);
    } else {
      const f = fragments.get(s.name.value);
      if (!f || seen.has(s.name.value)) continue;
      seen.add(s.name.value);
      total += costOf(f.selectionSet, fragments, variables, model, multiplier, seen);
      seen.delete(s.name.value);
    }
  }
  return total;
}

/** Object-list fields of the schema whose length is not set by an argument. */
const LIST_FIELDS = new Set([
  "chains",
  "items",
  "collateral",
  "debt",
  "positions",
  "liquidationPrices",
  "degradedReasons",
  "marks",
  "oracleDivergence",
  "sources",
  "rounds",
  "priceImpact",
  "shocks",
  "seizable",
  "stressLibrary",
  "points",
  "entered",
]);

function isListField(name: string): boolean {
  return LIST_FIELDS.has(name);
}
