/**
 * The API's safety limits in one place. The values are defaults; `createApi` takes overrides.
 * Depth counts nested selection sets (introspection fields are not counted, so GraphiQL works).
 */
export interface ApiLimits {
  /** page size cap for lists (`first`) */
  maxPageSize: number;
  /** default page size when `first` is omitted */
  defaultPageSize: number;
  /** history buckets per query */
  maxHistoryBuckets: number;
  /** nested selection depth */
  maxDepth: number;
  /** aliased fields per operation */
  maxAliases: number;
  /** lexical tokens per document (checked while parsing, so a huge document is not fully parsed) */
  maxTokens: number;
  /** estimated cost per operation (see plugins/useCostLimit.ts) */
  maxCost: number;
  /** wall-clock time per request in ms; the answer is then a TIMEOUT error */
  requestTimeoutMs: number;
  /** request body in bytes */
  maxBodyBytes: number;
  /** shocks per stress scenario */
  maxShocks: number;
  /** SSE subscriptions served at once by one process */
  maxSubscriptions: number;
}

export const API_LIMITS: ApiLimits = {
  maxPageSize: 500,
  defaultPageSize: 50,
  maxHistoryBuckets: 2000,
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 2000,
  maxCost: 50_000,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 64 * 1024,
  maxShocks: 64,
  maxSubscriptions: 10_000,
};
