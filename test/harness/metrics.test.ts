import { describe, expect, it } from "vitest";
import { sumMetric } from "./metrics.js";

describe("sumMetric", () => {
  it("default: sums every labelled sample of one metric, ignoring comments and similar names", () => {
    const text = [
      "# HELP ponder_indexing_completed_events Number of events that have been processed",
      "# TYPE ponder_indexing_completed_events gauge",
      'ponder_indexing_completed_events{event="MarginVault:CollateralDeposited"} 120',
      'ponder_indexing_completed_events{event="PriceFeed:AnswerUpdated"} 30',
      "ponder_indexing_completed_events_total 999",
      "ponder_indexing_completed_seconds 4",
    ].join("\n");
    expect(sumMetric(text, "ponder_indexing_completed_events")).toBe(150);
  });

  it("boundary: absent metric → 0; unlabelled sample counts", () => {
    expect(sumMetric("", "x")).toBe(0);
    expect(sumMetric("x 7\n", "x")).toBe(7);
  });
});
