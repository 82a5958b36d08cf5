/**
 * graphql-armor-style limits as one yoga plugin: tokens (checked by the parser itself, so a huge
 * document is abandoned early), depth, aliases, and estimated cost (variables included). Each
 * rejection is a coded error with HTTP 400 that names the limit and the value found.
 */
import { parse, type DocumentNode, type GraphQLError } from "graphql/index.js";
import type { Plugin } from "graphql-yoga";
import { apiError } from "../errors.js";
import type { ApiLimits } from "../limits.js";
import { aliasesOf, costOf, depthOf, fragmentsOf, operationsOf, type CostModel } from "./operationShape.js";

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
  },
  pagedDefaults: { accounts: 50, endangeredAccounts: 50, tierChanges: 50, shortfalls: 10 },
  listEstimate: 5,
  bucketed: new Set(["accountHistory", "systemHistory"]),
  maxPageSize: 500,
  maxBuckets: 2000,
};

export function useOperationLimits(
  limits: Pick<ApiLimits, "maxTokens" | "maxDepth" | "maxAliases" | "maxCost" | "maxPageSize" | "maxHistoryBuckets">,
  baseModel: CostModel = DEFAULT_COST_MODEL,
): Plugin {
  const costModel: CostModel = { ...baseModel, maxPageSize: limits.maxPageSize, maxBuckets: limits.maxHistoryBuckets };
  return {
    onParse({ setParseFn, params }) {
      setParseFn((source, options) => {
        try {
          return parse(source, { ...options, maxTokens: limits.maxTokens });
        } catch (error) {
          const message = (error as Error).message;
          if (message.includes(`more that ${limits.maxTokens} tokens`) || message.includes(`more than ${limits.maxTokens} tokens`)) {
            throw apiError("TOKEN_LIMIT", `The document has more than ${limits.maxTokens} tokens; send a smaller query.`, {
              max: limits.maxTokens,
            });
          }
          throw apiError("GRAPHQL_PARSE_FAILED", message);
        }
      });
      void params;
    },
    onValidate({ params, setResult }) {
      const error = checkShape(params.documentAST, limits);
      if (error) setResult([error]);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = checkCost(args.document, (args.variableValues ?? {}) as Record<string, unknown>, args.operationName, limits.maxCost, costModel);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = checkCost(args.document, (args.variableValues ?? {}) as Record<string, unknown>, args.operationName, limits.maxCost, costModel);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** Depth and alias limits over every operation of the document. */
export function checkShape(document: DocumentNode, limits: Pick<ApiLimits, "maxDepth" | "maxAliases">): GraphQLError | null {
  const fragments = fragmentsOf(document);
  for (const op of operationsOf(document)) {
    const depth = depthOf(op.selectionSet, fragments);
    if (depth > limits.maxDepth) {
      return apiError("DEPTH_LIMIT", `Query depth ${depth} exceeds the limit of ${limits.maxDepth}; select fewer nested fields.`, {
        depth,
        max: limits.maxDepth,
      });
    }
    const aliases = aliasesOf(op.selectionSet, fragments);
    if (aliases > limits.maxAliases) {
      return apiError("ALIAS_LIMIT", `The operation uses ${aliases} aliases; at most ${limits.maxAliases} are allowed.`, {
        aliases,
        max: limits.maxAliases,
      });
    }
  }
  return null;
}

export function checkCost(
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | null | undefined,
  maxCost: number,
  model: CostModel,
): GraphQLError | null {
  const ops = operationsOf(document);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op) return null;
  const cost = costOf(op.selectionSet, fragmentsOf(document), variables, model);
  if (cost > maxCost) {
    return apiError(
      "COST_LIMIT",
      `The operation's estimated cost ${Math.round(cost)} exceeds the limit of ${maxCost}; ask for fewer items (smaller 'first') or fewer nested fields.`,
      { cost: Math.round(cost), max: maxCost },
    );
  }
  return null;
}
