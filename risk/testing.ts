/**
 * Plain-data fixtures for the risk core's tests and benchmarks: a three-chain config, observations at
 * given prices, and a deterministic account generator. No I/O; not imported by production code.
 */
import { DEFAULT_RISK_PARAMS } from "./defaults.js";
import type { EnvironmentInput } from "./environment.js";
import type {
  AccountState,
  AssetRiskConfig,
  AssetSymbol,
  ChainFreshness,
  ChainId,
  Hex,
  MarketRiskConfig,
  PriceObservation,
  RiskConfig,
  RiskParams,
} from "./types.js";

export const CHAIN_L1 = 1337001;
export const CHAIN_L2A = 1337002;
export const CHAIN_L2B = 1337003;
export const CHAINS: ChainId[] = [CHAIN_L1, CHAIN_L2A, CHAIN_L2B];

export const ASSET_DECIMALS: Record<AssetSymbol, number> = { BTC: 8, ETH: 18, USDC: 6, SOL: 9 };

export function assetConfig(symbol: AssetSymbol, over: Partial<AssetRiskConfig> = {}): AssetRiskConfig {
  const base: Record<AssetSymbol, Partial<AssetRiskConfig>> = {
    BTC: { cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.40", group: "btc" },
    ETH: { cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.45", group: "eth" },
    USDC: { cfMaintenance: "0.95", cfInitial: "0.93", volFloorAnnual: "0.02", group: "stable" },
    SOL: { cfMaintenance: "0.70", cfInitial: "0.60", volFloorAnnual: "0.70", group: "alt" },
  };
  return {
    symbol,
    cfMaintenance: "0.8",
    cfInitial: "0.75",
    volFloorAnnual: "0.5",
    maxOracleAgeSeconds: 3600,
    impactKappa: "0.5",
    depthUsd: "50000000",
    group: "alt",
    ...base[symbol],
    ...over,
  };
}

/** Three chains (latency 900 / 1020 / 1200 s, max lag 120 s), BTC/ETH/USDC/SOL, ETH and BTC perps on every chain. */
export function testConfig(over: { params?: Partial<RiskParams>; latency?: number[]; assets?: Record<AssetSymbol, Partial<AssetRiskConfig>>; markets?: Partial<MarketRiskConfig> } = {}): RiskConfig {
  const latency = over.latency ?? [900, 1020, 1200];
  const chains: RiskConfig["chains"] = {};
  CHAINS.forEach((chainId, i) => {
    chains[chainId] = { chainId, name: ["l1", "l2a", "l2b"][i], liquidationLatencySeconds: latency[i], maxDataLagSeconds: 120 };
  });
  const assets: RiskConfig["assets"] = {};
  for (const s of ["BTC", "ETH", "USDC", "SOL"]) assets[s] = assetConfig(s, over.assets?.[s]);
  const markets: RiskConfig["markets"] = {};
  for (const chainId of CHAINS) {
    for (const [marketId, asset] of [[1, "ETH"], [2, "BTC"]] as const) {
      const key = `${chainId}:${marketId}`;
      markets[key] = { key, chainId, marketId, asset, mmr: "0.03", imr: "0.05", imf: "0", ...over.markets };
    }
  }
  // the exact data lag (no step), so a test with latency 0 and lag 0 gets h = 0
  return { params: { ...DEFAULT_RISK_PARAMS, lagStepSeconds: 0, ...over.params }, assets, markets, chains };
}

/** An 8-decimal raw price from a decimal string or number ("2000.5" → 200050000000n). */
export function price8(usd: string | number): bigint {
  const [i, f = ""] = String(usd).split(".");
  return BigInt(i + (f + "00000000").slice(0, 8));
}

/** The same fresh answer on every chain for each asset. */
export function observationsAt(prices: Record<AssetSymbol, string | number>, now: number, chains: ChainId[] = CHAINS): PriceObservation[] {
  const out: PriceObservation[] = [];
  for (const [asset, p] of Object.entries(prices)) {
    for (const chainId of chains) out.push({ chainId, asset, answerRaw: price8(p), decimals: 8, updatedAt: now - 10 });
  }
  return out;
}

export function freshChains(now: number, lag = 0, chains: ChainId[] = CHAINS): ChainFreshness[] {
  return chains.map((chainId) => ({ chainId, blockNumber: 100n, blockTimestamp: now - lag }));
}

export const NOW = 1_750_000_000;
export const DEFAULT_PRICES = { BTC: "60000", ETH: "3000", USDC: "1", SOL: "150" };

export function envInput(over: Partial<EnvironmentInput> = {}): EnvironmentInput {
  const now = over.now ?? NOW;
  return {
    now,
    observations: observationsAt(DEFAULT_PRICES, now),
    chains: freshChains(now),
    volatility: null,
    fundingIndexX18: {},
    ...over,
  };
}

export function address(i: number): Hex {
  return `0x${i.toString(16).padStart(40, "0")}` as Hex;
}

/** A small deterministic PRNG (mulberry32) for generated books: same seed, same accounts. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generated accounts: 1–3 collateral items, up to 2 debts, up to 2 perps, across the three chains,
 * sized so that every tier occurs at the default prices.
 */
export function generateAccounts(count: number, seed = 1): AccountState[] {
  const r = rng(seed);
  const assets = ["BTC", "ETH", "USDC", "SOL"];
  const pxs: Record<string, number> = { BTC: 60000, ETH: 3000, USDC: 1, SOL: 150 };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const raw = (usd: number, asset: string) => {
    const units = usd / pxs[asset];
    const dec = ASSET_DECIMALS[asset];
    const whole = Math.floor(units * 1e6);
    return (BigInt(whole) * 10n ** BigInt(dec)) / 1_000_000n;
  };
  const out: AccountState[] = [];
  for (let i = 0; i < count; i++) {
    const collateral = [];
    const nColl = 1 + Math.floor(r() * 3);
    let total = 0;
    for (let k = 0; k < nColl; k++) {
      const asset = pick(assets);
      const usd = 100 + r() * 100_000;
      total += usd;
      collateral.push({ chainId: pick(CHAINS), asset, amountRaw: raw(usd, asset), decimals: ASSET_DECIMALS[asset] });
    }
    const debt = [];
    const nDebt = Math.floor(r() * 3);
    for (let k = 0; k < nDebt; k++) {
      const asset = pick(assets);
      const usd = (total * (0.2 + r() * 0.9)) / nDebt;
      debt.push({ chainId: pick(CHAINS), asset, amountRaw: raw(usd, asset), decimals: ASSET_DECIMALS[asset] });
    }
    const positions = [];
    const nPos = Math.floor(r() * 3);
    for (let k = 0; k < nPos; k++) {
      const marketId = pick([1, 2]);
      const asset = marketId === 1 ? "ETH" : "BTC";
      const notional = total * (0.5 + r() * 8);
      const size = (notional / pxs[asset]) * (r() < 0.5 ? -1 : 1);
      const entry = pxs[asset] * (0.9 + r() * 0.2);
      positions.push({
        chainId: pick(CHAINS),
        marketId,
        asset,
        sizeRaw: BigInt(Math.round(size * 1e6)) * 10n ** 12n,
        entryPriceRaw: price8(entry.toFixed(2)),
        priceDecimals: 8,
        fundingIndexX18: BigInt(Math.round(r() * 1e6)) * 10n ** 12n,
      });
    }
    out.push({ address: address(i + 1), collateral, debt, positions });
  }
  return out;
}
