/** The account page (/account/0x…): tier, health factor, per chain and item the value, haircut and latency, liquidation prices, history. */
import { gql, subscribe } from "./api.js";
import { lineChart } from "./charts.js";
import { byId, table } from "./dashboard.js";
import { el, ratio, usd } from "./format.js";
import { state } from "./state.js";

const ACCOUNT_FIELDS = `address tier healthFactor maintenanceHealthUsd initialHealthUsd equityUsd collateralValueUsd debtValueUsd degraded
  degradedReasons { message }
  chains { chainId name netValueUsd
    collateral { asset amount valueUsd haircut maintenanceValueUsd latency { configured measuredLag total } zeroedByStaleness }
    debt { asset amount valueUsd haircut maintenanceValueUsd latency { configured measuredLag total } }
    positions { asset size entryPriceUsd markPriceUsd unrealizedPnlUsd requirementUsd } }
  liquidationPrices { asset priceUsd }
  asOf { now }`;

interface Item {
  asset: string;
  amount: string;
  valueUsd: string;
  haircut: string;
  maintenanceValueUsd: string;
  latency: { configured: number; measuredLag: number; total: number };
  zeroedByStaleness?: boolean;
}
interface AccountView {
  address: string;
  tier: string;
  healthFactor: string | null;
  maintenanceHealthUsd: string;
  initialHealthUsd: string;
  equityUsd: string;
  collateralValueUsd: string;
  debtValueUsd: string;
  degraded: boolean;
  degradedReasons: { message: string }[];
  chains: { chainId: number; name: string | null; netValueUsd: string; collateral: Item[]; debt: Item[]; positions: { asset: string; size: string; entryPriceUsd: string; markPriceUsd: string | null; unrealizedPnlUsd: string; requirementUsd: string }[] }[];
  liquidationPrices: { asset: string; priceUsd: string }[];
  asOf: { now: number };
}

export function renderAccount(root: HTMLElement, address: string): void {
  root.replaceChildren(
    el("header", {}, el("h1", {}, el("a", { href: "/" }, "xmargin risk"), " · account"), el("span", { id: "live", class: "badge" }, "connecting…")),
    el("section", {}, el("h2", { class: "mono" }, address), el("div", { id: "cards", class: "cards" }), el("p", { id: "degraded", class: "why" })),
    el("section", {}, el("h2", {}, "Per chain"), el("div", { id: "account-chains" })),
    el("section", {}, el("h2", {}, "Liquidation prices"), el("p", { class: "muted" }, "The mark of each asset (others fixed) at which maintenance health reaches 0."), el("div", { id: "liq-prices" })),
    el("section", {}, el("h2", {}, "History"), el("div", { id: "chart-account" })),
    el("section", {}, el("h2", {}, "Aave v3 markets"), el("p", { class: "muted" }, "Aave's own rule (exact, as getUserAccountData) beside xmargin's risk-adjusted view of the same account."), el("div", { id: "account-aave" })),
  );
  const chart = lineChart(byId("chart-account"), "accountHistory", {
    title: "Maintenance health and equity (USD); health factor",
    x: "time",
    series: [
      { label: "maintenance health", color: "#c92a2a" },
      { label: "equity", color: "#1971c2" },
      { label: "health factor", color: "#2f9e44", scale: "hf" },
    ],
  });

  const show = (a: AccountView | null) => {
    if (a === null) {
      byId("cards").replaceChildren(el("p", { class: "muted" }, "Not in the vault (its Aave markets, if any, are below)."));
      return;
    }
    state.accountUpdates++;
    state.account = a as unknown as Record<string, unknown>;
    const card = (label: string, value: string, id: string, cls = "") => el("div", { class: `card ${cls}`, id }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
    byId("cards").replaceChildren(
      card("tier", a.tier, "card-tier", a.tier === "SAFE" ? "ok" : "bad"),
      card("health factor", a.healthFactor ?? "—", "card-hf"),
      card("maintenance health", usd(a.maintenanceHealthUsd), "card-mh"),
      card("equity", usd(a.equityUsd), "card-equity"),
      card("collateral / debt", `${usd(a.collateralValueUsd)} / ${usd(a.debtValueUsd)}`, "card-cd"),
    );
    byId("degraded").textContent = a.degraded ? `Degraded (a lower bound): ${a.degradedReasons.map((r) => r.message).join("; ")}` : "";
    const rows: HTMLElement[] = [];
    for (const c of a.chains) {
      const name = `${c.name ?? ""} (${c.chainId})`;
      for (const [kind, list] of [["collateral", c.collateral], ["debt", c.debt]] as const) {
        for (const i of list) {
          rows.push(
            el(
              "tr",
              {},
              el("td", {}, name),
              el("td", {}, kind),
              el("td", {}, i.asset),
              el("td", { class: "num" }, Number(i.amount).toPrecision(6)),
              el("td", { class: "num" }, usd(i.valueUsd)),
              el("td", { class: "num" }, `${(Number(i.haircut) * 100).toFixed(2)}%`),
              el("td", { class: "num" }, `${i.latency.configured} + ${i.latency.measuredLag} = ${i.latency.total} s`),
              el("td", { class: "num" }, usd(i.maintenanceValueUsd) + (i.zeroedByStaleness ? " (stale: 0)" : "")),
            ),
          );
        }
      }
      for (const p of c.positions) {
        rows.push(el("tr", {}, el("td", {}, name), el("td", {}, "perp"), el("td", {}, p.asset), el("td", { class: "num" }, Number(p.size).toPrecision(6)), el("td", { class: "num" }, `uPnL ${usd(p.unrealizedPnlUsd)}`), el("td", {}, ""), el("td", {}, ""), el("td", { class: "num" }, `req ${usd(p.requirementUsd)}`)));
      }
    }
    byId("account-chains").replaceChildren(table(["chain", "kind", "asset", "amount", "value", "haircut", "latency (configured + lag)", "maintenance value"], rows));
    byId("liq-prices").replaceChildren(
      a.liquidationPrices.length === 0 ? el("p", { class: "muted" }, "None: no single price move liquidates this account.") : table(["asset", "liquidation price"], a.liquidationPrices.map((l) => el("tr", {}, el("td", {}, l.asset), el("td", { class: "num" }, usd(l.priceUsd))))),
    );
  };

  gql<{ account: AccountView | null }>(`query($a: String!) { account(address: $a) { ${ACCOUNT_FIELDS} } }`, { a: address }).then(
    (d) => show(d.account),
    (e) => (byId("cards").textContent = (e as Error).message),
  );
  subscribe<{ accountHealth: AccountView | null }>(`subscription($a: String!) { accountHealth(address: $a) { ${ACCOUNT_FIELDS} } }`, { a: address }, (d) => {
    const badge = byId("live");
    badge.textContent = `live · updated ${new Date().toISOString().slice(11, 19)}`;
    badge.className = "badge ok";
    show(d.accountHealth);
  }, (m) => console.warn("accountHealth:", m));

  const loadHistory = async () => {
    const now = (state.account?.asOf as { now: number } | undefined)?.now ?? Math.floor(Date.now() / 1000);
    try {
      const d = await gql<{ accountHistory: { time: number; maintenanceHealthUsd: string; equityUsd: string; healthFactor: string | null }[] }>(
        `query($a: String!, $from: Int!, $to: Int!) { accountHistory(address: $a, from: $from, to: $to, bucketSeconds: 10) { time maintenanceHealthUsd equityUsd healthFactor } }`,
        { a: address, from: Math.max(0, now - 1800), to: now },
      );
      const h = d.accountHistory;
      chart.set(h.map((p) => p.time), [h.map((p) => Number(p.maintenanceHealthUsd)), h.map((p) => Number(p.equityUsd)), h.map((p) => (p.healthFactor === null ? null : Math.min(Number(p.healthFactor), 10)))]);
    } catch (e) {
      console.warn("accountHistory:", (e as Error).message);
    }
  };
  void loadHistory();
  setInterval(loadHistory, 15_000);

  const loadAave = async () => {
    try {
      const d = await gql<{ exposure: { aave: AaveView[] } }>(
        `query($a: String!) { exposure(address: $a) { aave { chainId blockNumber tier healthFactor equityUsd degraded rule { healthFactor totalCollateralBase totalDebtBase liquidatable closeFactorBps }
          items { kind symbol valueUsd haircut maintenanceValueUsd } } } }`,
        { a: address },
      );
      state.aaveMarkets = d.exposure.aave.length;
      const base = (x: string) => usd(String(Number(x) / 1e8));
      const markets = d.exposure.aave.map((m) =>
        el(
          "div",
          { class: "aave-market", "data-chain": String(m.chainId) },
          el("h3", {}, `chain ${m.chainId} · block ${m.blockNumber ?? "—"}`),
          table(
            ["", "health factor", "collateral", "debt", "liquidatable", "tier"],
            [
              el("tr", {}, el("td", {}, "Aave's rule"), el("td", { class: "num aave-hf" }, ratio(m.rule.healthFactor)), el("td", { class: "num" }, base(m.rule.totalCollateralBase)), el("td", { class: "num" }, base(m.rule.totalDebtBase)), el("td", {}, m.rule.liquidatable ? `yes (close factor ${(m.rule.closeFactorBps ?? 0) / 100}%)` : "no"), el("td", {}, "")),
              el("tr", {}, el("td", {}, "xmargin's view"), el("td", { class: "num" }, ratio(m.healthFactor)), el("td", {}, ""), el("td", {}, ""), el("td", {}, m.degraded ? "degraded" : ""), el("td", {}, m.tier)),
            ],
          ),
          table(["kind", "asset", "value", "haircut", "maintenance value"], m.items.map((i) => el("tr", {}, el("td", {}, i.kind.toLowerCase()), el("td", {}, i.symbol), el("td", { class: "num" }, usd(i.valueUsd)), el("td", { class: "num" }, `${(Number(i.haircut) * 100).toFixed(2)}%`), el("td", { class: "num" }, usd(i.maintenanceValueUsd))))),
        ),
      );
      byId("account-aave").replaceChildren(...(markets.length ? markets : [el("p", { class: "muted" }, "None.")]));
    } catch (e) {
      console.warn("exposure:", (e as Error).message);
    }
  };
  void loadAave();
  setInterval(loadAave, 5_000);
}

interface AaveView {
  chainId: number;
  blockNumber: string | null;
  tier: string;
  healthFactor: string | null;
  equityUsd: string;
  degraded: boolean;
  rule: { healthFactor: string | null; totalCollateralBase: string; totalDebtBase: string; liquidatable: boolean; closeFactorBps: number | null };
  items: { kind: string; symbol: string; valueUsd: string; haircut: string; maintenanceValueUsd: string }[];
}
