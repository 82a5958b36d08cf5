/**
 * Query execution compiled per document with graphql-jit: the first request of a document compiles
 * it into one JavaScript function (field order, argument coercion and leaf serialization resolved
 * up front); every later request with the same document text (yoga's parser cache hands out the
 * same DocumentNode) runs that function instead of graphql-js walking the AST again. Subscriptions
 * keep graphql-js (this hooks only `onExecute`).
 *
 * A document graphql-jit cannot compile runs on graphql-js, so the plugin never turns a valid
 * query into an error; so does a request whose variables do not coerce (for the usual message).
 * Compiled functions are cached per document and operation name, least recently used dropped
 * first, bounded by estimated bytes (`compiledBytes`) and by count. An operation that expands to
 * more than `maxFields` fields is not compiled at all (graphql-js merges repeated fragment uses;
 * graphql-jit would generate code for each).
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
import { ByteLru } from "../cache/byteLru.js";

export interface CompiledExecutionOptions {
  /** how many compiled operations to keep (default 1,000) */
  maxDocuments?: number;
  /** estimated bytes of compiled operations to keep (default 64 MB; see `compiledBytes`) */
  maxBytes?: number;
  /** an operation with more fields than this (fragments expanded per use) runs on graphql-js (default 2,000) */
  maxFields?: number;
  /** called after each compilation with what graphql-jit made of it (null: it runs on graphql-js) */
  onCompile?: (operationName: string | null, compiled: CompiledQuery | null) => void;
}

/** `null`: graphql-jit refused the document (or it is too large to compile); it runs on graphql-js. */
type Compiled = CompiledQuery | null;

/**
 * Estimated heap of one compiled operation: graphql-jit generates code per field use (fragments
 * inlined), measured at 2.8–3.5 KB per field on this schema (10.6 KB for `{ asOf { now } }`,
 * 1.4 MB for 12 aliases of a full account report).
 */
export function compiledBytes(fields: number): number {
  return 4096 + 3300 * fields;
}

export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin {
  const maxFields = options.maxFields ?? 2000;
  const cache = new ByteLru<string, { compiled: Compiled; fields: number }>({
    maxEntries: options.maxDocuments ?? 1000,
    maxBytes: options.maxBytes ?? 64 * 1024 * 1024,
    // a document that ran on graphql-js is remembered at the cost of its key only
    sizeOf: (v) => (v.compiled === null ? 256 : compiledBytes(v.fields)),
  });
  const schemaIds = new WeakMap<GraphQLSchema, number>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextId = 0;
  const idOf = <T extends object>(ids: WeakMap<T, number>, o: T): number => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = nextId++));
    return id;
  };

  function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Compiled {
    const key = `${idOf(schemaIds, schema)}:${idOf(documentIds, document)}:${operationName ?? ""}`;
    const known = cache.get(key);
    if (known !== undefined) return known.compiled;
    const fields = expandedFieldCount(document, operationName, maxFields);
    let compiled: Compiled = null;
    if (fields <= maxFields) {
      try {
        const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
        compiled = isCompiledQuery(result) ? result : null;
      } catch {
        compiled = null;
      }
    }
    cache.set(key, { compiled, fields });
    options.onCompile?.(operationName ?? null, compiled);
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

/**
 * Fields of the operation with every fragment use expanded (what graphql-jit generates code for),
 * memoised per fragment; counting stops once it passes `stopAbove`.
 */
export function expandedFieldCount(document: DocumentNode, operationName: string | null | undefined, stopAbove = Infinity): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const perFragment = new Map<string, number>();
  const count = (set: SelectionSetNode): number => {
    let n = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) n += 1 + (s.selectionSet ? count(s.selectionSet) : 0);
      else if (s.kind === Kind.INLINE_FRAGMENT) n += count(s.selectionSet);
      else {
        let f = perFragment.get(s.name.value);
        if (f === undefined) {
          perFragment.set(s.name.value, 0); // a cycle counts once (validation refuses it anyway)
          const fragment = fragments.get(s.name.value);
          f = fragment ? count(fragment.selectionSet) : 0;
          perFragment.set(s.name.value, f);
        }
        n += f;
      }
      if (n > stopAbove) return n;
    }
    return n;
  };
  return count(operation.selectionSet);
}
