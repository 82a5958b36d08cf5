/**
 * Summarises a .cpuprofile (`npx tsx bench/tools/profileSummary.ts FILE [--top N]`): the functions
 * with the most self time and with the most total (inclusive) time, and self time per area of the
 * code (PGlite, Ponder's indexing store, the risk book and API, the indexer, …), as percentages of
 * the sampled time. Used for bench/results/live.md.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the system a frame belongs to, by its script URL. */
export function areaOf(frame: CallFrame): string {
  const u = frame.url;
  if (frame.functionName === "(idle)") return "idle";
  if (frame.functionName === "(garbage collector)") return "gc";
  if (frame.functionName === "(program)") return "program (native, unattributed)";
  if (u.includes("@electric-sql/pglite")) return "PGlite (WASM Postgres)";
  if (u.includes("/ponder/dist/") && u.includes("indexing-store")) return "Ponder indexing store";
  if (u.includes("/ponder/dist/")) return "Ponder (other)";
  if (u.includes("drizzle-orm")) return "drizzle-orm";
  if (u.includes("/api/book/")) return "xmargin api/book (risk book)";
  if (u.includes("/api/")) return "xmargin api/";
  if (u.includes("/risk/")) return "xmargin risk/";
  if (u.includes("/indexer/") || u.includes("/protocols/")) return "xmargin indexer/ + protocols/ (handlers, mappers)";
  if (u.includes("graphql")) return "graphql";
  if (u.includes("viem") || u.includes("abitype") || u.includes("@noble")) return "viem";
  if (u.startsWith("node:") || u === "") return "node internals";
  if (u.includes("node_modules")) return "other node_modules";
  return "other";
}

export function summarise(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const totalUs = profile.endTime - profile.startTime;
  const key = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(api|indexer|risk|src|config)\//, "$1/")}:${f.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    self.set(key(node.callFrame), (self.get(key(node.callFrame)) ?? 0) + us);
    area.set(areaOf(node.callFrame), (area.get(areaOf(node.callFrame)) ?? 0) + us);
    // inclusive: each distinct function on the stack once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1)}%`;
  const ms = (us: number) => `${Math.round(us / 1000)} ms`;
  const lines: string[] = [`profile: ${ms(totalUs)} wall, ${profile.samples.length} samples`, "", "| area | self | % |", "|---|---:|---:|"];
  for (const [a, us] of [...area].sort((x, y) => y[1] - x[1])) lines.push(`| ${a} | ${ms(us)} | ${pct(us)} |`);
  lines.push("", "| top self | self | % |", "|---|---:|---:|");
  for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`| \`${k}\` | ${ms(us)} | ${pct(us)} |`);
  lines.push("", "| top total | total | % |", "|---|---:|---:|");
  for (const [k, us] of [...total].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`| \`${k}\` | ${ms(us)} | ${pct(us)} |`);
  return lines.join("\n");
}

if (process.argv[1]?.endsWith("profileSummary.ts")) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: npx tsx bench/tools/profileSummary.ts FILE.cpuprofile [--top N]");
  const topAt = process.argv.indexOf("--top");
  console.log(summarise(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, topAt > 0 ? Number(process.argv[topAt + 1]) : 25));
}
