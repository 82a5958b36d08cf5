/**
 * The risk API over one risk book: graphql-yoga with the schema, limits, error masking, offline
 * GraphiQL, SSE subscriptions (one book listener fanned out), and Prometheus metrics. It only
 * reads the book, so any number of processes (ponder start, ponder serve replicas) can run it.
 */
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createSchema, createYoga, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import type { Hono } from "hono";
import { ByteLru } from "./cache/byteLru.js";
import type { DomainView } from "./domains/domainView.js";
import { createContextFactory, type ApiBook, type ApiContext, type ServerContext } from "./context.js";
import { API_ERROR_STATUS, maskApiError } from "./errors.js";
import { createBookHub, type BookHub } from "./hub.js";
import { createApiLogger } from "./logger.js";
import { API_LIMITS, type ApiLimits } from "./limits.js";
import { METRICS_CONTENT_TYPE, registerIntoPonder, renderMetrics, riskMetrics, type RiskMetric } from "./metrics.js";
import { useCompiledExecution } from "./plugins/useCompiledExecution.js";
import { useOperationLimits } from "./plugins/useOperationLimits.js";
import { answerOnNode, declaredBodyLength, nodeBindingsOf, takesNodePath, type NodeBindings } from "./nodePath.js";
import { corsFor, parseOrigins } from "./origins.js";
import { useTimeLimit } from "./plugins/useTimeLimit.js";
import { resolvers } from "./resolvers/index.js";
import { typeDefs } from "./schema/typeDefs.js";

export interface CreateApiOptions {
  book: ApiBook;
  /** The protocols' margin domains (api/domains/); without it the domain fields answer the vault alone. */
  domains?: DomainView | null;
  /** Mask unexpected errors ("Unexpected error.", code INTERNAL). Default: on unless NODE_ENV is "development". */
  production?: boolean;
  limits?: Partial<ApiLimits>;
  /** The path yoga answers on (default "/graphql"). */
  graphqlEndpoint?: string;
  /** How many accounts the first event of an endangered subscription lists (default 10,000). */
  endangeredCap?: number;
  /** Default: client mistakes silent, server errors to the console with URLs redacted. */
  logger?: YogaLogger;
  /**
   * Browser origins allowed cross-origin (CORS, with credentials). Default: env
   * `XMARGIN_API_ORIGINS` (comma-separated, validated); empty = same-origin only.
   */
  origins?: readonly string[];
}

export interface XmarginApi {
  yoga: YogaServerInstance<Record<string, unknown>, ApiContext>;
  hub: BookHub;
  limits: ApiLimits;
  metrics: RiskMetric[];
  /** Answers a GraphQL request (GET GraphiQL/query, POST, SSE); enforces the body limit. */
  handle(request: Request, server?: ServerContext): Promise<Response>;
  /**
   * Answers a plain POST query straight on Node's request and response (api/nodePath.ts) and
   * resolves to the "already sent" marker for Hono; null when the request is not one (use `handle`).
   */
  handleNode(bindings: NodeBindings): Promise<Response> | null;
  /** Prometheus text of the risk metrics. */
  metricsText(): Promise<string>;
  close(): void;
}

/** GraphiQL's first tab: system, the most endangered accounts, and one account in full (no address needed). */
export const DEFAULT_QUERY = `# xmargin risk API. Numbers are decimal strings; times are unix seconds.
# More examples are in the other tabs (the README's). Press the run button (or Ctrl-Enter).
{
  system {
    deficiencyUsd insuranceFundUsd coverageRatio cover1Usd cover2Usd action worstScenario
    accountsPerTier { safe marginCall liquidatable insolvent }
    chains { chainId name blockNumber lagSeconds stale horizonSeconds exposureUsd }
  }
  endangeredAccounts(maxHealthFactor: "1.2", first: 10) {
    nodes { address tier healthFactor equityUsd seizable { chainId asset valueUsd latencySeconds } }
  }
  accounts(first: 1, orderBy: HEALTH_FACTOR_ASC) {
    nodes { address report { tier healthFactor maintenanceHealthUsd equityUsd liquidationPrices { asset priceUsd } } }
  }
}
`;

/** The README's examples as GraphiQL tabs; the account tab asks about `address` (a real one when the book knows any). */
export function exampleTabs(address: string): { query: string; variables?: string }[] {
  return [
    { query: DEFAULT_QUERY },
    {
      query: `# One account across every chain
query Account($address: String!) {
  account(address: $address) {
    tier healthFactor maintenanceHealthUsd equityUsd degraded
    chains { chainId collateral { asset amount valueUsd haircut latency { configured measuredLag total } } }
    positions { chainId asset size entryPriceUsd markPriceUsd unrealizedPnlUsd requirementUsd }
    liquidationPrices { asset priceUsd }
    asOf { now chains { chainId blockNumber lagSeconds } }
  }
}
`,
      variables: JSON.stringify({ address }, null, 2),
    },
    {
      query: `# The liquidator's list, most endangered first
{ endangeredAccounts(maxHealthFactor: "1.05", first: 20) {
    nodes { address tier healthFactor seizable { chainId asset valueUsd latencySeconds } } } }
`,
    },
    {
      query: `# Stress: ETH −30%, chain 1337002 unreachable, latencies × 4
{ stress(scenario: { shocks: [{ asset: "ETH", pct: "-0.30" }], unreachableChains: [1337002], latencyMultiplier: "4" }) {
    deficiencyUsd rounds { round liquidatedAccounts liquidatedVolumeUsd deficiencyUsd } } }
`,
    },
    {
      query: `# Liquidation curve: deficiency and liquidations for ETH from 0 to −60%
{ liquidationCurve(asset: "ETH", maxShockPct: "0.6", steps: 12) {
    points { shockPct priceUsd deficiencyUsd liquidatedVolumeUsd liquidatedAccounts } } }
`,
    },
    {
      query: `# Live push (SSE): run it and watch accounts enter and leave
subscription { endangeredAccounts(maxHealthFactor: "1") { entered { address tier healthFactor } left } }
`,
    },
  ];
}

/** An address for the account example: the most endangered account, else any, else a placeholder. */
function sampleAddress(book: ApiBook): string {
  try {
    const top = book.endangered(Number.MAX_VALUE, 1)[0] ?? book.listAccounts({}, "ADDRESS_ASC", 1).entries[0];
    if (top) return top.address;
  } catch {
    // the book is still loading (NOT_READY): the placeholder below
  }
  return "0x0000000000000000000000000000000000000000";
}

/** The bundled GraphiQL (no CDN) is ~9 MB of inlined HTML: rendered once per example address. */
let graphiqlHtml: { key: string; html: string } | null = null;
function renderGraphiQLCached(opts: Parameters<typeof renderGraphiQL>[0]): string {
  const key = JSON.stringify(opts);
  if (graphiqlHtml?.key !== key) graphiqlHtml = { key, html: renderGraphiQL(opts) };
  return graphiqlHtml.html;
}

export function createApi(options: CreateApiOptions): XmarginApi {
  const limits: ApiLimits = { ...API_LIMITS, ...options.limits };
  const production = options.production ?? process.env.NODE_ENV !== "development";
  const hub = createBookHub(options.book, {
    maxSubscriptions: limits.maxSubscriptions,
    maxSubscriptionsPerClient: limits.maxSubscriptionsPerClient,
    maxEndangeredThresholds: limits.maxEndangeredThresholds,
    endangeredCap: options.endangeredCap ?? 10_000,
    systemPushIntervalMs: limits.systemPushIntervalMs,
  }, options.domains ?? null);
  const origins = options.origins ?? parseOrigins(process.env.XMARGIN_API_ORIGINS);
  const schema = createSchema<ApiContext>({ typeDefs, resolvers: resolvers as never }) as never;

  const yoga = createYoga<Record<string, unknown>, ApiContext>({
    schema,
    graphqlEndpoint: options.graphqlEndpoint ?? "/graphql",
    context: createContextFactory(options.book, hub, limits, options.domains ?? null),
    maskedErrors: { maskError: (error, message) => maskApiError(error, message, production) },
    // Yoga's GraphiQL opens on `query` (a URL's ?query= wins), not on `defaultQuery`.
    graphiql: () => ({ title: "xmargin risk API", query: DEFAULT_QUERY, defaultQuery: DEFAULT_QUERY, defaultTabs: exampleTabs(sampleAddress(options.book)) }),
    renderGraphiQL: renderGraphiQLCached,
    landingPage: false,
    batching: false,
    cors: corsFor(origins),
    // Parsed documents are kept by estimated bytes (~64 B of AST per source character, measured),
    // failed parses too; the validation cache is keyed weakly by those documents.
    parserAndValidationCache: {
      documentCache: new ByteLru<string, never>({ maxBytes: limits.parseCacheBytes, maxEntries: 1000, sizeOf: (_v, key) => 2048 + 64 * key.length }),
      errorCache: new ByteLru<string, never>({ maxBytes: limits.parseCacheBytes / 4, maxEntries: 1000, sizeOf: (_v, key) => 1024 + 2 * key.length }),
      validationCache: true,
    },
    logging: options.logger ?? createApiLogger(production ? "error" : "warn"),
    // compiled execution first: the time limit wraps the compiled function
    plugins: [
      useOperationLimits(limits, { accounts: () => options.book.stats().accounts, domainAccounts: () => options.domains?.accountCount() ?? 0 }),
      useCompiledExecution({ maxBytes: limits.compiledCacheBytes, maxFields: limits.maxCompiledFields }),
      useTimeLimit(limits.requestTimeoutMs),
    ],
  });

  const metrics = riskMetrics(options.book, hub);

  return {
    yoga,
    hub,
    limits,
    metrics,
    async handle(request, server = {}) {
      const limited = await limitBody(request, limits.maxBodyBytes);
      if (limited instanceof Response) return limited;
      return yoga.handle(limited, server as Record<string, unknown>) as Promise<Response>;
    },
    handleNode(bindings) {
      return takesNodePath(bindings.incoming, limits.maxBodyBytes) ? answerOnNode(yoga, bindings) : null;
    },
    metricsText: () => renderMetrics(metrics),
    close() {
      hub.close();
    },
  };
}

/** Mounts GET/POST/OPTIONS `path` (GraphQL, GraphiQL, SSE, CORS preflight) and GET `metricsPath` on a Hono app. */
export function mountApi(
  app: Hono,
  api: XmarginApi,
  { path = "/graphql", metricsPath = "/metrics/risk", intoPonderRegistry = true } = {},
): { ponderRegistry: boolean } {
  app.on(["GET", "POST", "OPTIONS"], path, (c) => {
    const node = nodeBindingsOf(c.env);
    return (node && api.handleNode(node)) ?? api.handle(c.req.raw, { remoteAddress: node?.incoming.socket.remoteAddress });
  });
  app.get(metricsPath, async () => new Response(await api.metricsText(), { headers: { "content-type": METRICS_CONTENT_TYPE } }));
  return { ponderRegistry: intoPonderRegistry ? registerIntoPonder(api.metrics) : false };
}

function bodyTooLarge(max: number, got: string): Response {
  const status = API_ERROR_STATUS.BODY_LIMIT;
  return new Response(
    JSON.stringify({
      errors: [{ message: `The request body is ${got} bytes; at most ${max} are accepted.`, extensions: { code: "BODY_LIMIT", http: { status } } }],
    }),
    // the rest of the body is never read: the connection cannot carry another request
    { status, headers: { "content-type": "application/json; charset=utf-8", connection: "close" } },
  );
}

/** Refuses bodies above `max` bytes without reading more than `max` + one chunk. */
async function limitBody(request: Request, max: number): Promise<Request | Response> {
  if (request.method !== "POST" || request.body === null) return request;
  const declared = declaredBodyLength(request.headers.get("content-length"));
  if (declared !== null) return declared > max ? bodyTooLarge(max, String(declared)) : request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      void reader.cancel();
      return bodyTooLarge(max, `more than ${max}`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
}
