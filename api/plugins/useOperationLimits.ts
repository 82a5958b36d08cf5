/**
 * Operation limits as one yoga plugin. graphql-armor does the generic ones: tokens (counted by the
 * parser itself, so a huge document is abandoned early), depth, aliases, directives, and its
 * structural cost, which covers introspection and every fragment use, so a fragment fan-out or an
 * introspection bomb is refused at validation and never reaches graphql-jit. Armor's walks visit
 * each fragment once per operation. This API's own field cost (pages, history buckets, time
 * travel, stress runs; api/plugins/fieldCost.ts) is checked before execution, with variables.
 *
 * Each refusal is a coded error (HTTP 400 under `application/graphql-response+json`) that names the
 * limit, what the operation had, and what would be accepted.
 */
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens";
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql/index.js";
import type { Plugin } from "graphql-yoga";
import { apiError, type ApiErrorCode } from "../errors.js";
import type { ApiLimits } from "../limits.js";
import { operationCost, type CostModel } from "./fieldCost.js";

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
  "domains",
  "perChain",
  "problems",
  "aave",
]);

/**
 * Weights: one unit is about 0.1 ms of work on this project's 2-core machine, so the default
 * maxCost (50,000) is a few seconds at most, inside the 10 s time limit. History: one bucket
 * estimates volatility over the 30-day lookback (43,200 grid steps; 17 ms of CPU measured with a
 * month of 5-minute rounds on 3 chains), prepares an environment and evaluates one account
 * (`accountHistory`) or screens every account of the book (`systemHistory`, ~5 µs each). Time
 * travel reads the account's ledger and a month of rounds, then does one bucket's work (50–200 ms).
 */
export const DEFAULT_COST_MODEL: CostModel = {
  weights: {
    account: 2,
    report: 5,
    seizable: 2,
    // A custom scenario re-screens every account with cascades (≈ 0.3 s per 100k accounts on the
    // main thread): at most two per operation under the default maxCost.
    stress: 20_000,
    stressLibrary: 20,
    // A curve is one stress run per step (≈ 0.5 s cold per 100k accounts, cached per book version):
    // at most four per operation under the default maxCost.
    liquidationCurve: 12_000,
    accountHistory: 50,
    systemHistory: 100,
    // The Aave markets are screened once per read and environment (~2 µs per account, shared by
    // every request of that tick); these evaluate exactly only the accounts they return.
    exposure: 5,
    badDebt: 5,
    aaveEndangered: 5,
    // The Aave markets' cascade under the parent scenario (cached per read): a base here, plus
    // perDomainAccount below (~4 ms per 1,000 Aave accounts with the screened cascade, bench:risk).
    domainStress: 200,
  },
  pagedDefaults: { accounts: 50, endangeredAccounts: 50, tierChanges: 50, shortfalls: 10, aaveEndangered: 50 },
  listEstimate: 5,
  lists: LIST_FIELDS,
  bucketed: {
    accountHistory: { perBucket: 200, perBucketPerAccount: 0 },
    systemHistory: { perBucket: 200, perBucketPerAccount: 0.05 },
  },
  perDomainAccount: { domainStress: 0.04 },
  timeTravel: 2_000,
  maxPageSize: 500,
  maxBuckets: 2000,
};

export type OperationLimits = Pick<
  ApiLimits,
  "maxTokens" | "maxDepth" | "maxIntrospectionDepth" | "maxAliases" | "maxDirectives" | "maxStructureCost" | "maxCost" | "maxPageSize" | "maxHistoryBuckets"
>;

export interface OperationLimitsOptions {
  model?: CostModel;
  /** accounts in the book, for systemHistory's cost (default 0) */
  accounts?: () => number;
  /** accounts in the protocols' margin domains, for domainStress's cost (default 0) */
  domainAccounts?: () => number;
}

export function useOperationLimits(limits: OperationLimits, options: OperationLimitsOptions = {}): Plugin {
  const model: CostModel = { ...(options.model ?? DEFAULT_COST_MODEL), maxPageSize: limits.maxPageSize, maxBuckets: limits.maxHistoryBuckets };
  const accounts = options.accounts ?? (() => 0);
  const domainAccounts = options.domainAccounts ?? (() => 0);
  const rules = armorRules(limits);
  const costCheck = ({ args, setResultAndStopExecution }: { args: { document: DocumentNode; variableValues?: unknown; operationName?: string | null }; setResultAndStopExecution: (r: { errors: GraphQLError[] }) => void }) => {
    const error = checkCost(args.document, (args.variableValues ?? {}) as Record<string, unknown>, args.operationName, limits.maxCost, model, accounts(), domainAccounts());
    if (error) setResultAndStopExecution({ errors: [error] });
  };
  return {
    onParse({ setParseFn }) {
      setParseFn((source, parseOptions) => parseWithTokenLimit(source, parseOptions, limits.maxTokens));
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
    onExecute: costCheck,
    onSubscribe: costCheck,
  };
}

/** Parses with armor's token-counting lexer; the limit and syntax errors become coded errors. */
export function parseWithTokenLimit(source: string | { body: string }, parseOptions: object | undefined, maxTokens: number): DocumentNode {
  const tooMany = () => {
    throw apiError("TOKEN_LIMIT", `The document has more than ${maxTokens} tokens (names, punctuation, values); at most ${maxTokens} are accepted. Send a smaller query.`, {
      max: maxTokens,
    });
  };
  try {
    const parser = new MaxTokensParserWLexer(source as string, { ...parseOptions, n: maxTokens, propagateOnRejection: false, onReject: [tooMany] } as never);
    return parser.parseDocument() as unknown as DocumentNode;
  } catch (error) {
    if (isCoded(error)) throw error;
    throw apiError("GRAPHQL_PARSE_FAILED", (error as Error).message);
  }
}

function isCoded(error: unknown): boolean {
  return typeof (error as { extensions?: { code?: unknown } })?.extensions?.code === "string";
}

/** The number armor found ("… exceeded, found 12."): armor reports it only in its message. */
function found(error: GraphQLError): number {
  const m = /found (\d+(?:\.\d+)?)/.exec(error.message);
  return m ? Math.round(Number(m[1])) : NaN;
}

/** Armor's rejection reported as our coded error on the validation context. */
function refuse(code: ApiErrorCode, message: (n: number) => string, max: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const n = found(error);
    context?.reportError(apiError(code, message(n), { found: n, max }));
  };
}

/**
 * A literal `first` outside 1..maxPageSize is refused at validation with the resolver's own
 * message (LIMIT_EXCEEDED), before armor's structural cost multiplies by it: the client learns the
 * page cap, not a cost. Runs at the operation's entry, ahead of armor's rules.
 */
function pageSizeRule(maxPageSize: number, refused: WeakSet<object>): ValidationRule {
  return (context) => ({
    OperationDefinition: {
      enter(operation) {
        const seen = new Set<string>();
        const bad = findBadFirst(operation.selectionSet, context, maxPageSize, seen);
        if (bad === null) return;
        refused.add(context);
        context.reportError(apiError("LIMIT_EXCEEDED", `'first' is ${bad}; expected an integer from 1 to ${maxPageSize}.`, { argument: "first", max: maxPageSize }));
      },
    },
  });
}

function findBadFirst(set: SelectionSetNode, context: ValidationContext, max: number, seen: Set<string>): string | null {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      const first = s.arguments?.find((a) => a.name.value === "first")?.value;
      if (first?.kind === Kind.INT && !(Number(first.value) >= 1 && Number(first.value) <= max)) return first.value;
      if (s.selectionSet) {
        const bad = findBadFirst(s.selectionSet, context, max, seen);
        if (bad !== null) return bad;
      }
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      const bad = findBadFirst(s.selectionSet, context, max, seen);
      if (bad !== null) return bad;
    } else if (!seen.has(s.name.value)) {
      seen.add(s.name.value); // each fragment once
      const fragment = context.getFragment(s.name.value);
      const bad = fragment ? findBadFirst(fragment.selectionSet, context, max, seen) : null;
      if (bad !== null) return bad;
    }
  }
  return null;
}

function armorRules(limits: OperationLimits): ValidationRule[] {
  const quiet = { propagateOnRejection: false, exposeLimits: true } as const;
  /** validation contexts whose operation was already refused for its page size */
  const refused = new WeakSet<object>();
  return [
    pageSizeRule(limits.maxPageSize, refused),
    maxDepthRule({
      ...quiet,
      n: limits.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      onReject: [refuse("DEPTH_LIMIT", (d) => `Query depth ${d} exceeds the limit of ${limits.maxDepth}; select fewer nested fields (at most ${limits.maxDepth} levels).`, limits.maxDepth)],
    }),
    // Introspection is deeper by nature (GraphiQL's query is 15 levels): its own, higher limit.
    maxDepthRule({
      ...quiet,
      n: limits.maxIntrospectionDepth,
      ignoreIntrospection: false,
      flattenFragments: true,
      onReject: [
        refuse(
          "DEPTH_LIMIT",
          (d) => `Query depth ${d}, introspection included, exceeds the limit of ${limits.maxIntrospectionDepth}; at most ${limits.maxIntrospectionDepth} levels are accepted.`,
          limits.maxIntrospectionDepth,
        ),
      ],
    }),
    maxAliasesRule({
      ...quiet,
      n: limits.maxAliases,
      onReject: [refuse("ALIAS_LIMIT", (a) => `The operation uses ${a} aliases (fragments counted per use); at most ${limits.maxAliases} are allowed.`, limits.maxAliases)],
    }),
    maxDirectivesRule({
      ...quiet,
      n: limits.maxDirectives,
      onReject: [refuse("DIRECTIVE_LIMIT", (n) => `The operation uses ${n} directives (fragments counted per use); at most ${limits.maxDirectives} are allowed.`, limits.maxDirectives)],
    }),
    costLimitRule({
      ...quiet,
      maxCost: limits.maxStructureCost,
      ignoreIntrospection: false,
      onReject: [
        (context, error) => {
          if (context && refused.has(context)) return;
          refuse(
            "COST_LIMIT",
            (c) =>
              `The operation's structural cost ${c} (every field and fragment use, introspection included, weighted by depth) exceeds the limit of ${limits.maxStructureCost}; select fewer nested fields or fragment uses.`,
            limits.maxStructureCost,
          )(context, error);
        },
      ],
    }),
  ] as unknown as ValidationRule[];
}

function operationsOf(document: DocumentNode): OperationDefinitionNode[] {
  return document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
  return out;
}

/** The field cost of the operation that will run, or a COST_LIMIT error. */
export function checkCost(
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | null | undefined,
  maxCost: number,
  model: CostModel,
  accounts = 0,
  domainAccounts = 0,
): GraphQLError | null {
  const ops = operationsOf(document);
  const operation = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!operation) return null;
  const cost = operationCost({ operation, fragments: fragmentsOf(document), variables, model, accounts, domainAccounts, max: maxCost });
  if (cost > maxCost) {
    const shown = cost >= 1e15 ? "above 10^15" : String(Math.round(cost));
    return apiError(
      "COST_LIMIT",
      `The operation's estimated cost is at least ${shown}, above the limit of ${maxCost}; ask for fewer items (smaller 'first'), fewer history buckets (larger bucketSeconds or a shorter window), fewer time-travel lookups or fewer nested fields.`,
      { cost: Math.min(Math.round(cost), 1e15), max: maxCost },
    );
  }
  return null;
}
