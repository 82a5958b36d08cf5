import { describe, expect, it } from "vitest";
import { checkRun, expectedRows, IngestCheckError, parseCompletedEvents, type RunExpectation } from "./ingestChecks.js";

const expect3: RunExpectation = {
  total: 7,
  vaultEvents: 3,
  aaveEvents: 4,
  byEvent: { "MarginVault:CollateralDeposited": 2, "PriceFeed:AnswerUpdated": 1, "AavePool:ReserveDataUpdated": 2, "AavePool:LiquidationCall": 1, "AavePriceSource:AnswerUpdated": 1 },
};

const METRICS = `# HELP ponder_indexing_completed_events Number of events that have been processed
# TYPE ponder_indexing_completed_events gauge
ponder_indexing_completed_events{event="MarginVault:CollateralDeposited"} 2
ponder_indexing_completed_events{event="PriceFeed:AnswerUpdated"} 1
ponder_indexing_completed_events{chain="l1",event="AavePool:ReserveDataUpdated"} 1
ponder_indexing_completed_events{chain="l2a",event="AavePool:ReserveDataUpdated"} 1
ponder_indexing_completed_events{event="AavePool:LiquidationCall"} 1
ponder_indexing_completed_events{event="AavePriceSource:AnswerUpdated"} 1
ponder_indexing_completed_events{event="AavePool:UserEModeSet"} 0
ponder_indexing_timestamp{chain="l1"} 1700000000
`;

describe("ingest checks", () => {
  it("sums Ponder's processed-event gauge by event name", () => {
    expect(parseCompletedEvents(METRICS)).toEqual({ ...expect3.byEvent, "AavePool:UserEModeSet": 0 });
  });

  it("passes a complete run of either app", () => {
    const completed = parseCompletedEvents(METRICS);
    expect(() => checkRun("x", "xmargin", { ledger: 3, aave_liquidation: 1 }, completed, expect3)).not.toThrow();
    expect(() => checkRun("b", "baseline", { event: 3, aave_event: 4 }, completed, expect3)).not.toThrow();
    expect(expectedRows("baseline", expect3)).toEqual({ event: 3, aave_event: 4 });
  });

  it("fails when one event of any kind was lost, naming it, even if the rows add up", () => {
    const completed = { ...parseCompletedEvents(METRICS), "AavePriceSource:AnswerUpdated": 0 };
    let error: unknown;
    try {
      checkRun("x", "xmargin", { ledger: 3, aave_liquidation: 1 }, completed, expect3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IngestCheckError);
    expect((error as IngestCheckError).problems).toEqual(["Ponder processed 0 AavePriceSource:AnswerUpdated, the chains hold 1"]);
  });

  it("fails on missing rows and on unreadable metrics", () => {
    expect(() => checkRun("b", "baseline", { event: 3, aave_event: 3 }, parseCompletedEvents(METRICS), expect3)).toThrow(/3 rows in aave_event, expected 4/);
    expect(() => checkRun("b", "baseline", { event: 3, aave_event: 4 }, null, expect3)).toThrow(/metrics did not answer/);
  });
});
