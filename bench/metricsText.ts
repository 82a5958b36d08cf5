/**
 * Reading Prometheus text (Ponder's /metrics) for the benchmarks: samples with their labels,
 * sums over label sets, and quantiles of a histogram between two scrapes.
 */

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of a Prometheus text exposition (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of the samples called `name` whose labels include every `where` pair. */
export function sumSamples(samples: readonly MetricSample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    total += s.value;
  }
  return total;
}

/** Cumulative bucket counts of histogram `base` by upper bound, summed over every other label. */
function buckets(samples: readonly MetricSample[], base: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${base}_bucket` || s.labels.le === undefined) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The q-quantile of the observations histogram `base` gained between scrape `start` and scrape
 * `end` (all label sets together), interpolated linearly inside the bucket it falls in, as
 * Prometheus' histogram_quantile does; the lowest bucket interpolates from 0, a quantile in the
 * +Inf bucket answers the highest finite bound. null when nothing was observed.
 * Example: buckets le=100: 0→5, le=500: 0→10 (5 observations in (100, 500]); q = 0.75 → 300.
 */
export function histogramQuantile(end: readonly MetricSample[], start: readonly MetricSample[], base: string, q: number): number | null {
  const e = buckets(end, base);
  const s = buckets(start, base);
  const bounds = [...e.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (e.get(b) ?? 0) - (s.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const upper = bounds[i]!;
    if (upper === Infinity) return bounds.length > 1 ? bounds[bounds.length - 2]! : null;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : counts[i - 1]!;
    const inBucket = counts[i]! - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return null;
}
