import { describe, expect, test } from "vitest";
import { applyAaveChanges } from "../../protocols/aaveV3/ledger.js";
import type { DomainCheckpoint, DomainSource } from "../../protocols/types.js";
import { D, ZERO } from "../../risk/decimal.js";
import { aaveAccountSnapshot, aaveDomainAccount, aaveDomainId, aaveViewContext, type AaveDomainAccount } from "../../risk/domains/index.js";
import { addr, ALICE, BOB, feedOf, GOLDEN_TIMESTAMP, goldenMarket, USDC, WBTC, WETH } from "../../risk/domains/testing.js";
import { prepareEnvironment } from "../../risk/environment.js";
import { envInput, testConfig } from "../../risk/testing.js";
import type { SystemRisk } from "../../risk/types.js";
import type { CheckpointRow } from "../book/reader.js";
import { createDomainView } from "./domainView.js";
import { CHAIN, plainSource, POOL } from "./testing.js";

const config = testConfig();
const env = prepareEnvironment(config, envInput());

const system = (deficiency: string): SystemRisk => ({
  collateralUsd: new D(1000),
  debtUsd: new D(400),
  openInterestUsd: ZERO,
  deficiencyUsd: new D(deficiency),
  insuranceFundUsd: ZERO,
  worstScenario: null,
  worstDeficiencyUsd: ZERO,
  coverageRatio: null,
  cover1Usd: ZERO,
  cover2Usd: ZERO,
  liquidatableNotionalUsd: ZERO,
  action: "NORMAL",
  accountsPerTier: { SAFE: 2, MARGIN_CALL: 0, LIQUIDATABLE: 0, INSOLVENT: 1 },
});

function checkpoints(block: { n: bigint }) {
  return async (): Promise<CheckpointRow[]> => [{ chainName: "l1", chainId: CHAIN, blockNumber: block.n, blockTimestamp: Number(GOLDEN_TIMESTAMP) + Number(block.n), finalizedBlockNumber: 0n }];
}

const book = (deficiency = "5") => ({ environment: () => env, system: () => system(deficiency), account: () => null });

describe("domain view", () => {
  test("default: bad debt per domain, per chain and in total; the vault's from the book", async () => {
    // WETH at 12,000 USD: alice is under water in the Aave market (see risk/domains/domain.test.ts)
    const crashed = applyAaveChanges(goldenMarket(), [{ kind: "priceAnswer", feed: feedOf(1), answer: 12_000_0000_0000n, roundId: 2n, updatedAt: 1n }]);
    const view = createDomainView({ book: book("5"), sources: [plainSource([crashed])], checkpoints: checkpoints({ n: 10n }), config, vaultChainIds: [1, 2], minIntervalMs: 0, pollIntervalMs: 0 });
    await view.sync();
    const o = view.overview();
    const aave = o.domains.find((d) => d.domain.id !== "vault")!;
    expect(o.domains.map((d) => d.domain.id)).toEqual(["vault", aaveDomainId(CHAIN, POOL)]);
    expect(aave.badDebtUsd.gt(0)).toBe(true);
    expect(o.perChain).toEqual([{ chainId: CHAIN, badDebtUsd: aave.badDebtUsd }]);
    expect(o.crossChainBadDebtUsd.toString()).toBe("5");
    expect(o.totalBadDebtUsd.toString()).toBe(aave.badDebtUsd.plus(5).toString());
    expect(o.checkpoints).toEqual([{ chainId: CHAIN, blockNumber: 10n, blockTimestamp: Number(GOLDEN_TIMESTAMP) + 10 }]);
    // the liquidator's list: the Aave rule's health factor below 1, lowest first, with the call it allows
    const endangered = view.endangered(1, 10);
    expect(endangered.map((a) => a.address)).toContain(ALICE);
    for (const a of endangered) {
      expect(a.rule.liquidatable).toBe(true);
      expect(a.rule.bestLiquidation?.debtToCoverRaw).toBeGreaterThan(0n);
    }
    expect(view.exposure(ALICE).unified.badDebtUsd.toString()).toBe(endangered.find((a) => a.address === ALICE)!.badDebtUsd.toString());
    view.close();
  });

  test("default: the store is read again only when a followed checkpoint moved", async () => {
    const block = { n: 10n };
    const source = plainSource([goldenMarket()]);
    const view = createDomainView({ book: book(), sources: [source], checkpoints: checkpoints(block), config, vaultChainIds: [1], minIntervalMs: 0, pollIntervalMs: 0 });
    await view.sync();
    await view.sync();
    expect([source.reads(), view.version()]).toEqual([1, 1]);
    block.n = 11n;
    await view.sync();
    expect([source.reads(), view.version()]).toEqual([2, 2]);
    await view.sync({ force: true }); // a reorg to the same height
    expect(source.reads()).toBe(3);
    view.close();
  });

  test("edge: a commit during the read makes it read again; stamps never newer than the rows", async () => {
    const block = { n: 10n };
    // every read sees the checkpoint move under it twice, then the store is quiet
    let moves = 2;
    const source = plainSource([goldenMarket()], () => {
      if (moves-- > 0) block.n++;
    });
    const view = createDomainView({ book: book(), sources: [source], checkpoints: checkpoints(block), config, vaultChainIds: [1], minIntervalMs: 0, pollIntervalMs: 0, maxAttempts: 3 });
    await view.sync();
    expect(source.reads()).toBe(3);
    expect(view.overview().checkpoints[0]!.blockNumber).toBe(12n);

    // always moving: after maxAttempts the older checkpoint of the last attempt is kept
    const moving = { n: 20n };
    const restless = plainSource([goldenMarket()], () => moving.n++);
    const v2 = createDomainView({ book: book(), sources: [restless], checkpoints: checkpoints(moving), config, vaultChainIds: [1], minIntervalMs: 0, pollIntervalMs: 0, maxAttempts: 2 });
    await v2.sync();
    expect(restless.reads()).toBe(2);
    expect(v2.overview().checkpoints[0]!.blockNumber).toBe(21n); // read began at 21, rows may be from 22: stamped 21
    view.close();
    v2.close();
  });

  test("edge: reads are at most one per minIntervalMs; a failing read is reported and the last good one kept", async () => {
    const block = { n: 1n };
    const errors: unknown[] = [];
    let fail = false;
    const source = plainSource([goldenMarket()], () => {
      if (fail) throw new Error("store down");
    });
    const view = createDomainView({ book: book(), sources: [source], checkpoints: checkpoints(block), config, vaultChainIds: [1], minIntervalMs: 150, pollIntervalMs: 0, onError: (e) => errors.push(e) });
    await view.sync();
    block.n = 2n;
    const t0 = performance.now();
    await view.sync();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    fail = true;
    block.n = 3n;
    await view.sync();
    expect(errors.map((e) => (e as Error).message)).toEqual(["store down"]);
    expect(view.version()).toBe(2);
    expect(view.overview().checkpoints[0]!.blockNumber).toBe(2n);
    expect(view.accounts().map((a) => a.address)).toEqual([ALICE, BOB].sort());
    view.close();
  });
});
