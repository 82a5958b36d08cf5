/**
 * npm run screenshots: screenshots of the dashboard during a crash, for docs/.
 * Starts the devnet like `npm start` (devnet/start.ts: chains, contracts, simulator with a crash
 * every --crash-every seconds, liquidator, Ponder with the API), opens the dashboard in headless
 * Chromium (/usr/bin/chromium, nothing loaded from outside 127.0.0.1), waits for the first crash
 * and takes the dashboard ~12 s into it and the most endangered account's page, then stops everything.
 * Flags: --port N (4300) --chain-port-base N (18800) --crash-every S (60) --out DIR (docs).
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const port = flag("port", "4300");
const chainPortBase = flag("chain-port-base", "18800");
const crashEvery = flag("crash-every", "60");
const outDir = path.resolve(ROOT, flag("out", "docs"));

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "devnet/start.ts"), "--port", port, "--chain-port-base", chainPortBase, "--crash-every", crashEvery, "--recovery", "40", "--accounts", "300"], {
    cwd: ROOT,
    env: { ...process.env, XMARGIN_DEVNET_DIR: path.join(ROOT, ".xmargin", "screenshots") },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let output = "";
  let crashes = 0;
  let crashAt = 0;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
    process.stdout.write(chunk);
    const n = (output.match(/\ncrash: every risky asset/g) ?? []).length;
    if (n > crashes) {
      crashes = n;
      crashAt = Date.now();
    }
  });
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGINT");
    } catch {
      // already gone
    }
  };
  process.on("SIGINT", stop);
  const wait = async (what: string, ok: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  try {
    await wait("the dashboard URL", () => /dashboard\s+http:\/\/127\.0\.0\.1:\d+\//.test(output), 300_000);
    const base = /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1];
    const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
    page.on("console", (m) => void (m.type() !== "log" && console.log(`[page ${m.type()}] ${m.text()}`)));
    await page.route((url) => url.hostname !== "127.0.0.1" && url.protocol !== "data:" && url.protocol !== "blob:", (route) => route.abort());
    // the API answers NOT_READY until the backfill is done: reload until the page has data
        for (let attempt = 1; ; attempt++) {
      const ok = await page
        .goto(`${base}/`, { waitUntil: "load", timeout: 120_000 })
        .then(() => page.waitForFunction(() => ((window as any).__xmargin?.systemUpdates ?? 0) > 0, undefined, { timeout: 30_000 }))
        .then(() => true, (e) => (console.log(`dashboard not ready yet (attempt ${attempt}): ${String(e).split("\n")[0]}`), false));
      if (ok) break;
      if (attempt >= 20) throw new Error("the dashboard never showed data");
    }
    const seen = crashes;
    await wait("a crash", () => crashes > seen, Number(crashEvery) * 1000 + 120_000);
    await wait("12 s into the crash", () => Date.now() - crashAt > 12_000, 60_000);
    await page
      .waitForFunction(() => ((window as any).__xmargin?.curveLoads ?? 0) > 0, undefined, { timeout: 60_000 })
      .catch(() => console.log("the liquidation curves have not loaded yet; taking the screenshot anyway"));
    await page.screenshot({ path: path.join(outDir, "dashboard-crash.png"), fullPage: true });
    console.log(`wrote ${path.join(outDir, "dashboard-crash.png")}`);
    const first = await page.locator("#endangered-table tbody tr a").first().getAttribute("href").catch(() => null);
    if (first) {
      const account = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
      await account.route((url) => url.hostname !== "127.0.0.1" && url.protocol !== "data:" && url.protocol !== "blob:", (route) => route.abort());
      await account.goto(`${base}${first}`, { waitUntil: "load", timeout: 120_000 });
      await account.waitForFunction(() => ((window as any).__xmargin?.charts?.accountHistory?.points ?? 0) > 0, undefined, { timeout: 60_000 }).catch(() => console.log("no account history yet"));
      await account.waitForTimeout(500);
      await account.screenshot({ path: path.join(outDir, "account-crash.png"), fullPage: true });
      console.log(`wrote ${path.join(outDir, "account-crash.png")}`);
    }
  } finally {
    await browser.close();
    stop();
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
