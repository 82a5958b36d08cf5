/**
 * Mark prices from every chain's oracle answers (risk model §2): the median of the fresh answers,
 * with chains that deviate from it by more than `maxOracleDeviation` flagged and left out.
 */
import type Decimal from "decimal.js";
import { D, fromRaw, toDecimal } from "./decimal.js";
import type { AssetSymbol, ChainId, MarkPrice, PriceObservation, RiskConfig, RiskParams } from "./types.js";

type Source = MarkPrice["sources"][number];

/** Median of a non-empty list (mean of the middle two for an even count). Exact at 50 digits. */
export function medianDecimal(values: readonly Decimal[]): Decimal {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : sorted[mid - 1].plus(sorted[mid]).div(2);
}

/** The latest observation per chain for one asset; ties on `updatedAt` keep the higher answer (order-independent). */
function latestPerChain(observations: readonly PriceObservation[]): PriceObservation[] {
  const byChain = new Map<ChainId, PriceObservation>();
  for (const o of observations) {
    const prev = byChain.get(o.chainId);
    if (
      !prev ||
      o.updatedAt > prev.updatedAt ||
      (o.updatedAt === prev.updatedAt && fromRaw(o.answerRaw, o.decimals).gt(fromRaw(prev.answerRaw, prev.decimals)))
    ) {
      byChain.set(o.chainId, o);
    }
  }
  return [...byChain.values()].sort((a, b) => a.chainId - b.chainId);
}

/**
 * `P_x` for every configured asset at `now` (unix seconds):
 * 1. per chain the latest answer; it is stale when `now − updatedAt > maxOracleAgeSeconds_x` or the
 *    answer is ≤ 0 (Chainlink's invalid round);
 * 2. m = median of the fresh answers; a chain with `|p − m| > maxOracleDeviation · m` is divergent;
 * 3. `priceUsd` = median of the fresh, non-divergent answers, or null when none is left (no fresh
 *    answer, or no two chains agree — e.g. two chains 10% apart: both deviate 5% from their mean).
 *
 * With three chains, one manipulated feed cannot move the mark outside the honest answers' range.
 * Example: ETH answers 3000, 3001, 4500 (8 decimals) → median 3001, 4500 is divergent → 3000.5.
 * Units: USD, exact decimal of `answerRaw / 10^decimals`.
 */
export function markPrices(
  observations: readonly PriceObservation[],
  assets: RiskConfig["assets"],
  params: Pick<RiskParams, "maxOracleDeviation">,
  now: number,
): Record<AssetSymbol, MarkPrice> {
  const maxDeviation = toDecimal(params.maxOracleDeviation);
  const byAsset = new Map<AssetSymbol, PriceObservation[]>();
  for (const o of observations) {
    if (!(o.asset in assets)) continue; // feeds of assets the pool does not use carry no weight
    let list = byAsset.get(o.asset);
    if (!list) byAsset.set(o.asset, (list = []));
    list.push(o);
  }
  const out: Record<AssetSymbol, MarkPrice> = {};
  for (const symbol of Object.keys(assets).sort()) {
    const maxAge = assets[symbol].maxOracleAgeSeconds;
    const sources: Source[] = latestPerChain(byAsset.get(symbol) ?? []).map((o) => {
      const priceUsd = fromRaw(o.answerRaw, o.decimals);
      const ageSeconds = Math.max(0, now - o.updatedAt);
      return { chainId: o.chainId, priceUsd, ageSeconds, stale: ageSeconds > maxAge || !priceUsd.gt(0), divergent: false };
    });
    const fresh = sources.filter((s) => !s.stale);
    let priceUsd: Decimal | null = null;
    if (fresh.length > 0) {
      const median = medianDecimal(fresh.map((s) => s.priceUsd));
      const band = median.times(maxDeviation);
      for (const s of fresh) s.divergent = s.priceUsd.minus(median).abs().gt(band);
      const agreeing = fresh.filter((s) => !s.divergent);
      priceUsd = agreeing.length > 0 ? medianDecimal(agreeing.map((s) => s.priceUsd)) : null;
    }
    out[symbol] = {
      asset: symbol,
      priceUsd,
      sources,
      divergentChains: sources.filter((s) => s.divergent).map((s) => s.chainId),
    };
  }
  return out;
}

/**
 * The prices the core values an asset at (all USD):
 * - `mark` the mark (null when there is none);
 * - `low` / `high` conservative bounds used for health when there is no mark: collateral at `low`,
 *   debt at `high`, a perp at whichever gives the lower health. Fresh answers when any exist (no two
 *   chains agree), otherwise every known answer (all stale);
 * - `last` the at-market value for equity: the mark, else the median of the fresh answers, else the
 *   most recent answer;
 * - `priceStale` no fresh answer at all (positive contributions count 0).
 * All null when the asset was never priced. With a mark: low = high = last = mark.
 */
export interface PriceBand {
  mark: Decimal | null;
  low: Decimal | null;
  high: Decimal | null;
  last: Decimal | null;
  priceStale: boolean;
}

/** Derives the {@link PriceBand} of one mark. Example: mark 3000 → {mark, low, high, last: 3000, priceStale: false}. */
export function priceBand(mark: MarkPrice): PriceBand {
  if (mark.priceUsd) return { mark: mark.priceUsd, low: mark.priceUsd, high: mark.priceUsd, last: mark.priceUsd, priceStale: false };
  const valid = mark.sources.filter((s) => s.priceUsd.gt(0));
  const fresh = valid.filter((s) => !s.stale);
  const pool = fresh.length > 0 ? fresh : valid;
  if (pool.length === 0) return { mark: null, low: null, high: null, last: null, priceStale: true };
  const prices = pool.map((s) => s.priceUsd);
  const low = D.min(...prices);
  const high = D.max(...prices);
  let last: Decimal;
  if (fresh.length > 0) last = medianDecimal(prices);
  else {
    // most recent answer (smallest age); ties by chain id for determinism
    const newest = [...pool].sort((a, b) => a.ageSeconds - b.ageSeconds || a.chainId - b.chainId)[0];
    last = newest.priceUsd;
  }
  return { mark: null, low, high, last, priceStale: fresh.length === 0 };
}
