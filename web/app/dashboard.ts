/** The dashboard page (/): system now, over time, liquidation curves, stress library, endangered accounts. */
import { gql, subscribe } from "./api.js";
import { lineChart, type ChartHandle } from "./charts.js";
import { el, pct, ratio, short, time, usd } from "./format.js";
import { state } from "./state.js";

const SYSTEM_FIELDS = `deficiencyUsd insuranceFundUsd coverageRatio cover1Usd cover2Usd worstScenario worstDeficiencyUsd liquidatableNotionalUsd collateralUsd debtUsd action
  thresholds { raiseMarginsCoverage reduceLeverageCoverage liquidatableNotionalShare hysteresis }
  accountsPerTier { safe marginCall liquidatable insolvent }
  chains { chainId name blockNumber lagSeconds haircutLagSeconds stale maxDataLagSeconds exposureUsd }
  marks { asset priceUsd }
  badDebt { totalUsd crossChainUsd perChain { chainId name badDebtUsd } domains { id protocol chainIds accounts collateralUsd debtUsd badDebtUsd blockNumber accountsPerTier { safe marginCall liquidatable insolvent } } problems { message } }
  asOf { now }`;

interface DomainRow {
  id: string;
  protocol: string;
  chainIds: number[];
  accounts: number;
  collateralUsd: string;
  debtUsd: string;
  badDebtUsd: string;
  blockNumber: string | null;
  accountsPerTier: { safe: number; marginCall: number; liquidatable: number; insolvent: number };
}

interface SystemNow {
  deficiencyUsd: string;
  insuranceFundUsd: string;
  coverageRatio: string | null;
  cover1Usd: string;
  cover2Usd: string;
  worstScenario: string | null;
  worstDeficiencyUsd: string;
  liquidatableNotionalUsd: string;
  collateralUsd: string;
  debtUsd: string;
  action: string;
  thresholds: { raiseMarginsCoverage: string; reduceLeverageCoverage: string; liquidatableNotionalShare: string; hysteresis: string } | null;
  accountsPerTier: { safe: number; marginCall: number; liquidatable: number; insolvent: number };
  chains: { chainId: number; name: string; blockNumber: string; lagSeconds: number; haircutLagSeconds: number; stale: boolean; maxDataLagSeconds: number; exposureUsd: string | null }[];
  marks: { asset: string; priceUsd: string | null }[];
  badDebt: { totalUsd: string; crossChainUsd: string; perChain: { chainId: number; name: string | null; badDebtUsd: string }[]; domains: DomainRow[]; problems: { message: string }[] };
  asOf: { now: number };
}

interface Endangered {
  address: string;
  tier: string;
  healthFactor: string | null;
  equityUsd: string;
  collateralUsd: string;
  debtUsd: string;
}

const ENDANGERED_HF = "1.1";
/** system pushes are rendered at most this often (the newest wins) */
const SYSTEM_RENDER_MS = 1000;
const HISTORY_WINDOW_S = 1800;
const HISTORY_BUCKET_S = 10;
const RISKY_COLORS = ["#d9480f", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f08c00"];

/** Why the action is what it is, in terms of the thresholds (risk model §6). */
export function actionReason(s: SystemNow): string {
  const t = s.thresholds;
  if (!t) return "";
  const cr = s.coverageRatio === null ? null : Number(s.coverageRatio);
  const crText = cr === null ? "∞ (no scenario has a deficiency)" : cr.toFixed(3);
  switch (s.action) {
    case "HALT":
      return `deficiency ${usd(s.deficiencyUsd)} > insurance fund ${usd(s.insuranceFundUsd)}`;
    case "REDUCE_MAX_LEVERAGE":
      return cr !== null && cr < Number(t.reduceLeverageCoverage) * (1 + Number(t.hysteresis))
        ? `coverage ${crText} < ${t.reduceLeverageCoverage} (reduce-leverage threshold; left only above ×${1 + Number(t.hysteresis)})`
        : `liquidatable notional ${usd(s.liquidatableNotionalUsd)} > ${pct(t.liquidatableNotionalShare)} of collateral ${usd(s.collateralUsd)}`;
    case "RAISE_MARGINS":
      return `coverage ${crText} < ${t.raiseMarginsCoverage} (raise-margins threshold; left only above ×${1 + Number(t.hysteresis)})`;
    default:
      return `coverage ${crText} ≥ ${t.raiseMarginsCoverage}; deficiency ≤ insurance fund. Next tier: raise margins below coverage ${t.raiseMarginsCoverage}.`;
  }
}

export function renderDashboard(root: HTMLElement): void {
  root.replaceChildren(
    el("header", {}, el("h1", {}, "xmargin risk"), el("span", { id: "live", class: "badge" }, "connecting…"), el("a", { href: "/graphql" }, "GraphiQL")),
    el("section", { id: "now" }, el("h2", {}, "System now"), el("div", { id: "cards", class: "cards" }), el("p", { id: "action-why", class: "why" }), el("div", { id: "chains" }), el("h3", {}, "Margin domains"), el("div", { id: "domains" })),
    el(
      "section",
      { id: "history" },
      el("h2", {}, "Over time"),
      el("p", { class: "muted" }, `Last ${HISTORY_WINDOW_S / 60} min from systemHistory (rebuilt from the store: survives restarts); coverage and data lag sampled live since this page opened.`),
      el("div", { class: "grid" }, el("div", { id: "chart-deficiency" }), el("div", { id: "chart-tiers" }), el("div", { id: "chart-coverage" }), el("div", { id: "chart-lag" })),
    ),
    el(
      "section",
      { id: "curves" },
      el("h2", {}, "Liquidation curves"),
      el("p", { class: "muted" }, "Stress engine, with cascades: one asset shocked from 0 to −60% (others fixed)."),
      el("div", { class: "grid" }, el("div", { id: "chart-curve-deficiency" }), el("div", { id: "chart-curve-volume" })),
      el("h3", {}, "Default stress library"),
      el("div", { id: "library" }),
    ),
    el("section", { id: "endangered" }, el("h2", {}, `Endangered accounts (health factor < ${ENDANGERED_HF}), live`), el("div", { id: "endangered-table" })),
    el("section", { id: "aave-endangered" }, el("h2", {}, "Aave accounts liquidatable by Aave's rule (health factor < 1)"), el("div", { id: "aave-endangered-table" })),
  );

  const charts = {
    deficiency: lineChart(byId("chart-deficiency"), "deficiency", {
      title: "Deficiency and insurance fund (USD)",
      x: "time",
      series: [
        { label: "deficiency", color: "#c92a2a" },
        { label: "insurance fund", color: "#1971c2" },
      ],
    }),
    tiers: lineChart(byId("chart-tiers"), "tiers", {
      title: "Accounts per tier",
      x: "time",
      series: [
        { label: "margin call", color: "#f08c00" },
        { label: "liquidatable", color: "#e8590c" },
        { label: "insolvent", color: "#c92a2a" },
        { label: "safe", color: "#2f9e44", scale: "safe" },
      ],
    }),
    coverage: lineChart(byId("chart-coverage"), "coverage", {
      title: "Coverage ratio (insurance fund / worst scenario), live",
      x: "time",
      series: [{ label: "coverage", color: "#5f3dc4" }],
    }),
    lag: null as ChartHandle | null,
    curveDeficiency: null as ChartHandle | null,
    curveVolume: null as ChartHandle | null,
  };

  const live = { t: [] as number[], coverage: [] as (number | null)[], lag: new Map<string, (number | null)[]>() };
  let riskyAssets: string[] = [];

  const onSystem = (s: SystemNow) => {
    state.systemUpdates++;
    state.lastSystem = s;
    renderCards(s);
    // live samples: coverage and per-chain lag
    if (live.t.length === 0 || live.t[live.t.length - 1] !== s.asOf.now) {
      live.t.push(s.asOf.now);
      live.coverage.push(s.coverageRatio === null ? null : Number(s.coverageRatio));
      for (const c of s.chains) {
        let series = live.lag.get(c.name);
        if (!series) live.lag.set(c.name, (series = new Array(live.t.length - 1).fill(null)));
        series.push(c.lagSeconds);
      }
      if (live.t.length > 720) {
        live.t.shift();
        live.coverage.shift();
        for (const v of live.lag.values()) v.shift();
      }
      charts.coverage.set(live.t, [live.coverage]);
      if (!charts.lag) {
        charts.lag = lineChart(byId("chart-lag"), "lag", {
          title: "Data lag per chain (s), live",
          x: "time",
          series: [...live.lag.keys()].map((name, i) => ({ label: name, color: RISKY_COLORS[i % RISKY_COLORS.length] })),
        });
      }
      charts.lag.set(live.t, [...live.lag.values()]);
    }
    if (riskyAssets.length === 0) {
      riskyAssets = s.marks.filter((m) => m.priceUsd !== null && Math.abs(Number(m.priceUsd) - 1) > 0.05).map((m) => m.asset).slice(0, 4);
      void loadCurves();
    }
  };

  const setLive = (text: string, ok: boolean) => {
    const badge = byId("live");
    badge.textContent = text;
    badge.className = `badge ${ok ? "ok" : "bad"}`;
  };

  // System: the first answer by query (fast first paint), then every push.
  gql<{ system: SystemNow }>(`{ system { ${SYSTEM_FIELDS} } }`).then((d) => onSystem(d.system), (e) => setLive(String(e.message ?? e), false));
  // The book pushes after every update (several a second while chains are busy); the page renders
  // the newest at most once a second, so a wall of dashboards does not compete with the server.
  let pending: SystemNow | null = null;
  let lastRender = 0;
  let renderTimer: ReturnType<typeof setTimeout> | null = null;
  const renderPending = () => {
    renderTimer = null;
    if (pending === null) return;
    const s = pending;
    pending = null;
    lastRender = Date.now();
    setLive(`live · ${time(s.asOf.now)}`, true);
    onSystem(s);
  };
  subscribe<{ system: SystemNow }>(`subscription { system { ${SYSTEM_FIELDS} } }`, {}, (d) => {
    state.systemPushes++;
    pending = d.system;
    if (renderTimer === null) renderTimer = setTimeout(renderPending, Math.max(0, SYSTEM_RENDER_MS - (Date.now() - lastRender)));
  }, (m) => setLive(m, false));

  // Over time, from the store. Each bucket re-screens the whole book on the server, so the bucket
  // grows with the book to stay inside the API's cost limit (and doubles if it is still refused).
  let historyBucket = HISTORY_BUCKET_S;
  const loadHistory = async () => {
    try {
      const now = state.lastSystem?.asOf.now ?? Math.floor(Date.now() / 1000);
      const t = (state.lastSystem as SystemNow | null)?.accountsPerTier;
      const accounts = t ? t.safe + t.marginCall + t.liquidatable + t.insolvent : 0;
      const fit = Math.ceil(HISTORY_WINDOW_S / Math.max(2, Math.floor(40_000 / (200 + 0.05 * accounts))));
      historyBucket = Math.max(historyBucket, HISTORY_BUCKET_S, fit);
      let d: { systemHistory: { time: number; deficiencyUsd: string; insuranceFundUsd: string; accountsPerTier: SystemNow["accountsPerTier"] }[] };
      for (;;) {
        try {
          d = await gql(
            `query($from: Int!, $to: Int!, $b: Int!) { systemHistory(from: $from, to: $to, bucketSeconds: $b) { time deficiencyUsd insuranceFundUsd accountsPerTier { safe marginCall liquidatable insolvent } } }`,
            // aligned to the bucket: every open dashboard asks the same window, which the server shares
            { from: Math.max(0, Math.floor(now / historyBucket) * historyBucket - HISTORY_WINDOW_S), to: Math.floor(now / historyBucket) * historyBucket, b: historyBucket },
          );
          break;
        } catch (e) {
          if (!String((e as Error).message).startsWith("COST_LIMIT") || historyBucket >= HISTORY_WINDOW_S) throw e;
          historyBucket *= 2;
        }
      }
      state.historyBucketSeconds = historyBucket;
      const h = d.systemHistory;
      const x = h.map((p) => p.time);
      charts.deficiency.set(x, [h.map((p) => Number(p.deficiencyUsd)), h.map((p) => Number(p.insuranceFundUsd))]);
      charts.tiers.set(x, [h.map((p) => p.accountsPerTier.marginCall), h.map((p) => p.accountsPerTier.liquidatable), h.map((p) => p.accountsPerTier.insolvent), h.map((p) => p.accountsPerTier.safe)]);
      state.historyLoads++;
    } catch (e) {
      console.warn("systemHistory:", (e as Error).message);
    }
  };
  void loadHistory();
  setInterval(loadHistory, 10_000);

  // Liquidation curves (cached per book version on the server) and the stress library.
  const loadCurves = async () => {
    if (riskyAssets.length === 0) return;
    try {
      const fields = `asset points { shockPct deficiencyUsd liquidatedVolumeUsd liquidatedAccounts }`;
      const q = `{ ${riskyAssets.map((a, i) => `c${i}: liquidationCurve(asset: "${a}", maxShockPct: "0.6", steps: 12) { ${fields} }`).join(" ")} }`;
      const d = await gql<Record<string, { asset: string; points: { shockPct: string; deficiencyUsd: string; liquidatedVolumeUsd: string; liquidatedAccounts: number }[] }>>(q);
      const curves = riskyAssets.map((_, i) => d[`c${i}`]);
      const x = curves[0].points.map((p) => -Number(p.shockPct));
      const specSeries = curves.map((c, i) => ({ label: c.asset, color: RISKY_COLORS[i % RISKY_COLORS.length] }));
      charts.curveDeficiency ??= lineChart(byId("chart-curve-deficiency"), "curveDeficiency", { title: "Deficiency (USD) against price drop", x: "price drop", series: specSeries });
      charts.curveVolume ??= lineChart(byId("chart-curve-volume"), "curveVolume", { title: "Liquidated volume (USD) against price drop", x: "price drop", series: specSeries });
      charts.curveDeficiency.set(x, curves.map((c) => c.points.map((p) => Number(p.deficiencyUsd))));
      charts.curveVolume.set(x, curves.map((c) => c.points.map((p) => Number(p.liquidatedVolumeUsd))));
      state.curveLoads++;
    } catch (e) {
      console.warn("liquidationCurve:", (e as Error).message);
    }
  };
  setInterval(loadCurves, 15_000);

  const loadLibrary = async () => {
    try {
      const d = await gql<{ stressLibrary: { name: string; deficiencyUsd: string; liquidatedVolumeUsd: string; rounds: { liquidatedAccounts: number }[] }[] }>(
        `{ stressLibrary { name deficiencyUsd liquidatedVolumeUsd rounds { liquidatedAccounts } } }`,
      );
      const rows = d.stressLibrary.map((r) =>
        el("tr", {}, el("td", {}, r.name), el("td", { class: "num" }, usd(r.deficiencyUsd)), el("td", { class: "num" }, usd(r.liquidatedVolumeUsd)), el("td", { class: "num" }, String(r.rounds.reduce((n, x) => n + x.liquidatedAccounts, 0))), el("td", { class: "num" }, String(r.rounds.length))),
      );
      byId("library").replaceChildren(table(["scenario", "deficiency", "liquidated volume", "accounts liquidated", "cascade rounds"], rows));
    } catch (e) {
      console.warn("stressLibrary:", (e as Error).message);
    }
  };
  void loadLibrary();
  setInterval(loadLibrary, 30_000);

  // Aave accounts below health factor 1, with the liquidationCall the rule allows (polled).
  const loadAave = async () => {
    try {
      const d = await gql<{ aaveEndangered: { nodes: { address: string; chainId: number; tier: string; rule: { healthFactor: string | null; closeFactorBps: number | null; totalCollateralBase: string; totalDebtBase: string; bestLiquidation: { debtToCoverRaw: string } | null } }[] } }>(
        `{ aaveEndangered(first: 100) { nodes { address chainId tier rule { healthFactor closeFactorBps totalCollateralBase totalDebtBase bestLiquidation { debtToCoverRaw } } } } }`,
      );
      const nodes = d.aaveEndangered.nodes;
      state.aaveEndangeredCount = nodes.length;
      const base = (x: string) => usd(String(Number(x) / 1e8));
      const rows = nodes.map((n) =>
        el("tr", { "data-address": n.address }, el("td", {}, el("a", { href: `/account/${n.address}` }, short(n.address))), el("td", { class: "num" }, String(n.chainId)), el("td", { class: "num" }, ratio(n.rule.healthFactor)), el("td", {}, n.tier), el("td", { class: "num" }, base(n.rule.totalCollateralBase)), el("td", { class: "num" }, base(n.rule.totalDebtBase)), el("td", { class: "num" }, n.rule.closeFactorBps === null ? "—" : pct(String(n.rule.closeFactorBps / 10_000)))),
      );
      byId("aave-endangered-table").replaceChildren(el("p", { class: "muted" }, `${nodes.length} accounts`), table(["account", "chain", "Aave health factor", "xmargin tier", "collateral", "debt", "close factor"], rows));
    } catch (e) {
      console.warn("aaveEndangered:", (e as Error).message);
    }
  };
  void loadAave();
  setInterval(loadAave, 5_000);

  // Endangered accounts, live: entered/left events keep the set.
  const endangered = new Map<string, Endangered>();
  let sortKey: keyof Endangered = "healthFactor";
  let sortDir = 1;
  const renderEndangered = () => {
    const value = (e: Endangered) => (sortKey === "address" || sortKey === "tier" ? e[sortKey] : e[sortKey] === null ? Infinity : Number(e[sortKey]));
    const list = [...endangered.values()].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      return (va < vb ? -1 : va > vb ? 1 : 0) * sortDir;
    });
    const head = (["address", "tier", "healthFactor", "equityUsd", "collateralUsd", "debtUsd"] as const).map((k) => {
      const th = el("th", { class: "sortable", "data-key": k }, ({ address: "account", tier: "tier", healthFactor: "health factor", equityUsd: "equity", collateralUsd: "collateral", debtUsd: "debt" } as const)[k] + (sortKey === k ? (sortDir > 0 ? " ▲" : " ▼") : ""));
      th.addEventListener("click", () => {
        sortDir = sortKey === k ? -sortDir : 1;
        sortKey = k;
        renderEndangered();
      });
      return th;
    });
    const rows = list.slice(0, 200).map((e) =>
      el(
        "tr",
        { class: `tier-${e.tier}`, "data-address": e.address },
        el("td", {}, el("a", { href: `/account/${e.address}` }, short(e.address))),
        el("td", {}, e.tier),
        el("td", { class: "num" }, ratio(e.healthFactor)),
        el("td", { class: "num" }, usd(e.equityUsd)),
        el("td", { class: "num" }, usd(e.collateralUsd)),
        el("td", { class: "num" }, usd(e.debtUsd)),
      ),
    );
    const t = el("table", {}, el("thead", {}, el("tr", {}, ...head)), el("tbody", {}, ...rows));
    byId("endangered-table").replaceChildren(el("p", { class: "muted", id: "endangered-count" }, `${endangered.size} accounts${endangered.size > 200 ? " (first 200 shown)" : ""}; click a column to sort`), t);
  };
  subscribe<{ endangeredAccounts: { entered: Endangered[]; left: string[] } }>(
    `subscription($t: Decimal) { endangeredAccounts(maxHealthFactor: $t) { entered { address tier healthFactor equityUsd collateralUsd debtUsd } left } }`,
    { t: ENDANGERED_HF },
    (d) => {
      for (const a of d.endangeredAccounts.left) endangered.delete(a);
      for (const e of d.endangeredAccounts.entered) endangered.set(e.address, e);
      state.endangeredEvents++;
      state.endangeredCount = endangered.size;
      renderEndangered();
    },
    (m) => console.warn("endangeredAccounts:", m),
  );
  renderEndangered();
}

function renderCards(s: SystemNow): void {
  const t = s.accountsPerTier;
  const card = (label: string, value: string, id: string, cls = "") => el("div", { class: `card ${cls}`, id }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
  byId("cards").replaceChildren(
    card("deficiency", usd(s.deficiencyUsd), "card-deficiency", Number(s.deficiencyUsd) > 0 ? "bad" : ""),
    card("insurance fund", usd(s.insuranceFundUsd), "card-insurance"),
    card("coverage ratio", ratio(s.coverageRatio), "card-coverage"),
    card("Cover-1 / Cover-2", `${usd(s.cover1Usd)} / ${usd(s.cover2Usd)}`, "card-cover"),
    card("system action", s.action, "card-action", s.action === "NORMAL" ? "ok" : "bad"),
    card("worst scenario", `${s.worstScenario ?? "—"}: ${usd(s.worstDeficiencyUsd)}`, "card-worst"),
    card("accounts per tier", `${t.safe} safe · ${t.marginCall} call · ${t.liquidatable} liq · ${t.insolvent} insolvent`, "card-tiers"),
  );
  byId("action-why").textContent = `Why ${s.action}: ${actionReason(s)}`;
  const rows = s.chains.map((c) =>
    el(
      "tr",
      { class: c.stale ? "stale" : "" },
      el("td", {}, `${c.name} (${c.chainId})`),
      el("td", { class: "num" }, c.blockNumber),
      el("td", { class: "num" }, `${c.lagSeconds} s`),
      el("td", { class: "num" }, `${c.haircutLagSeconds} s`),
      el("td", {}, c.stale ? `STALE (> ${c.maxDataLagSeconds} s)` : "fresh"),
      el("td", { class: "num" }, usd(c.exposureUsd)),
    ),
  );
  byId("chains").replaceChildren(table(["chain", "block", "data lag", "haircut lag", "freshness", "exposure (collateral − debt)"], rows));
  const names = new Map(s.chains.map((c) => [c.chainId, c.name]));
  const domainRows = s.badDebt.domains.map((d) =>
    el(
      "tr",
      { "data-domain": d.id, class: Number(d.badDebtUsd) > 0 ? "stale" : "" },
      el("td", {}, d.protocol === "MARGIN_VAULT" ? "vault" : "Aave v3"),
      el("td", {}, d.chainIds.map((id) => names.get(id) ?? String(id)).join(", ")),
      el("td", { class: "num" }, String(d.accounts)),
      el("td", { class: "num" }, usd(d.collateralUsd)),
      el("td", { class: "num" }, usd(d.debtUsd)),
      el("td", { class: "num" }, usd(d.badDebtUsd)),
      el("td", {}, `${d.accountsPerTier.safe} · ${d.accountsPerTier.marginCall} · ${d.accountsPerTier.liquidatable} · ${d.accountsPerTier.insolvent}`),
      el("td", { class: "num" }, d.blockNumber ?? "—"),
    ),
  );
  const perChain = s.badDebt.perChain.map((c) => `${c.name ?? c.chainId} ${usd(c.badDebtUsd)}`).join(", ");
  byId("domains").replaceChildren(
    table(["protocol", "chains", "accounts", "collateral", "debt", "bad debt", "safe · call · liq · insolvent", "block read"], domainRows),
    el("p", { class: "muted", id: "bad-debt-total" }, `Bad debt in total ${usd(s.badDebt.totalUsd)}: vault (cross-chain) ${usd(s.badDebt.crossChainUsd)}${perChain ? `; per chain ${perChain}` : ""}.${s.badDebt.problems.length ? ` Not evaluated: ${s.badDebt.problems.map((p) => p.message).join("; ")}` : ""}`),
  );
}

export function table(headers: string[], rows: HTMLElement[]): HTMLTableElement {
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows));
}

export function byId(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing`);
  return node;
}
