/**
 * Compare a store read with `readStore` to ground truth: missing rows, unexpected rows, and every
 * predicted column that differs. Returns human-readable mismatches (empty when equal), capped per
 * table so a broken run still prints something readable.
 */
import type { GroundTruth } from "./groundTruth.js";
import type { StoreTables } from "./store.js";

export interface CompareOptions {
  /** Tables to leave out (e.g. latestPrice when a test pushes non-positive answers). */
  skipTables?: string[];
  /** Columns to leave out, per table. */
  skipColumns?: Record<string, string[]>;
  /** Max mismatches reported per table, default 10. */
  maxPerTable?: number;
}

export function compareStore(truth: GroundTruth, store: StoreTables, options: CompareOptions = {}): string[] {
  const out: string[] = [];
  const max = options.maxPerTable ?? 10;
  for (const [name, expected] of Object.entries(truth.tables)) {
    if (options.skipTables?.includes(name)) continue;
    const rows = store[name];
    if (!rows) {
      out.push(`${name}: not read from the store`);
      continue;
    }
    const skip = new Set(options.skipColumns?.[name] ?? []);
    const keyOf = (r: Record<string, string | null>) => expected.key.map((k) => r[k]).join("|");
    const want = new Map(expected.rows.map((r) => [keyOf(r), r]));
    const got = new Map(rows.map((r) => [keyOf(r), r]));
    const problems: string[] = [];
    if (got.size !== rows.length) problems.push(`${rows.length - got.size} duplicate keys over (${expected.key.join(", ")})`);
    const mustHave = expected.mode === "exact" ? [...want.keys()] : [...(expected.required ?? [])];
    for (const key of mustHave) if (!got.has(key)) problems.push(`missing row ${key}`);
    for (const [key, row] of got) {
      const w = want.get(key);
      if (!w) {
        problems.push(`unexpected row ${key}`);
        continue;
      }
      for (const [col, value] of Object.entries(w)) {
        if (skip.has(col) || expected.key.includes(col)) continue;
        if (!(col in row)) {
          problems.push(`column ${col} absent from the store`);
          continue;
        }
        if (row[col] !== value) problems.push(`${key} ${col}: store ${row[col]} ≠ chain ${value}`);
      }
    }
    const unique = [...new Set(problems)];
    for (const p of unique.slice(0, max)) out.push(`${name}: ${p}`);
    if (unique.length > max) out.push(`${name}: … and ${unique.length - max} more`);
  }
  return out;
}
