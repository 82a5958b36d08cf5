import { describe, expect, test } from "vitest";
import { ADDR, exampleRawConfig } from "./fixtures.js";
import { toPonderInput } from "./toPonderInput.js";
import { validateConfig } from "./validateConfig.js";

describe("toPonderInput", () => {
  test("default: chains, vaults, feeds, database, ordering", () => {
    const input = toPonderInput(validateConfig(exampleRawConfig()));
    expect(input.chains).toEqual({
      l1: { id: 1337001, rpc: "http://127.0.0.1:18545", pollingInterval: 1000 },
      l2a: { id: 1337002, rpc: ["http://127.0.0.1:18546", "ws://127.0.0.1:18546"], pollingInterval: 1000 },
    });
    expect(input.vaults.l1).toEqual({ address: ADDR.vaultL1, startBlock: 0 });
    expect(input.feeds.l1.address).toEqual([ADDR.ethFeedL1.toLowerCase(), ADDR.btcFeedL1.toLowerCase()]);
    expect(input.feeds.l2a).toEqual({ address: [ADDR.ethFeedL2], startBlock: 0 });
    expect(input.database).toEqual({ kind: "pglite", directory: ".xmargin/pglite" });
    expect(input.ordering).toBe("multichain");
  });

  test("behavior: a chain without feeds has no PriceFeed entry; startBlock carries over", () => {
    const raw = exampleRawConfig();
    raw.chains.l2a.feeds = {};
    raw.chains.l2a.startBlock = 42;
    const input = toPonderInput(validateConfig(raw));
    expect(input.feeds.l2a).toBeUndefined();
    expect(input.vaults.l2a.startBlock).toBe(42);
  });
});
