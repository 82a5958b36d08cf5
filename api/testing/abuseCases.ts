/**
 * Hostile requests against the risk API, as data another suite can replay against any server
 * (api/abuse.test.ts runs them in process over real HTTP; a full-stack suite can run the same list
 * against `npm start`). Each case is a batch of HTTP requests sent together and what every
 * refused one must answer: its `extensions.code`, and its status under each media type of the
 * GraphQL-over-HTTP spec (`application/graphql-response+json`: the real 4xx; `application/json`:
 * 200 for a well-formed GraphQL request, 4xx for one that is not, e.g. invalid JSON).
 */
export interface AbuseRequest {
  method: "GET" | "POST";
  /** path and query, e.g. "/graphql" */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface AbuseExpectation {
  /** `extensions.code` of the first error of every refused answer; null: the requests are accepted */
  code: string | null;
  /** status under `Accept: application/graphql-response+json` */
  status: number;
  /** status under `Accept: application/json` */
  statusJson: number;
}

export interface AbuseCase {
  name: string;
  /** the requests of the case, for a server whose book holds `account` (an address it knows) */
  requests(input: AbuseInput): AbuseRequest[];
  expect: AbuseExpectation;
  /** how many requests are in flight at once (default: all) */
  concurrency?: number;
  /** only when accepted: how many of the requests may be refused with this code instead (e.g. time limit) */
  mayRefuse?: string;
}

export interface AbuseInput {
  /** an address the book knows */
  account: string;
  /** the server's "now" (unix seconds) and a month of history before it */
  now: number;
  /** the media type the runner wants answers in */
  accept: "application/graphql-response+json" | "application/json";
}

/** A liveness query and what it must answer. */
export const LIVENESS = { query: "{ asOf { now } }", check: (body: unknown) => typeof (body as { data?: { asOf?: { now?: unknown } } })?.data?.asOf?.now === "number" };

const post = (input: AbuseInput, body: unknown, extra: Record<string, string> = {}): AbuseRequest => ({
  method: "POST",
  path: "/graphql",
  headers: { "content-type": "application/json", accept: input.accept, ...extra },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const query = (input: AbuseInput, text: string, variables?: Record<string, unknown>) => post(input, { query: text, ...(variables ? { variables } : {}) });

/** Each fragment spreads the next twice (one nesting level per fragment); the last selects a scalar. */
export function fanOutDocument(levels: number, on: "System" | "__Type"): string {
  let fragments = "";
  if (on === "System") {
    for (let i = 1; i < levels; i++) fragments += `fragment F${i} on System { ...F${i + 1} ...F${i + 1} }\n`;
    return `{ system { ...F1 } }\n${fragments}fragment F${levels} on System { action }`;
  }
  for (let i = 1; i < levels; i++) fragments += `fragment F${i} on __Type { ofType { ...F${i + 1} } ...F${i + 1} }\n`;
  return `{ __schema { types { ...F1 } } }\n${fragments}fragment F${levels} on __Type { name }`;
}

/**
 * 12 aliased fields, distinct per `i` (the churn shape): graphql-jit compiles each one
 * (~100 KB measured), so 1,000 of them would hold ~100 MB in an entry-bounded cache.
 */
export function churnDocument(i: number, account: string): string {
  return `{ ${Array.from({ length: 12 }, (_, j) => (j === 0 ? `d${i}_${j}: account(address: "${account}") { tier }` : `d${i}_${j}: asOf { now }`)).join(" ")} }`;
}

const refused = (code: string, status: number, statusJson = 200): AbuseExpectation => ({ code, status, statusJson });

export const ABUSE_CASES: AbuseCase[] = [
  {
    name: "fragment fan-out, 24 levels over System (~1 KB, 2^23 uses)",
    requests: (i) => [query(i, fanOutDocument(24, "System"))],
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "fragment fan-out, 13 levels inside introspection",
    requests: (i) => [query(i, fanOutDocument(13, "__Type"))],
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "fragment fan-out, 24 levels inside introspection, 20 at once",
    requests: (i) => Array.from({ length: 20 }, () => query(i, fanOutDocument(24, "__Type"))),
    // 26 levels deep once expanded: the depth limit speaks first (the structural cost follows)
    expect: refused("DEPTH_LIMIT", 400),
  },
  {
    name: "introspection depth bomb (__type ofType × 30)",
    requests: (i) => [query(i, `{ __type(name: "Account") { ${"ofType { ".repeat(30)}name${" }".repeat(30)} } }`)],
    expect: refused("DEPTH_LIMIT", 400),
  },
  {
    name: "introspection alias bomb (200 × __schema)",
    requests: (i) => [query(i, `{ ${Array.from({ length: 200 }, (_, n) => `s${n}: __schema { types { name } }`).join(" ")} }`)],
    expect: refused("ALIAS_LIMIT", 400),
  },
  {
    name: "directive bomb (100 × @include)",
    requests: (i) => [query(i, `{ asOf { now ${"@include(if: true) ".repeat(100)} } }`)],
    expect: refused("DIRECTIVE_LIMIT", 400),
  },
  {
    name: "deep nesting (600 levels)",
    requests: (i) => [query(i, `{ ${"system { ".repeat(600)}action${" }".repeat(600)} }`)],
    expect: refused("DEPTH_LIMIT", 400),
  },
  {
    name: "token bomb (5,000 tokens)",
    requests: (i) => [query(i, `{ asOf { ${"now ".repeat(5000)} } }`)],
    expect: refused("TOKEN_LIMIT", 400),
  },
  {
    name: "cost bypass through a variable's default value",
    requests: (i) => [
      query(i, "query($n: Int = 500) { accounts(first: $n) { nodes { report { chains { collateral { amount valueUsd haircut } debt { amount } positions { size } } } } } }"),
    ],
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "history flood: accountHistory with 2,000 buckets over 30 days, 10 at once",
    requests: (i) =>
      Array.from({ length: 10 }, () =>
        query(i, `query($a: String!, $f: Int!, $t: Int!) { accountHistory(address: $a, from: $f, to: $t, bucketSeconds: 1296) { time tier } }`, {
          a: i.account,
          f: i.now - 2_591_999,
          t: i.now,
        }),
      ),
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "history flood: systemHistory with 2,000 buckets over 30 days",
    requests: (i) => [query(i, `{ systemHistory(from: ${i.now - 2_591_999}, to: ${i.now}, bucketSeconds: 1296) { time deficiencyUsd } }`)],
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "time-travel flood: 30 aliased account(at:) in one operation",
    requests: (i) => [
      query(i, `{ ${Array.from({ length: 30 }, (_, n) => `t${n}: account(address: "${i.account}", at: ${i.now - 86_400 * (n + 1)}) { tier }`).join(" ")} }`),
    ],
    expect: refused("COST_LIMIT", 400),
  },
  {
    name: "time-travel flood: 4 requests of 20 account(at:) each, accepted (or stopped by the time limit)",
    requests: (i) =>
      Array.from({ length: 4 }, (_, r) =>
        query(i, `{ ${Array.from({ length: 20 }, (_, n) => `t${n}: account(address: "${i.account}", at: ${i.now - 3600 * (r * 20 + n + 1)}) { tier }`).join(" ")} }`),
      ),
    concurrency: 2,
    expect: { code: null, status: 200, statusJson: 200 },
    mayRefuse: "TIMEOUT",
  },
  {
    name: "cache churn: 1,000 distinct documents of 12 aliases, each compiled",
    requests: (i) => Array.from({ length: 1000 }, (_, n) => query(i, churnDocument(n, i.account))),
    concurrency: 8,
    expect: { code: null, status: 200, statusJson: 200 },
  },
  {
    name: "huge body (1 MB)",
    requests: (i) => [post(i, { query: "{ asOf { now } }", variables: { pad: "x".repeat(1024 * 1024) } })],
    expect: refused("BODY_LIMIT", 413, 413),
  },
  {
    name: "bad JSON",
    requests: (i) => [post(i, '{ "query": "{ asOf { now } }", ')],
    expect: refused("BAD_REQUEST", 400, 400),
  },
  {
    name: "batched operations (a JSON array of 100)",
    requests: (i) => [post(i, Array.from({ length: 100 }, () => ({ query: "{ asOf { now } }" })))],
    expect: refused("BAD_REQUEST", 400, 400),
  },
  {
    name: "invalid accounts(after:) cursor",
    requests: (i) => [query(i, '{ accounts(after: "not-a-cursor") { totalCount } }')],
    expect: refused("BAD_CURSOR", 400),
  },
  {
    name: "a 79-digit latencyMultiplier",
    requests: (i) => [query(i, `{ stress(scenario: { shocks: [], latencyMultiplier: "1${"0".repeat(78)}" }) { deficiencyUsd } }`)],
    expect: refused("BAD_SCENARIO", 400),
  },
];

/** Subscriptions opened by one client at once, above the per-client cap. */
export const SUBSCRIPTION_FLOOD = {
  name: "subscription flood: one client opens more SSE streams than its cap",
  code: "LIMIT_EXCEEDED",
  request: (input: Pick<AbuseInput, "account">, n: number): AbuseRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query: `subscription { accountHealth(address: "${input.account}") { tier } }`, extensions: { n } }),
  }),
  /** distinct endangered thresholds, above the threshold cap */
  threshold: (n: number): AbuseRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query: `subscription { endangeredAccounts(maxHealthFactor: "${(1 + n / 1000).toFixed(3)}") { left } }` }),
  }),
};
