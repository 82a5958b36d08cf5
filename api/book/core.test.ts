import { describe, expect, test } from "vitest";
import { prepareEnvironment } from "../../risk/environment.js";
import { envInput, generateAccounts, testConfig } from "../../risk/testing.js";
import { Screener } from "./core.js";

describe("Screener.screenAllSlotsSliced", () => {
  test("property: equals the one-pass screen of every slot, freed slots included, and yields between slices", async () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput());
    const screener = new Screener(config);
    const accounts = generateAccounts(3000, 7);
    screener.reset(accounts);
    // free a few slots: they must stay null
    for (const a of accounts.slice(0, 5)) screener.set(a.address, null);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const sliced = await screener.screenAllSlotsSliced(env, 0); // a slice per 512 slots
    clearInterval(ticker);
    expect(sliced).toEqual(screener.screenAllSlots(env));
    expect(sliced.some((s) => s === null)).toBe(true);
    expect(sliced.filter((s) => s !== null).length).toBeGreaterThan(2900);
    expect(turns).toBeGreaterThan(0); // the event loop ran while it worked
  });
});
