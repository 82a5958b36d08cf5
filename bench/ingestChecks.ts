/**
 * The ingest benchmark's completeness checks: a run is reported only if the app indexed every
 * event the chains hold. Two independent counts: the rows its handlers wrote (xmargin: one ledger
 * row per vault + feed event and one aave_liquidation row per LiquidationCall; the baseline: one
 * row per event in `event` and `aave_event`), and Ponder's own processed-event counter by event
 * name (/metrics `ponder_indexing_completed_events`), which must equal the chain's count for every
 * `Contract:Event`. A lost or duplicated event of any kind fails the second; a handler that did
 * not write fails the first.
 */
import { XmarginError } from "../errors.js";

export interface RunExpectation {
  /** Every event Ponder delivers (vault + feeds + Aave). */
  total: number;
  vaultEvents: number;
  aaveEvents: number;
  /** By `Contract:Event`. */
  byEvent: Record<string, number>;
}

export type BenchApp = "xmargin" | "baseline";

export class IngestCheckError extends XmarginError {
  override name = "IngestCheckError";
  constructor(message: string, readonly problems: string[]) {
    super("INGEST_CHECK_FAILED", message, { details: { problems } });
  }
}

/** The tables each app's rows are counted in, with the count each must hold. */
export function expectedRows(app: BenchApp, expect: RunExpectation): Record<string, number> {
  return app === "xmargin"
    ? { ledger: expect.vaultEvents, aave_liquidation: expect.byEvent["AavePool:LiquidationCall"] ?? 0 }
    : { event: expect.vaultEvents, aave_event: expect.aaveEvents };
}

/** `ponder_indexing_completed_events` from a Prometheus text page, summed by event name. */
export function parseCompletedEvents(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics.split("\n")) {
    const m = /^ponder_indexing_completed_events\{([^}]*)\} (\S+)/.exec(line);
    if (!m) continue;
    const event = /(?:^|,)event="([^"]*)"/.exec(m[1]!)?.[1];
    if (event === undefined) continue;
    out[event] = (out[event] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Ponder's processed events by name, from a running app's /metrics (null when it does not answer). */
export async function completedEvents(url: string): Promise<Record<string, number> | null> {
  try {
    return parseCompletedEvents(await (await fetch(`${url}/metrics`)).text());
  } catch {
    return null;
  }
}

/** Throws IngestCheckError listing every count that differs from the chain's. */
export function checkRun(label: string, app: BenchApp, rows: Record<string, number>, completed: Record<string, number> | null, expect: RunExpectation): void {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(expectedRows(app, expect))) {
    if (rows[table] !== want) problems.push(`${rows[table]} rows in ${table}, expected ${want}`);
  }
  if (completed === null) problems.push("Ponder's /metrics did not answer: its processed-event counts could not be checked");
  else {
    const names = new Set([...Object.keys(expect.byEvent), ...Object.keys(completed)].filter((n) => !n.endsWith(":setup")));
    for (const name of [...names].sort()) {
      const want = expect.byEvent[name] ?? 0;
      const got = completed[name] ?? 0;
      if (want !== got) problems.push(`Ponder processed ${got} ${name}, the chains hold ${want}`);
    }
  }
  if (problems.length > 0) {
    throw new IngestCheckError(`${label}: the run is not comparable (events lost or extra):\n- ${problems.join("\n- ")}`, problems);
  }
}
