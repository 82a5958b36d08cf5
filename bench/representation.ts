/**
 * Which number representation for the risk hot path? Screens the same generated book three ways and
 * writes bench/results/representation.md:
 *   1. decimal.js (50 digits) — `accountHealth`, the exact path evaluateAccount uses;
 *   2. bigint fixed point (1e18, WAD) — an integer transcription of the same standard-mode formulas;
 *   3. float screen + exact re-check near tier boundaries — `screenAll` (risk/compiled.ts).
 * Usage: `npx tsx bench/representation.ts [accounts=100000]`. No timed assertions; numbers only.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type Decimal from "decimal.js";
import {
  accountHealth,
  assetIndexOf,
  compileBook,
  prepareEnvironment,
  screenAll,
  screenHolders,
  tierOf,
  type AccountScreen,
  type AccountState,
  type PreparedEnvironment,
  type Tier,
} from "../risk/index.js";
import { envInput, freshChains, generateAccounts, NOW, testConfig } from "../risk/testing.js";

const N = Number(process.argv[2] ?? 100_000);
const WAD = 10n ** 18n;

/** Fixed-point environment: prices, weights and factors as WAD integers (floors for credit, ceilings for debt). */
function bigintEnv(env: PreparedEnvironment) {
  const D_ROUND_FLOOR = 3; // decimal.js ROUND_FLOOR
  const D_ROUND_CEIL = 2; // decimal.js ROUND_CEIL
  const toWad = (x: Decimal, mode: number) => BigInt(x.times(1e18).toDecimalPlaces(0, mode as never).toFixed());
  const assets: Record<string, { low: bigint; high: bigint; last: bigint; stale: boolean }> = {};
  for (const a of env.assetOrder) {
    const b = env.assets[a].band;
    assets[a] = {
      low: b.low ? toWad(b.low, D_ROUND_FLOOR) : -1n,
      high: b.high ? toWad(b.high, D_ROUND_CEIL) : -1n,
      last: b.last ? toWad(b.last, D_ROUND_FLOOR) : -1n,
      stale: b.priceStale,
    };
  }
  const weights: Record<string, { cM: bigint; cI: bigint; dM: bigint; dI: bigint }> = {};
  for (const a of env.assetOrder) {
    for (const c of env.chainOrder) {
      const h = env.haircuts[a][c];
      weights[`${a}@${c}`] = {
        cM: toWad(h.collateralWeightM, D_ROUND_FLOOR),
        cI: toWad(h.collateralWeightI, D_ROUND_FLOOR),
        dM: toWad(h.debtMaintenance.plus(1), D_ROUND_CEIL),
        dI: toWad(h.debtInitial.plus(1), D_ROUND_CEIL),
      };
    }
  }
  const markets: Record<string, { mmr: bigint; imr: bigint; idx: bigint | null }> = {};
  for (const [k, m] of Object.entries(env.markets)) markets[k] = { mmr: toWad(m.mmr, D_ROUND_CEIL), imr: toWad(m.imr, D_ROUND_CEIL), idx: m.fundingIndexX18 };
  return { assets, weights, markets, chains: env.chains };
}

const ceilDiv = (a: bigint, b: bigint) => (a >= 0n ? (a + b - 1n) / b : a / b);
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** Standard mode, mark present (the bench's environment has fresh prices): healthM, healthI, equity in WAD. */
function bigintScreen(account: AccountState, e: ReturnType<typeof bigintEnv>): Tier {
  let hM = 0n;
  let hI = 0n;
  let eq = 0n;
  for (const b of account.collateral) {
    const p = e.assets[b.asset];
    const scale = 10n ** BigInt(b.decimals);
    const v = (b.amountRaw * p.last) / scale;
    eq += e.chains[b.chainId].unreachable ? 0n : v;
    if (e.chains[b.chainId].reason || p.stale) continue;
    const atLow = (b.amountRaw * p.low) / scale;
    const w = e.weights[`${b.asset}@${b.chainId}`];
    hM += (atLow * w.cM) / WAD;
    hI += (atLow * w.cI) / WAD;
  }
  for (const b of account.debt) {
    const p = e.assets[b.asset];
    const scale = 10n ** BigInt(b.decimals);
    eq -= ceilDiv(b.amountRaw * p.last, scale);
    const atHigh = ceilDiv(b.amountRaw * p.high, scale);
    const w = e.weights[`${b.asset}@${b.chainId}`];
    hM -= ceilDiv(atHigh * w.dM, WAD);
    hI -= ceilDiv(atHigh * w.dI, WAD);
  }
  for (const q of account.positions) {
    const key = `${q.chainId}:${q.marketId}`;
    const m = e.markets[key];
    const asset = q.marketId === 1 ? "ETH" : "BTC";
    const p = e.assets[asset].last;
    const entry = q.entryPriceRaw * 10n ** BigInt(18 - q.priceDecimals);
    const idx = m.idx ?? q.fundingIndexX18;
    const funding = (q.sizeRaw * (idx - q.fundingIndexX18)) / WAD;
    const u = floorDiv(q.sizeRaw * (p - entry), WAD) - funding;
    const abs = q.sizeRaw < 0n ? -q.sizeRaw : q.sizeRaw;
    const notional = (abs * p) / WAD;
    const zero = e.chains[q.chainId].reason !== null && u > 0n;
    const uc = zero ? 0n : u;
    hM += uc - ceilDiv(notional * m.mmr, WAD);
    hI += uc - ceilDiv(notional * m.imr, WAD);
    eq += e.chains[q.chainId].unreachable && u > 0n ? 0n : u;
  }
  return tierOf(Number(hI), Number(hM), Number(eq));
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20; // typed arrays live outside the JS heap
}

const config = testConfig();
const env = prepareEnvironment(config, envInput({ chains: freshChains(NOW, 12) }));
const accounts = generateAccounts(N, 2024);
const items = accounts.reduce((s, a) => s + a.collateral.length + a.debt.length + a.positions.length, 0);

const heap0 = heapMb();
const compiled = time(() => compileBook(accounts, config));
const heapBook = heapMb() - heap0;
const book = compiled.value;

// warm-up (JIT) on a slice, then measure full passes
screenAll(book, env);
const fixedEnv = bigintEnv(env);
for (let i = 0; i < Math.min(2000, N); i++) bigintScreen(accounts[i], fixedEnv);
for (let i = 0; i < Math.min(500, N); i++) accountHealth(accounts[i], env);

/** Median of `runs` timed passes. */
function medianOf<T>(runs: number, fn: () => T): { ms: number; value: T } {
  const results = Array.from({ length: runs }, () => time(fn));
  results.sort((a, b) => a.ms - b.ms);
  return results[runs >> 1];
}

book.exactChecks = 0;
const floatRun = time(() => screenAll(book, env));
const floatChecks = book.exactChecks;
const reused = floatRun.value;
const floatRun2 = medianOf(5, () => screenAll(book, env, reused));
const floatTiers = reused.map((s) => s!.tier);
const bigintRun = medianOf(3, () => accounts.map((a) => bigintScreen(a, fixedEnv)));
const decimalRun = time(() => accounts.map((a) => accountHealth(a, env).tier));

// a price tick on ETH: prepare the environment, re-screen only ETH holders (median of 5 ticks, after 2 warm-up ticks)
const screens = reused.map((x) => (x ? { ...x } : null)) as (AccountScreen | null)[];
let tickNo = 0;
const tickOnce = () => {
  const m = (0.97 - 0.001 * tickNo++).toFixed(3);
  const prep = time(() => prepareEnvironment(config, envInput({ chains: freshChains(NOW, 12) }), { priceMultipliers: { ETH: m } }));
  book.exactChecks = 0;
  const run = time(() => screenHolders(book, assetIndexOf(book, "ETH"), prep.value, screens));
  return { prepMs: prep.ms, screenMs: run.ms, checks: book.exactChecks };
};
tickOnce();
tickOnce();
const ticks = Array.from({ length: 5 }, tickOnce);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const tickEnvMs = med(ticks.map((t) => t.prepMs));
const tickMs = med(ticks.map((t) => t.screenMs));
const tickChecks = Math.max(...ticks.map((t) => t.checks));

let floatVsDecimal = 0;
let bigintVsDecimal = 0;
const tiers: Record<Tier, number> = { SAFE: 0, MARGIN_CALL: 0, LIQUIDATABLE: 0, INSOLVENT: 0 };
decimalRun.value.forEach((t, i) => {
  tiers[t]++;
  if (floatTiers[i] !== t) floatVsDecimal++;
  if (bigintRun.value[i] !== t) bigintVsDecimal++;
});

const perAcct = (ms: number) => ((ms * 1000) / N).toFixed(2);
const rows = [
  ["decimal.js, 50 digits (`accountHealth`)", decimalRun.ms, 0, "exact (reference)"],
  ["bigint fixed point, 1e18", bigintRun.ms, bigintVsDecimal, "exact integers; rounding differs from the reference only in the last wei"],
  ["float screen + exact re-check (`screenAll`)", floatRun2.ms, floatVsDecimal, `${floatChecks} exact re-checks`],
] as const;

const md = `# Hot-path representation: decimal.js vs bigint fixed point vs float + exact re-check

Generated by \`npx tsx bench/representation.ts ${N}\` on ${new Date().toISOString().slice(0, 10)}
(${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared with other work, Node ${process.version}).
Workload: ${N.toLocaleString("en-US")} generated accounts (risk/testing.ts \`generateAccounts\`, seed 2024), ${items.toLocaleString("en-US")} items
(1–3 collateral, 0–2 debts, 0–2 perps each, over 3 chains, 4 assets), standard margin mode, fresh prices,
12 s measured lag. Tiers at these prices: ${Object.entries(tiers).map(([t, n]) => `${t} ${n}`).join(", ")}.

| representation | full pass (ms) | µs / account | tiers differing from decimal.js | note |
|---|---:|---:|---:|---|
${rows.map(([name, ms, diff, note]) => `| ${name} | ${ms.toFixed(1)} | ${perAcct(ms)} | ${diff} | ${note} |`).join("\n")}

- First float pass (allocates the ${N.toLocaleString("en-US")} screen objects): ${floatRun.ms.toFixed(0)} ms; the table shows the
  median of 5 passes that reuse them (what a book does every tick); bigint: median of 3; decimal.js: 1 pass.
- Compiling the book (typed arrays + holder index): ${compiled.ms.toFixed(0)} ms, ≈ ${heapBook.toFixed(1)} MB (heap + typed arrays)
  (exact \`AccountState\`s are kept aside and not counted twice).
- A price tick on ETH (median of 5 after 2 warm-up ticks, −3% … −3.6%): \`prepareEnvironment\` ${tickEnvMs.toFixed(1)} ms +
  \`screenHolders\` over ${book.holders[assetIndexOf(book, "ETH")].size.toLocaleString("en-US")} ETH holders ${tickMs.toFixed(1)} ms (≤ ${tickChecks} exact re-checks per tick).
- Load average during the run: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores (other engineers' tests share the machine), so
  absolute times are noisy; the ratios are the point.

## Choice
Float screening with an exact re-check is ${(decimalRun.ms / floatRun2.ms).toFixed(0)}× faster than decimal.js and
${(bigintRun.ms / floatRun2.ms).toFixed(0)}× faster than bigint fixed point, and its tiers are never wrong by
construction: whenever healthI, healthM or equity is within 1e-9 × Σ|terms| (+1e-9 USD) of 0 the tier comes
from the same decimal code as \`evaluateAccount\` (the float error is ~1e-15 relative, a million times
smaller than the band). Bigint fixed point is exact but pays for BigInt allocation on every multiply and
still needs decimal.js for exp/√ (haircuts, PMR); decimal.js stays the reference for every number a user
sees (\`evaluateAccount\`). So: **float + exact re-check for ranking, lists and stress; decimal.js for
reports.**
`;

const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "representation.md"), md);
console.log(md);
