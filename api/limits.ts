/**
 * The API's safety limits in one place. The values are defaults; `createApi` takes overrides.
 * Depth counts nested selection sets; `maxDepth` leaves `__schema` out (so GraphiQL works) and
 * `maxIntrospectionDepth` counts everything.
 */
export interface ApiLimits {
  /** page size cap for lists (`first`) */
  maxPageSize: number;
  /** default page size when `first` is omitted */
  defaultPageSize: number;
  /** history buckets per query */
  maxHistoryBuckets: number;
  /** nested selection depth, introspection (`__schema`) not counted */
  maxDepth: number;
  /** nested selection depth with introspection counted (GraphiQL's introspection query is 15) */
  maxIntrospectionDepth: number;
  /** aliased fields per operation, fragments counted per use */
  maxAliases: number;
  /** directives per operation, fragments counted per use */
  maxDirectives: number;
  /** lexical tokens per document (checked while parsing, so a huge document is not fully parsed) */
  maxTokens: number;
  /**
   * graphql-armor's structural cost (objects 2, scalars 1, ×1.5 per level, × a literal `first`),
   * over every field and fragment use, introspection included. GraphiQL's introspection is ~87,000.
   */
  maxStructureCost: number;
  /** this API's estimated cost per operation (see plugins/fieldCost.ts and DEFAULT_COST_MODEL) */
  maxCost: number;
  /** wall-clock time per request in ms; the answer is then a TIMEOUT error */
  requestTimeoutMs: number;
  /** request body in bytes */
  maxBodyBytes: number;
  /** shocks per stress scenario */
  maxShocks: number;
  /** SSE subscriptions served at once by one process */
  maxSubscriptions: number;
  /** SSE subscriptions at once from one client (remote address) */
  maxSubscriptionsPerClient: number;
  /** distinct `endangeredAccounts(maxHealthFactor)` thresholds at once (the book diffs each per update) */
  maxEndangeredThresholds: number;
  /** a `system` subscription gets at most one snapshot (the newest) per this many ms; 0 = every book update */
  systemPushIntervalMs: number;
  /** estimated bytes of parsed documents kept (about 64 bytes per source character) */
  parseCacheBytes: number;
  /** estimated bytes of compiled queries kept (about 3.2 KB per field after fragments are expanded) */
  compiledCacheBytes: number;
  /** fields (fragments expanded per use) above which a document runs on graphql-js, not compiled */
  maxCompiledFields: number;
}

export const API_LIMITS: ApiLimits = {
  maxPageSize: 500,
  defaultPageSize: 50,
  maxHistoryBuckets: 2000,
  maxDepth: 10,
  maxIntrospectionDepth: 15,
  maxAliases: 30,
  maxDirectives: 20,
  maxTokens: 2000,
  maxStructureCost: 250_000,
  maxCost: 50_000,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 64 * 1024,
  maxShocks: 64,
  maxSubscriptions: 10_000,
  maxSubscriptionsPerClient: 100,
  maxEndangeredThresholds: 32,
  systemPushIntervalMs: 1000,
  parseCacheBytes: 16 * 1024 * 1024,
  compiledCacheBytes: 64 * 1024 * 1024,
  maxCompiledFields: 2_000,
};
