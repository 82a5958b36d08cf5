import { describe, expect, it } from "vitest";
import { histogramQuantile, parseMetrics, sumSamples } from "./metricsText.js";

const scrape = (buckets: Record<string, [number, number]>) =>
  parseMetrics(
    [
      "# HELP ponder_realtime_latency Time elapsed between receiving a block and fully processing it",
      "# TYPE ponder_realtime_latency histogram",
      ...Object.entries(buckets).flatMap(([le, [a, b]]) => [`ponder_realtime_latency_bucket{le="${le}",chain="l1"} ${a}`, `ponder_realtime_latency_bucket{chain="l2a",le="${le}"} ${b}`]),
    ].join("\n"),
  );

describe("parseMetrics", () => {
  it("default: names, labels in any order, values; comments skipped", () => {
    const s = parseMetrics('# TYPE x counter\nx_total{table="ledger",type="miss"} 12\nup 1\nh_bucket{le="+Inf"} 3\n');
    expect(s).toEqual([
      { name: "x_total", labels: { table: "ledger", type: "miss" }, value: 12 },
      { name: "up", labels: {}, value: 1 },
      { name: "h_bucket", labels: { le: "+Inf" }, value: 3 },
    ]);
  });

  it("sumSamples filters by labels", () => {
    const s = parseMetrics('c{type="miss",t="a"} 2\nc{type="hit",t="a"} 5\nc{type="miss",t="b"} 3\n');
    expect(sumSamples(s, "c")).toBe(10);
    expect(sumSamples(s, "c", { type: "miss" })).toBe(5);
    expect(sumSamples(s, "nothing")).toBe(0);
  });
});

describe("histogramQuantile", () => {
  it("interpolates inside the bucket, over the observations between two scrapes, all label sets", () => {
    const start = scrape({ "100": [1, 1], "500": [1, 1], "+Inf": [1, 1] });
    // gained: l1 4 in (0,100], l2a 1 in (0,100] and 5 in (100,500] → 5 ≤ 100, 5 in (100,500]
    const end = scrape({ "100": [5, 2], "500": [5, 7], "+Inf": [5, 7] });
    expect(histogramQuantile(end, start, "ponder_realtime_latency", 0.5)).toBe(100);
    expect(histogramQuantile(end, start, "ponder_realtime_latency", 0.75)).toBe(300);
    expect(histogramQuantile(end, start, "ponder_realtime_latency", 0.25)).toBe(50);
  });

  it("boundary: nothing observed → null; all in +Inf → the highest finite bound", () => {
    const s = scrape({ "100": [0, 0], "+Inf": [0, 0] });
    expect(histogramQuantile(s, s, "ponder_realtime_latency", 0.99)).toBeNull();
    expect(histogramQuantile(scrape({ "100": [0, 0], "+Inf": [2, 0] }), s, "ponder_realtime_latency", 0.99)).toBe(100);
  });
});
