/**
 * What rebuilding the tier-change log from the ledger costs at load (api/book/tierLog.ts), over the
 * in-memory store: N accounts (ETH collateral on l1, USDC debt on l2a at staggered leverage), then an
 * hour of ledger: every 5 s a price round of every asset on every chain (ETH walking, with a −25%
 * crash every 20 minutes), five account events every 5 s. Measures `book.start()` with a window of 0
 * (the book's load plus the ledger replayed, only the baseline evaluated; measured first, so it also
 * carries the cold start) and with the default window (900 s evaluated; TIERLOG_WINDOW=seconds to
 * change it), the difference being the evaluation's share, plus entries and RSS.
 * Usage: `npm run bench:tierlog [-- 10000 100000]`; writes bench/results/tierlog.md. Numbers only.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRiskBook } from "../api/book/book.js";
import { advanceCheckpoint, appendLedger, createMemoryReader, createMemoryStore } from "../api/book/memoryReader.js";
import type { LedgerRow } from "../api/book/reader.js";
import { CHAINS, CHAIN_L1, CHAIN_L2A, T0, USDC, WETH, bookTestConfig, ledgerRow, priceRows, resetBlocks, testTokens } from "../api/book/testing.js";
import type { Hex } from "../risk/types.js";
import { rng } from "../risk/testing.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [10_000, 100_000];
const HOUR = 3600;
/** the window evaluated at load (the book's default, 900 s, unless TIERLOG_WINDOW says otherwise) */
const WINDOW = Number(process.env.TIERLOG_WINDOW ?? 900);

function buildStore(accounts: number) {
  resetBlocks();
  const store = createMemoryStore({ tokens: testTokens() });
  const rows: LedgerRow[] = [];
  const random = rng(7);
  const address = (i: number) => `0x${(0x10000000 + i).toString(16).padStart(40, "0")}` as Hex;
  const start = T0 - HOUR - 600;
  rows.push(...priceRows({ ETH: 3000, USDC: 1, BTC: 60000, SOL: 150 }, start));
  for (let i = 0; i < accounts; i++) {
    const eth = BigInt(1 + (i % 5)) * 10n ** 18n;
    const debt = BigInt(Math.floor(Number(eth / 10n ** 12n) * (0.4 + 1.4 * random()) * 3000 / 1e6 * 0.5)) * 10n ** 6n;
    const block = 1000n + BigInt(Math.floor(i / 500));
    rows.push(ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: start + 1, blockNumber: block, logIndex: i % 500, account: address(i), token: WETH[CHAIN_L1], asset: "ETH", amountRaw: eth, newValueRaw: eth }));
    rows.push(ledgerRow({ chainId: CHAIN_L2A, kind: "BORROW", timestamp: start + 2, blockNumber: block, logIndex: i % 500, account: address(i), token: USDC[CHAIN_L2A], asset: "USDC", amountRaw: debt, newValueRaw: debt }));
  }
  let eth = 3000;
  for (let t = T0 - HOUR; t <= T0; t += 5) {
    const phase = (t - (T0 - HOUR)) % 1200;
    eth = phase < 600 ? eth * (1 + (random() - 0.5) * 0.004) : phase < 620 ? eth * 0.985 : eth * 1.0012;
    rows.push(...priceRows({ ETH: Math.round(eth * 100) / 100, USDC: 1, BTC: 60000, SOL: 150 }, t));
    for (let k = 0; k < 5; k++) {
      const i = Math.floor(random() * accounts);
      const amount = BigInt(1 + Math.floor(random() * 5)) * 10n ** 18n;
      rows.push(ledgerRow({ chainId: CHAIN_L1, kind: "DEPOSIT", timestamp: t + k, account: address(i), token: WETH[CHAIN_L1], asset: "ETH", amountRaw: amount, newValueRaw: amount }));
    }
  }
  appendLedger(store, rows);
  for (const chainId of CHAINS) advanceCheckpoint(store, chainId, 10_000_000n, T0 + 1);
  return { store, ledgerRows: rows.length };
}

async function loadOnce(store: ReturnType<typeof buildStore>["store"], windowSeconds: number) {
  const progress: string[] = [];
  const book = createRiskBook({
    reader: createMemoryReader(store),
    config: bookTestConfig(),
    clock: () => (T0 + 2) * 1000,
    pollIntervalMs: 0,
    clockIntervalMs: 0,
    readTimeoutMs: 0,
    tierLogWindowSeconds: windowSeconds,
    onTierLogProgress: (done, total) => progress.push(`${done}/${total}`),
  });
  const t0 = performance.now();
  await book.start();
  const ms = performance.now() - t0;
  const entries = book.tierChanges({ first: Number.MAX_SAFE_INTEGER }).length;
  await book.stop();
  return { ms, entries, points: progress.at(-1) ?? "0/0" };
}

const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  console.log(s);
};
out(`# Tier-change log: load cost (bench/tierLog.ts)`);
out("");
out(`Run ${new Date().toISOString()} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, Node ${process.version}. Command: \`npm run bench:tierlog\`.`);
out("In-memory store (no database time): what the log itself costs. The ledger holds an hour of prices (every 5 s, ETH walking with a crash every 20 min) and account events.");
out("");
out("| accounts | ledger rows | book.start(), window ${WINDOW} s | window 0 (replay only) | evaluation share | points evaluated | entries | RSS after |");
out("|---|---|---|---|---|---|---|---|");
for (const n of SIZES) {
  const { store, ledgerRows } = buildStore(n);
  const zero = await loadOnce(store, 0);
  const hour = await loadOnce(store, WINDOW);
  const rss = Math.round(process.memoryUsage().rss / 1e6);
  out(`| ${n.toLocaleString("en")} | ${ledgerRows.toLocaleString("en")} | ${(hour.ms / 1000).toFixed(2)} s | ${(zero.ms / 1000).toFixed(2)} s | ${((hour.ms - zero.ms) / 1000).toFixed(2)} s | ${hour.points.split("/")[1]} | ${hour.entries.toLocaleString("en")} | ${rss} MB |`);
}
const file = join(dirname(fileURLToPath(import.meta.url)), "results", "tierlog.md");
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, lines.join("\n") + "\n");
