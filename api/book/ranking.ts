/**
 * The endangered ranking: accounts with a health factor, most endangered first (insolvent, then
 * liquidatable, then margin call, then safe; within a tier the lowest health factor first; ties
 * by address). One sorted array per tier, updated in place (binary search + splice) so a touched
 * account costs O(log n + move) and the top-k is a walk from the front.
 */
import type { Hex, Tier } from "../../risk/types.js";

export const TIER_RANK: Record<Tier, number> = { INSOLVENT: 0, LIQUIDATABLE: 1, MARGIN_CALL: 2, SAFE: 3 };
const TIER_BY_RANK: Tier[] = ["INSOLVENT", "LIQUIDATABLE", "MARGIN_CALL", "SAFE"];

export interface RankEntry {
  address: Hex;
  tier: Tier;
  healthFactor: number;
}

function compare(a: RankEntry, b: RankEntry): number {
  if (a.healthFactor !== b.healthFactor) return a.healthFactor < b.healthFactor ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

export class EndangeredRanking {
  private readonly tiers: RankEntry[][] = [[], [], [], []];
  private readonly current = new Map<Hex, RankEntry>();

  get size(): number {
    return this.current.size;
  }

  /** Sets an account's place; `healthFactor` null (no liabilities) takes it out of the ranking. */
  set(address: Hex, tier: Tier, healthFactor: number | null): void {
    const known = this.current.get(address);
    if (known !== undefined) {
      if (healthFactor !== null && known.tier === tier && known.healthFactor === healthFactor) return;
      this.remove(address);
    }
    if (healthFactor === null || Number.isNaN(healthFactor)) return;
    const entry: RankEntry = { address, tier, healthFactor };
    const list = this.tiers[TIER_RANK[tier]];
    list.splice(this.lowerBound(list, entry), 0, entry);
    this.current.set(address, entry);
  }

  remove(address: Hex): void {
    const known = this.current.get(address);
    if (known === undefined) return;
    const list = this.tiers[TIER_RANK[known.tier]];
    const i = this.lowerBound(list, known);
    if (list[i]?.address === address) list.splice(i, 1);
    else list.splice(list.findIndex((e) => e.address === address), 1);
    this.current.delete(address);
  }

  /** Rebuilds every tier from scratch (after a full recompute): one sort instead of n splices. */
  reset(entries: Iterable<{ address: Hex; tier: Tier; healthFactor: number | null }>): void {
    for (const list of this.tiers) list.length = 0;
    this.current.clear();
    for (const e of entries) {
      if (e.healthFactor === null || Number.isNaN(e.healthFactor)) continue;
      const entry: RankEntry = { address: e.address, tier: e.tier, healthFactor: e.healthFactor };
      this.tiers[TIER_RANK[e.tier]].push(entry);
      this.current.set(e.address, entry);
    }
    for (const list of this.tiers) list.sort(compare);
  }

  /** Up to `first` accounts with healthFactor < maxHealthFactor, most endangered first. */
  top(maxHealthFactor: number, first: number): RankEntry[] {
    const out: RankEntry[] = [];
    for (const list of this.tiers) {
      for (const e of list) {
        if (out.length >= first) return out;
        if (!(e.healthFactor < maxHealthFactor)) break; // sorted: the rest of this tier is above
        out.push(e);
      }
    }
    return out;
  }

  has(address: Hex): boolean {
    return this.current.has(address);
  }

  get(address: Hex): RankEntry | undefined {
    return this.current.get(address);
  }

  /** Every entry in ranking order (tests, snapshots). */
  all(): RankEntry[] {
    return this.tiers.flat();
  }

  static tierAt(rank: number): Tier {
    return TIER_BY_RANK[rank];
  }

  private lowerBound(list: RankEntry[], entry: RankEntry): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(list[mid], entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
