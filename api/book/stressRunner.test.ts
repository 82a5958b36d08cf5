import { describe, expect, test } from "vitest";
import { D } from "../../risk/decimal.js";
import type { ScenarioResult, StressScenario } from "../../risk/types.js";
import { runScenariosSliced } from "./stressRunner.js";

const scenarios: StressScenario[] = ["a", "b", "c"].map((name) => ({ name, shocks: [] }));
const result = (scenario: StressScenario): ScenarioResult => ({
  scenario,
  rounds: [],
  deficiencyUsd: new D(0),
  liquidatedVolumeUsd: new D(0),
  shortfallsUsd: [],
  deficiencyExact: true,
});

describe("runScenariosSliced", () => {
  test("default: results in scenario order", async () => {
    const out = await runScenariosSliced(scenarios, result);
    expect(out?.map((r) => r.scenario.name)).toEqual(["a", "b", "c"]);
  });

  test("behavior: empty library", async () => {
    expect(await runScenariosSliced([], result)).toEqual([]);
  });

  test("behavior: the event loop runs between scenarios (a callback queued meanwhile is not held back)", async () => {
    const log: string[] = [];
    const run = runScenariosSliced(scenarios, (s) => {
      log.push(`run ${s.name}`);
      if (s.name === "a") setImmediate(() => log.push("request"));
      return result(s);
    });
    log.push("caller continues");
    await run;
    expect(log).toEqual(["caller continues", "run a", "request", "run b", "run c"]);
  });

  test("behavior: cancelled between scenarios, it stops and resolves to null", async () => {
    const ran: string[] = [];
    let cancelled = false;
    const out = await runScenariosSliced(
      scenarios,
      (s) => {
        ran.push(s.name);
        if (s.name === "b") cancelled = true;
        return result(s);
      },
      { isCancelled: () => cancelled },
    );
    expect(out).toBeNull();
    expect(ran).toEqual(["a", "b"]);
  });
});
