/**
 * Query execution compiled per document with graphql-jit: the first request of a document compiles
 * it into one JavaScript function (field order, argument coercion and leaf serialization resolved
 * up front); every later request with the same document text (yoga's parser cache hands out the
 * same DocumentNode) runs that function instead of graphql-js walking the AST again. Subscriptions
 * keep graphql-js (this hooks only `onExecute`).
 *
 * A document graphql-jit cannot compile runs on graphql-js, so the plugin never turns a valid
 * query into an error; so does a request whose variables do not coerce (for the usual message). Compiled functions are cached per document and operation name; documents
 * are held weakly, and at most `maxDocuments` compiled queries are kept (oldest dropped first).
 */
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql/index.js";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

export interface CompiledExecutionOptions {
  /** how many compiled operations to keep (default 1,000) */
  maxDocuments?: number;
  /** called after each compilation with what graphql-jit made of it (null: it runs on graphql-js) */
  onCompile?: (operationName: string | null, compiled: CompiledQuery | null) => void;
}

/** `null`: graphql-jit refused the document; it runs on graphql-js. */
type Compiled = CompiledQuery | null;

export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin {
  const maxDocuments = options.maxDocuments ?? 1000;
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Compiled>>>();
  /** insertion order of cached (document, operation) pairs, to bound the cache */
  const order: { perDocument: Map<string, Compiled>; key: string }[] = [];

  function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Compiled {
    let byDocument = bySchema.get(schema);
    if (byDocument === undefined) bySchema.set(schema, (byDocument = new WeakMap()));
    let perDocument = byDocument.get(document);
    if (perDocument === undefined) byDocument.set(document, (perDocument = new Map()));
    const key = operationName ?? "";
    if (perDocument.has(key)) return perDocument.get(key)!;
    let compiled: Compiled = null;
    try {
      const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      compiled = isCompiledQuery(result) ? result : null;
    } catch {
      compiled = null;
    }
    perDocument.set(key, compiled);
    options.onCompile?.(operationName ?? null, compiled);
    order.push({ perDocument, key });
    if (order.length > maxDocuments) {
      const oldest = order.shift()!;
      oldest.perDocument.delete(oldest.key);
    }
    return compiled;
  }

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const compiled = compiledFor(args.schema, args.document, args.operationName);
      if (compiled === null) return;
      const document = args.document;
      const operationName = args.operationName;
      setExecuteFn((execArgs) => {
        const result = compiled.query(execArgs.rootValue, execArgs.contextValue, execArgs.variableValues as Record<string, unknown> | undefined) as
          | ExecutionResult
          | Promise<ExecutionResult>;
        // A request-level error (variables that do not coerce: no data at all) is rare; graphql-js
        // answers it again so its wording and locations are the usual ones.
        const finish = (r: ExecutionResult) => (r.data === undefined && r.errors ? executeFn(execArgs) : withFieldNodes(r, document, operationName));
        return result instanceof Promise ? result.then(finish) : finish(result);
      });
    },
  };
}

/**
 * graphql-jit's field errors carry `locations` but no AST nodes, and yoga rebuilds every error from
 * its nodes when it serializes: the errors get the field nodes their path points at, as graphql-js
 * gives them, so clients see the same `locations`.
 */
function withFieldNodes(result: ExecutionResult, document: DocumentNode, operationName: string | null | undefined): ExecutionResult {
  if (!result.errors || result.errors.length === 0) return result;
  const errors = result.errors.map((error) => {
    if (error.nodes || !error.path) return error;
    const nodes = fieldNodesAt(document, operationName, error.path);
    if (nodes.length === 0) return error;
    return new GraphQLError(error.message, { nodes, path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions });
  });
  return { ...result, errors };
}

/** The field nodes a response path points at (aliases, fragments and list indices followed). */
export function fieldNodesAt(document: DocumentNode, operationName: string | null | undefined, path: readonly (string | number)[]): FieldNode[] {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let sets: SelectionSetNode[] = [operation.selectionSet];
  let found: FieldNode[] = [];
  for (const key of path) {
    if (typeof key === "number") continue;
    found = [];
    const visit = (set: SelectionSetNode, seen: Set<string>) => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if ((s.alias ?? s.name).value === key) found.push(s);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          visit(s.selectionSet, seen);
        } else {
          const fragment = fragments.get(s.name.value);
          if (fragment && !seen.has(s.name.value)) visit(fragment.selectionSet, new Set(seen).add(s.name.value));
        }
      }
    };
    for (const set of sets) visit(set, new Set());
    sets = found.flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
  }
  return found;
}
