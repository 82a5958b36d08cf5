/** Read Ponder's Prometheus /metrics: indexing progress without touching the database. */

/** Sum of `ponder_indexing_completed_events` over every event name. */
export async function completedEvents(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return sumMetric(text, "ponder_indexing_completed_events");
}

/** Sum of every sample of a metric in Prometheus text format. */
export function sumMetric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
