/**
 * The dashboard end to end in headless Chromium: three anvil chains, the simulator's traders, the
 * real xmargin Ponder app (PGlite) serving the API and the page, and:
 * - `/` answers 200 and the page makes no request outside 127.0.0.1 (every other request is aborted
 *   and recorded);
 * - every chart draws non-empty data: its data (window.__xmargin.charts) and its canvas pixels;
 * - a price crash arrives live (SSE) without a reload;
 * - the account page shows the health factor the `account` query answers;
 * - no console errors.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { pollUntil } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { apiGraphql } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let ponder: PonderProcess;
let sim: Simulator;
let browser: Browser;
let page: Page;
let bookAccounts = 0;
const external: string[] = [];
const consoleErrors: string[] = [];

type XmarginState = {
  charts: Record<string, { points: number; nonNull: number; series: string[]; ys: (number | null)[][] }>;
  systemUpdates: number;
  endangeredEvents: number;
  endangeredCount: number;
  lastSystem: { asOf: { now: number }; marks: { asset: string; priceUsd: string | null }[]; coverageRatio: string | null } | null;
  account: { healthFactor: string | null; address: string } | null;
  traffic: { queries: number; subscriptions: number; pushes: number };
};

const readState = (p: Page) => p.evaluate(() => (window as unknown as { __xmargin: unknown }).__xmargin) as Promise<XmarginState>;

/** Pixels of a chart's canvas in colour (the series strokes; axes and grid are grey). */
function colouredPixels(p: Page, chartId: string): Promise<number> {
  return p.evaluate((id) => {
    const canvas = document.querySelector(`[data-chart="${id}"] canvas`) as HTMLCanvasElement | null;
    if (!canvas) return -1;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const max = Math.max(data[i], data[i + 1], data[i + 2]);
      const min = Math.min(data[i], data[i + 1], data[i + 2]);
      if (data[i + 3] > 0 && max - min > 80) n++;
    }
    return n;
  }, chartId);
}

async function newPage(): Promise<Page> {
  const p = await browser.newPage();
  p.on("console", (m) => void (m.type() === "error" && consoleErrors.push(m.text())));
  p.on("pageerror", (e) => void consoleErrors.push(`pageerror: ${e.message}`));
  await p.route(
    (url) => !["127.0.0.1"].includes(url.hostname) && url.protocol !== "data:" && url.protocol !== "blob:",
    (route) => {
      external.push(route.request().url());
      return route.abort();
    },
  );
  return p;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; install it with \`apt-get install -y chromium\`.`);
  const t0 = Date.now();
  const progress = (what: string) => console.info(`[dashboard e2e] ${what} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 100 }), (d) => d.stop(), "devnet");
  progress("devnet up");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 60, seed: 7 });
  await sim.run({ steps: 25 });
  progress("simulator steps mined");
  ponder = cleanup.add(
    await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema: uniqueSchema("dashboard"), port: await freePort(), pgliteDir: devnet.pgliteDir(), startTimeoutMs: 300_000 }),
    (p) => p.stop(),
    "ponder",
  );
  progress("ponder up");
  await ponder.waitCaughtUp(devnet.caughtUp, 300_000);
  const status = await ponder.status();
  const want = new Map(Object.values(status).map((s) => [s.id, s.block.number]));
  bookAccounts = await pollUntil(
    async () => {
      const d = await apiGraphql(ponder.url, "{ bookStats { accounts } asOf { chains { chainId blockNumber } } }");
      return d.bookStats.accounts > 0 && d.asOf.chains.every((c: any) => Number(c.blockNumber) >= (want.get(c.chainId) ?? 0)) ? (d.bookStats.accounts as number) : null;
    },
    300_000,
    "the risk book to reach Ponder's indexed blocks",
    500,
  );
  progress("risk book loaded");
  browser = cleanup.add(
    await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] }),
    (b) => b.close(),
    "chromium",
  );
  page = await newPage();
}, 600_000);

afterAll(async () => {
  const errors = await cleanup.run();
  if (errors.length > 0) console.warn("cleanup:", errors);
});

describe("dashboard in headless Chromium against devnet + Ponder + risk API", () => {
  test("default: / answers 200 and every chart draws data (chart data and canvas pixels)", { timeout: 180_000 }, async () => {
    const response = await page.goto(`${ponder.url}/`, { waitUntil: "load", timeout: 60_000 });
    expect(response?.status()).toBe(200);
    const charts = ["deficiency", "tiers", "coverage", "lag", "curveDeficiency", "curveVolume"];
    const s = await pollUntil(
      async () => {
        const st = await readState(page);
        return charts.every((c) => (st.charts[c]?.points ?? 0) > 0) ? st : null;
      },
      120_000,
      "every chart to receive data",
      500,
    );
    for (const c of ["deficiency", "tiers", "lag", "curveDeficiency", "curveVolume"]) expect(s.charts[c].nonNull, c).toBeGreaterThan(0);
    if (s.lastSystem?.coverageRatio !== null) expect(s.charts.coverage.nonNull).toBeGreaterThan(0);
    // the tiers chart counts every account of the book
    const tiers = s.charts.tiers.ys;
    const last = tiers[0].length - 1;
    expect(tiers.reduce((n, y) => n + (y[last] ?? 0), 0)).toBe(bookAccounts);
    // a −60% shock liquidates someone: the volume curve rises from 0
    const volume = s.charts.curveVolume.ys;
    expect(volume.some((y) => (y[y.length - 1] ?? 0) > 0)).toBe(true);
    expect(volume.every((y) => y[0] === 0)).toBe(true);
    // uPlot draws on the next animation frame; the live-only charts (coverage, lag) start from one
    // point and grow a line as updates arrive, so each chart gets time to draw one.
    for (const c of charts) {
      const pixels = await pollUntil(async () => {
        const n = await colouredPixels(page, c);
        return n > 50 ? n : null;
      }, 30_000, `${c} to draw more than 50 coloured pixels`, 250).catch(async () => colouredPixels(page, c));
      expect(pixels, `${c} pixels`).toBeGreaterThan(50);
    }
    // the stress library table and the chain table are filled
    expect(await page.locator("#library tbody tr").count()).toBeGreaterThan(5);
    expect(await page.locator("#chains tbody tr").count()).toBe(3);
    expect(await page.locator("#action-why").innerText()).toMatch(/^Why (NORMAL|RAISE_MARGINS|REDUCE_MAX_LEVERAGE|HALT): \S/);
    // the margin-domain table: this devnet has the vault only, with every account of the book
    const sys = (await page.evaluate(() => (window as unknown as { __xmargin: { lastSystem: { accountsPerTier: Record<string, number> } } }).__xmargin.lastSystem)).accountsPerTier;
    const vaultRow = page.locator('#domains tr[data-domain="vault"] td');
    expect(await vaultRow.nth(2).innerText()).toBe(String(Object.values(sys).reduce((a, b) => a + b, 0)));
    expect(await page.locator("#bad-debt-total").innerText()).toMatch(/^Bad debt in total \$/);
  });

  test("behavior: a price crash arrives live over SSE without a reload", { timeout: 180_000 }, async () => {
    await page.evaluate(() => void ((window as unknown as { __noReload: boolean }).__noReload = true));
    const before = await readState(page);
    const ethBefore = Number(before.lastSystem!.marks.find((m) => m.asset === "ETH")!.priceUsd);
    const tierTextBefore = await page.locator("#card-tiers").innerText();
    await sim.crash({ asset: "all", pct: 0.4 });
    const after = await pollUntil(
      async () => {
        const st = await readState(page);
        const eth = Number(st.lastSystem!.marks.find((m) => m.asset === "ETH")!.priceUsd);
        return eth < ethBefore * 0.75 ? st : null;
      },
      60_000,
      "the crashed ETH mark to reach the page",
      250,
    );
    expect(after.systemUpdates).toBeGreaterThan(before.systemUpdates);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    // the crash endangers accounts: the live endangered list grows and the tier card changes
    await pollUntil(async () => ((await readState(page)).endangeredCount > before.endangeredCount ? true : null), 30_000, "accounts to enter the endangered list", 250);
    expect(await page.locator("#endangered-table tbody tr").count()).toBeGreaterThan(0);
    expect(await page.locator("#card-tiers").innerText()).not.toBe(tierTextBefore);
    // sorting by a column reorders the rows
    await page.locator('th[data-key="address"]').click();
    const addresses = await page.locator("#endangered-table tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-address")!));
    expect(addresses).toEqual([...addresses].sort());
  });

  test("default: the account page shows the health factor the account query answers", { timeout: 180_000 }, async () => {
    const list = await apiGraphql(ponder.url, `{ accounts(first: 5, orderBy: HEALTH_FACTOR_ASC, where: { healthFactorLt: "100" }) { nodes { address } } }`);
    const address = list.accounts.nodes[0].address as string;
    const accountPage = await newPage();
    const response = await accountPage.goto(`${ponder.url}/account/${address}`, { waitUntil: "load", timeout: 60_000 });
    expect(response?.status()).toBe(200);
    // the book re-prices as data lag crosses steps: compare page and query at the same moment
    await pollUntil(
      async () => {
        const q = await apiGraphql(ponder.url, `query($a: String!) { account(address: $a) { healthFactor } }`, { a: address });
        const st = await readState(accountPage);
        const shown = await accountPage.locator("#card-hf .value").innerText().catch(() => "");
        return st.account !== null && st.account.healthFactor === q.account.healthFactor && shown === (q.account.healthFactor ?? "—") ? true : null;
      },
      30_000,
      "the page's health factor to equal the account query's",
      300,
    );
    expect(await accountPage.locator("#account-chains tbody tr").count()).toBeGreaterThan(0);
    await pollUntil(async () => ((await readState(accountPage)).charts.accountHistory?.nonNull ?? 0) > 0 || null, 30_000, "the account history chart", 300);
    await accountPage.waitForTimeout(300);
    expect(await colouredPixels(accountPage, "accountHistory")).toBeGreaterThan(50);
    await accountPage.close();
  });

  test("behavior: a malformed account path is a 400 saying what an address looks like", async () => {
    const r = await fetch(`${ponder.url}/account/0x12`);
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("expected /account/0x followed by 40 hex digits");
  });

  test("default: no request left 127.0.0.1 and there were no console errors", () => {
    expect(external).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
