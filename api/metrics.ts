/**
 * Prometheus metrics of the risk book, read from the book at scrape time (nothing to keep in
 * sync). Served at /metrics/risk in the text exposition format; also registered into Ponder's
 * own prom-client registry when the API runs inside Ponder, so they appear on /metrics too.
 *
 * No prom-client import: the gauges are duck-typed objects with the `get()` shape prom-client's
 * Registry expects, so Ponder's registry renders them and we render them ourselves the same way.
 */
import type { RiskBookView } from "./book/types.js";
import type { BookHub } from "./hub.js";

export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
}

export interface RiskMetric {
  name: string;
  help: string;
  type: "gauge" | "counter";
  aggregator: "sum" | "max" | "first";
  /** prom-client calls this at scrape time */
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: string }>;
}

function gauge(
  name: string,
  help: string,
  read: () => MetricValue[],
  type: "gauge" | "counter" = "gauge",
  aggregator: RiskMetric["aggregator"] = "first",
): RiskMetric {
  return {
    name,
    help,
    type,
    aggregator,
    async get() {
      let values: MetricValue[];
      try {
        values = read();
      } catch {
        values = []; // the book is not ready yet: no sample rather than a failed scrape
      }
      return { name, help, type, values, aggregator };
    },
  };
}

export function riskMetrics(book: RiskBookView, hub: BookHub): RiskMetric[] {
  return [
    gauge("xmargin_accounts", "Accounts per risk tier.", () =>
      Object.entries(book.system().accountsPerTier).map(([tier, n]) => ({ labels: { tier }, value: n })),
    ),
    gauge("xmargin_book_accounts", "Accounts held by the risk book.", () => [{ labels: {}, value: book.stats().accounts }]),
    gauge("xmargin_deficiency_usd", "Realised deficiency D0 = sum of max(0, -equity), USD.", () => [
      { labels: {}, value: book.system().deficiencyUsd.toNumber() },
    ]),
    gauge("xmargin_worst_deficiency_usd", "Deficiency under the worst stress scenario, USD.", () => [
      { labels: {}, value: book.system().worstDeficiencyUsd.toNumber() },
    ]),
    gauge("xmargin_insurance_fund_usd", "Insurance fund balance, USD.", () => [{ labels: {}, value: book.system().insuranceFundUsd.toNumber() }]),
    gauge("xmargin_coverage_ratio", "Insurance fund / worst scenario deficiency (absent when that deficiency is 0).", () => {
      const cr = book.system().coverageRatio;
      return cr === null ? [] : [{ labels: {}, value: cr.toNumber() }];
    }),
    gauge("xmargin_system_action", "1 for the system action now due, 0 for the others.", () => {
      const action = book.system().action;
      return ["NORMAL", "RAISE_MARGINS", "REDUCE_MAX_LEVERAGE", "HALT"].map((a) => ({ labels: { action: a }, value: a === action ? 1 : 0 }));
    }),
    gauge("xmargin_chain_lag_seconds", "Seconds since the last indexed block per chain.", () =>
      book.chains().map((c) => ({ labels: { chain: c.name, chain_id: c.chainId }, value: c.lagSeconds })),
    ),
    gauge("xmargin_chain_block", "Last indexed block per chain.", () =>
      book.chains().map((c) => ({ labels: { chain: c.name, chain_id: c.chainId }, value: Number(c.blockNumber) })),
    ),
    gauge("xmargin_chain_stale", "1 when a chain's data lag exceeds its maximum.", () =>
      book.chains().map((c) => ({ labels: { chain: c.name, chain_id: c.chainId }, value: c.stale ? 1 : 0 })),
    ),
    gauge("xmargin_book_update_ms", "Duration of the last risk-book update, ms.", () => [{ labels: {}, value: book.stats().lastUpdateMs }]),
    gauge(
      "xmargin_book_updates_total",
      "Risk-book updates since start.",
      () => [{ labels: {}, value: book.stats().updates }],
      "counter",
      "sum",
    ),
    gauge("xmargin_book_last_update_timestamp_seconds", "Unix time of the last risk-book update.", () => {
      const at = book.stats().lastUpdateAt;
      return at === null ? [] : [{ labels: {}, value: at > 1e11 ? at / 1000 : at }];
    }),
    gauge("xmargin_api_subscriptions", "Open GraphQL subscriptions in this process.", () => [{ labels: {}, value: hub.size() }], "gauge", "sum"),
  ];
}

function escapeLabel(v: string | number): string {
  return String(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Prometheus text exposition format 0.0.4. */
export async function renderMetrics(metrics: readonly RiskMetric[]): Promise<string> {
  const blocks: string[] = [];
  for (const m of metrics) {
    const { values } = await m.get();
    const lines = [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`];
    for (const v of values) {
      const labels = Object.entries(v.labels).map(([k, val]) => `${k}="${escapeLabel(val)}"`);
      lines.push(`${m.name}${labels.length ? `{${labels.join(",")}}` : ""} ${formatValue(v.value)}`);
    }
    blocks.push(lines.join("\n"));
  }
  return `${blocks.join("\n\n")}\n`;
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface RegistryLike {
  registerMetric(metric: unknown): void;
  removeSingleMetric?(name: string): void;
}

/**
 * Registers the metrics into Ponder's prom-client registry when reachable
 * (`globalThis.PONDER_COMMON.metrics.registry`, set by Ponder before it loads the API). Returns
 * whether it did; a reload replaces the previous registration of the same names.
 */
export function registerIntoPonder(metrics: readonly RiskMetric[]): boolean {
  const registry = (globalThis as { PONDER_COMMON?: { metrics?: { registry?: RegistryLike } } }).PONDER_COMMON?.metrics?.registry;
  if (!registry || typeof registry.registerMetric !== "function") return false;
  try {
    for (const m of metrics) {
      registry.removeSingleMetric?.(m.name);
      registry.registerMetric(m);
    }
    return true;
  } catch {
    return false;
  }
}
