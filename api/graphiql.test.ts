/**
 * GraphiQL works offline: headless Chromium loads GET /graphql from a real HTTP server (the API
 * over a real book on plain rows), makes no request to any other origin, and runs a query.
 */
import http from "node:http";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../test/harness/ports.js";
import { chromiumPath } from "../test/harness/prerequisites.js";
import { createApi, type XmarginApi } from "./createApi.js";
import { createWorld, standardScene, type World } from "./testing/fixture.js";

const CHROMIUM = chromiumPath();
let world: World;
let api: XmarginApi;
let server: http.Server;
let browser: Browser | undefined;
let base: string;

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  api = createApi({ book: world.book, production: true });
  const port = await freePort();
  server = http.createServer(api.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  base = `http://127.0.0.1:${port}`;
  // test/harness/prerequisites.ts installs it before any suite runs; this is for a run without that setup
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; install it with \`apt-get install -y --no-install-recommends chromium\`.`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  api?.close();
  await world?.book.stop();
});

describe("GraphiQL", () => {
  test("default: loads with no external request and runs a query", async () => {
    const page = await browser!.newPage();
    const external: string[] = [];
    const local: string[] = [];
    page.on("request", (request) => {
      const url = request.url();
      if (url.startsWith(base) || url.startsWith("data:") || url.startsWith("blob:")) local.push(url);
      else external.push(url);
    });
    // Anything leaving the machine would fail anyway: block it so a regression shows up here.
    await page.route((url) => !url.href.startsWith(base) && !url.href.startsWith("data:") && !url.href.startsWith("blob:"), (route) => route.abort());

    const query = "{ system { deficiencyUsd accountsPerTier { safe } } }";
    await page.goto(`${base}/graphql?query=${encodeURIComponent(query)}`, { waitUntil: "load", timeout: 60_000 });
    const execute = page.locator(".graphiql-execute-button");
    await execute.waitFor({ state: "visible", timeout: 60_000 });
    const answered = page.waitForResponse((r) => r.url().startsWith(`${base}/graphql`) && r.request().method() === "POST" && (r.request().postData() ?? "").includes("deficiencyUsd"), {
      timeout: 30_000,
    });
    await execute.click();
    const response = await answered;
    const body = (await response.json()) as { data?: { system: { accountsPerTier: { safe: number } } } };
    expect(body.data?.system.accountsPerTier.safe).toBe(world.book.system().accountsPerTier.SAFE);
    // The result pane shows it too.
    await page.locator(".graphiql-response").getByText("deficiencyUsd").first().waitFor({ timeout: 30_000 });

    expect(external).toEqual([]);
    expect(local.length).toBeGreaterThan(0);
    await page.close();
  });

  test("default: with no query it opens on this API's example, which runs without errors; the README's examples are tabs", async () => {
    const page = await browser!.newPage();
    await page.route((url) => !url.href.startsWith(base) && !url.href.startsWith("data:") && !url.href.startsWith("blob:"), (route) => route.abort());
    await page.goto(`${base}/graphql`, { waitUntil: "load", timeout: 60_000 });
    const execute = page.locator(".graphiql-execute-button");
    await execute.waitFor({ state: "visible", timeout: 60_000 });
    const answered = page.waitForResponse((r) => r.url().startsWith(`${base}/graphql`) && r.request().method() === "POST" && (r.request().postData() ?? "").includes("endangeredAccounts"), {
      timeout: 30_000,
    });
    await execute.click();
    const body = (await (await answered).json()) as { data?: any; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.system.accountsPerTier.safe).toBe(world.book.system().accountsPerTier.SAFE);
    expect(Array.isArray(body.data.endangeredAccounts.nodes)).toBe(true);
    expect(body.data.accounts.nodes[0].report.tier).toMatch(/^(SAFE|MARGIN_CALL|LIQUIDATABLE|INSOLVENT)$/);
    // one tab per example: system/endangered/account, account(address), endangered, stress, curve, subscription
    expect(await page.locator(".graphiql-tab").count()).toBe(6);
    await page.close();
  });
});
