/**
 * A generated margin book for the risk benchmark and the stress tests: three chains, a stablecoin,
 * BTC, ETH and two alts, perp markets for every risky asset on every chain, and accounts with
 * collateral on all three chains in ~3 assets, 2 perp positions and (for some) quote-token debt.
 * Seeded: the same (count, seed) gives the same book on every machine.
 */
import type {
  AccountState,
  AssetRiskConfig,
  ChainFreshness,
  ChainRiskConfig,
  Hex,
  MarketRiskConfig,
  PriceObservation,
  RiskConfig,
} from "../risk/types.js";
import { DEFAULT_RISK_PARAMS } from "../risk/defaults.js";
import { rng } from "../risk/testing.js";

/** mulberry32 (risk/testing.ts `rng`): small, fast, seeded. */
export const seededRandom = rng;

export const GENERATED_NOW = 1_750_000_000;
export const GENERATED_CHAINS: ChainRiskConfig[] = [
  { chainId: 1337001, name: "l1", liquidationLatencySeconds: 60, maxDataLagSeconds: 120 },
  { chainId: 1337002, name: "arb", liquidationLatencySeconds: 1020, maxDataLagSeconds: 120 },
  { chainId: 1337003, name: "base", liquidationLatencySeconds: 1080, maxDataLagSeconds: 120 },
];

/** USD price (8 decimals on every feed) and config per asset. */
export const GENERATED_ASSETS: { config: AssetRiskConfig; priceUsd: number; decimals: number }[] = [
  {
    priceUsd: 1,
    decimals: 6,
    config: {
      symbol: "USDC", cfMaintenance: "0.95", cfInitial: "0.90", volFloorAnnual: "0.02", maxOracleAgeSeconds: 86_400,
      impactKappa: "0.02", depthUsd: "50000000000", group: "stable",
    },
  },
  {
    priceUsd: 60_000,
    decimals: 8,
    config: {
      symbol: "BTC", cfMaintenance: "0.85", cfInitial: "0.80", volFloorAnnual: "0.40", maxOracleAgeSeconds: 3_600,
      impactKappa: "0.4", depthUsd: "30000000000", group: "btc",
    },
  },
  {
    priceUsd: 3_000,
    decimals: 18,
    config: {
      symbol: "ETH", cfMaintenance: "0.82", cfInitial: "0.77", volFloorAnnual: "0.50", maxOracleAgeSeconds: 3_600,
      impactKappa: "0.5", depthUsd: "20000000000", group: "eth",
    },
  },
  {
    priceUsd: 150,
    decimals: 18,
    config: {
      symbol: "SOL", cfMaintenance: "0.70", cfInitial: "0.62", volFloorAnnual: "0.80", maxOracleAgeSeconds: 3_600,
      impactKappa: "0.8", depthUsd: "6000000000", group: "alt",
    },
  },
  {
    priceUsd: 0.8,
    decimals: 18,
    config: {
      symbol: "ARB", cfMaintenance: "0.60", cfInitial: "0.50", volFloorAnnual: "0.90", maxOracleAgeSeconds: 3_600,
      impactKappa: "1.0", depthUsd: "2000000000", group: "alt",
    },
  },
];

const RISKY = GENERATED_ASSETS.filter((a) => a.config.group !== "stable");
const MARGIN: Record<string, { mmr: string; imr: string }> = {
  BTC: { mmr: "0.02", imr: "0.04" },
  ETH: { mmr: "0.03", imr: "0.05" },
  SOL: { mmr: "0.05", imr: "0.10" },
  ARB: { mmr: "0.08", imr: "0.15" },
};

/**
 * The generated pool's risk config: default params, the assets above, one market per risky asset per
 * chain (marketId 1..4). Liquidation depths are sized for a 100k-account book (~$1.5B collateral) and
 * scale with `accounts` so that a cascade means the same on every book size.
 */
export function generateRiskConfig(options: { accounts?: number } = {}): RiskConfig {
  const depthScale = (options.accounts ?? 100_000) / 100_000;
  const assets: RiskConfig["assets"] = {};
  for (const a of GENERATED_ASSETS) {
    assets[a.config.symbol] = { ...a.config, depthUsd: String(Math.max(1, Math.round(Number(a.config.depthUsd) * depthScale))) };
  }
  const chains: RiskConfig["chains"] = {};
  const markets: RiskConfig["markets"] = {};
  for (const chain of GENERATED_CHAINS) {
    chains[chain.chainId] = { ...chain };
    RISKY.forEach((a, i) => {
      const key = `${chain.chainId}:${i + 1}`;
      const market: MarketRiskConfig = {
        key, chainId: chain.chainId, marketId: i + 1, asset: a.config.symbol, imf: "0", ...MARGIN[a.config.symbol],
      };
      markets[key] = market;
    });
  }
  return { params: structuredClone(DEFAULT_RISK_PARAMS), assets, markets, chains };
}

/** Fresh answers for every asset on every chain at `now`, each chain's feed equal to the asset's price × `priceFactor`. */
export function generateObservations(now = GENERATED_NOW, priceFactor: Record<string, number> = {}): PriceObservation[] {
  const out: PriceObservation[] = [];
  for (const chain of GENERATED_CHAINS) {
    for (const a of GENERATED_ASSETS) {
      const price = a.priceUsd * (priceFactor[a.config.symbol] ?? 1);
      out.push({ chainId: chain.chainId, asset: a.config.symbol, answerRaw: BigInt(Math.round(price * 1e8)), decimals: 8, updatedAt: now - 30 });
    }
  }
  return out;
}

/** Every chain indexed up to 10 s before `now`. */
export function generateFreshness(now = GENERATED_NOW): ChainFreshness[] {
  return GENERATED_CHAINS.map((chain) => ({ chainId: chain.chainId, blockNumber: 1_000_000n, blockTimestamp: now - 10 }));
}


function toRaw(units: number, decimals: number): bigint {
  // two steps keep 18-decimal amounts exact enough without overflowing a float's integer range
  const whole = Math.floor(units);
  const frac = units - whole;
  const scale = 10n ** BigInt(decimals);
  const fracDigits = Math.min(decimals, 12);
  return BigInt(whole) * scale + BigInt(Math.round(frac * 10 ** fracDigits)) * 10n ** BigInt(decimals - fracDigits);
}

function address(i: number, seed: number): Hex {
  const joined = `0x${(seed >>> 0).toString(16).padStart(8, "0")}${i.toString(16).padStart(32, "0")}`;
  // one flat string, as an address parsed from a database row or JSON is: a template literal makes
  // a rope, on which every character read (hashing, comparing) walks the pieces
  return Buffer.from(joined, "latin1").toString("latin1") as Hex;
}

export interface GenerateOptions {
  seed?: number;
  /** share of accounts with quote-token debt (default 0.3) */
  debtShare?: number;
  /** perp leverage on equity is drawn from [0.2, maxLeverage] (default 8) */
  maxLeverage?: number;
  /** share of long positions (default 0.7) */
  longShare?: number;
  /** every account's first collateral item (on the first chain) is in this asset, e.g. "ETH" for a tick every account feels */
  everyoneHolds?: string;
}

/**
 * `count` accounts: collateral on each of the 3 chains (one asset per chain, drawn from all five,
 * USD value lognormal around $10k), 2 perp positions in random markets (long with `longShare`, notional
 * = leverage × collateral / 2 each, entry within ±5% of the price), quote debt of 10–60% of collateral
 * for `debtShare` of them. Some accounts start under water: the book has every tier.
 */
export function generateAccounts(count: number, options: GenerateOptions = {}): AccountState[] {
  const seed = options.seed ?? 42;
  const rand = seededRandom(seed);
  const debtShare = options.debtShare ?? 0.3;
  const maxLeverage = options.maxLeverage ?? 8;
  const longShare = options.longShare ?? 0.7;
  const usdc = GENERATED_ASSETS[0];
  const common = options.everyoneHolds === undefined ? undefined : GENERATED_ASSETS.find((a) => a.config.symbol === options.everyoneHolds);
  if (options.everyoneHolds !== undefined && !common) {
    throw new RangeError(`everyoneHolds: unknown asset '${options.everyoneHolds}'; expected one of ${GENERATED_ASSETS.map((a) => a.config.symbol).join(", ")}`);
  }
  const accounts: AccountState[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const collateral: AccountState["collateral"] = [];
    let collateralUsd = 0;
    for (const chain of GENERATED_CHAINS) {
      const drawn = GENERATED_ASSETS[Math.floor(rand() * GENERATED_ASSETS.length)];
      const a = common && chain === GENERATED_CHAINS[0] ? common : drawn;
      const valueUsd = 10_000 * Math.exp((rand() + rand() + rand() - 1.5) * 1.5) / 3;
      collateralUsd += valueUsd;
      collateral.push({ chainId: chain.chainId, asset: a.config.symbol, amountRaw: toRaw(valueUsd / a.priceUsd, a.decimals), decimals: a.decimals });
    }
    const debt: AccountState["debt"] = [];
    if (rand() < debtShare) {
      const chain = GENERATED_CHAINS[Math.floor(rand() * GENERATED_CHAINS.length)];
      const valueUsd = collateralUsd * (0.1 + 0.5 * rand());
      debt.push({ chainId: chain.chainId, asset: usdc.config.symbol, amountRaw: toRaw(valueUsd, usdc.decimals), decimals: usdc.decimals });
    }
    const positions: AccountState["positions"] = [];
    const leverage = 0.2 + (maxLeverage - 0.2) * rand() ** 2;
    for (let p = 0; p < 2; p++) {
      const chain = GENERATED_CHAINS[Math.floor(rand() * GENERATED_CHAINS.length)];
      let m = Math.floor(rand() * RISKY.length);
      if (p === 1 && positions.length === 1 && positions[0].chainId === chain.chainId && positions[0].marketId === m + 1) {
        m = (m + 1) % RISKY.length;
      }
      const a = RISKY[m];
      const side = rand() < longShare ? 1 : -1;
      const notionalUsd = (leverage * collateralUsd) / 2;
      const size = (side * notionalUsd) / a.priceUsd;
      const entry = a.priceUsd * (1 + (rand() - 0.5) * 0.1);
      positions.push({
        chainId: chain.chainId,
        marketId: m + 1,
        asset: a.config.symbol,
        sizeRaw: (side < 0 ? -1n : 1n) * toRaw(Math.abs(size), 18),
        entryPriceRaw: BigInt(Math.round(entry * 1e8)),
        priceDecimals: 8,
        fundingIndexX18: 0n,
      });
    }
    accounts[i] = { address: address(i, seed), collateral, debt, positions };
  }
  return accounts;
}
