/**
 * The domain fields of the GraphQL API in process: a real risk book over plain rows
 * (api/testing/fixture.ts) and a domain view over a plain Aave market (risk/domains/testing.ts),
 * no socket. The store-backed path is proven against the real Aave bytecode in
 * test/aaveStore.e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyAaveChanges } from "../../protocols/aaveV3/ledger.js";
import { aaveAccountRule, aaveAccountSnapshot, runAaveScenario } from "../../risk/domains/index.js";
import { ALICE, BOB, feedOf, GOLDEN_TIMESTAMP, goldenMarket } from "../../risk/domains/testing.js";
import type { CheckpointRow } from "../book/reader.js";
import { createApi, type XmarginApi } from "../createApi.js";
import { serializeDecimal } from "../scalars.js";
import { address, createWorld, standardScene, type World } from "../testing/fixture.js";
import { createDomainView, type DomainView } from "./domainView.js";
import { CHAIN, plainSource } from "./testing.js";
import { readSse } from "../testing/sse.js";

let world: World;
let api: XmarginApi;
let bare: XmarginApi;
let domains: DomainView;
// WETH at 12,000 USD: alice is under water in the Aave market, bob is not
const crashed = applyAaveChanges(goldenMarket(), [{ kind: "priceAnswer", feed: feedOf(1), answer: 12_000_0000_0000n, roundId: 2n, updatedAt: 1n }]);

async function gql(target: XmarginApi, query: string, variables?: Record<string, unknown>) {
  const response = await target.handle(
    new Request("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body: JSON.stringify({ query, variables }) }),
  );
  const body = (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, ...body };
}

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  await world.book.ready;
  const checkpoints = async (): Promise<CheckpointRow[]> => [{ chainName: "aave", chainId: CHAIN, blockNumber: 7n, blockTimestamp: Number(GOLDEN_TIMESTAMP), finalizedBlockNumber: 0n }];
  domains = createDomainView({ book: { environment: () => world.book.environment(), system: () => world.book.system(), account: (a) => world.book.account(a) }, sources: [plainSource([crashed])], checkpoints, config: world.config, vaultChainIds: [1001, 1002, 1003], minIntervalMs: 0, pollIntervalMs: 0 });
  await domains.sync();
  api = createApi({ book: world.book, domains, production: true });
  bare = createApi({ book: world.book, production: true });
});

afterAll(async () => {
  api?.close();
  bare?.close();
  domains?.close();
  await world?.book.stop();
});

describe("domains over GraphQL", () => {
  test("default: exposure gives the Aave rule exactly and the view beside it", async () => {
    const r = await gql(api, `query($a: String!) { exposure(address: $a) {
      address worstTier badDebtUsd collateralUsd debtUsd netUsd domains { domainId protocol chainIds badDebtUsd tier } vault { address }
      aave { domainId chainId pool blockNumber tier healthFactor degraded degradedReasons { code } items { kind symbol amountRaw haircut } liquidationPrices { asset priceUsd }
        rule { healthFactor totalCollateralBase totalDebtBase availableBorrowsBase currentLiquidationThresholdBps ltvBps liquidatable closeFactorBps badDebtBase
          bestLiquidation { collateralAsset debtAsset debtToCoverRaw collateralToLiquidatorRaw protocolFeeRaw liquidationBonusBps liquidatorProfitBase healthFactorAfter } } }
      asOf { now } } }`, { a: ALICE });
    expect(r.errors).toBeUndefined();
    const e = r.data.exposure;
    const rule = aaveAccountRule(aaveAccountSnapshot(crashed, ALICE, GOLDEN_TIMESTAMP));
    const a = e.aave[0];
    expect(e.aave).toHaveLength(1);
    expect(a.blockNumber).toBe("7");
    expect(a.rule).toMatchObject({
      totalCollateralBase: rule.totalCollateralBase.toString(),
      totalDebtBase: rule.totalDebtBase.toString(),
      availableBorrowsBase: rule.availableBorrowsBase.toString(),
      currentLiquidationThresholdBps: Number(rule.currentLiquidationThresholdBps),
      ltvBps: Number(rule.ltvBps),
      liquidatable: true,
      badDebtBase: rule.badDebtBase.toString(),
    });
    // the health factor is the exact wad as a decimal (18 places, no float)
    expect(BigInt(a.rule.healthFactor.replace(".", "").replace(/^0+/, ""))).toBe(rule.healthFactorWad);
    expect(a.rule.bestLiquidation.debtToCoverRaw).toBe(rule.bestLiquidation!.debtToCoverRaw.toString());
    // the chain's block is far behind the book's clock: the view says so and counts nothing as health
    expect(a.degraded).toBe(true);
    expect(a.degradedReasons.map((x: { code: string }) => x.code)).toContain("CHAIN_STALE");
    expect(e.domains.map((d: { protocol: string }) => d.protocol)).toEqual(["AAVE_V3"]);
    expect(e.vault).toBeNull();
    expect(Number(e.badDebtUsd)).toBeGreaterThan(0);
    expect(e.worstTier).toBe(a.tier);
  });

  test("default: a vault account's exposure carries its report; badDebt sums the vault and every market", async () => {
    const v = await gql(api, `query($a: String!) { exposure(address: $a) { domains { domainId } vault { address tier equityUsd } aave { address } } }`, { a: address(2) });
    expect(v.errors).toBeUndefined();
    expect(v.data.exposure.domains).toEqual([{ domainId: "vault" }]);
    expect(v.data.exposure.vault.tier).toBe(world.book.account(address(2))!.tier);

    const b = await gql(api, `{ badDebt { totalUsd crossChainUsd perChain { chainId badDebtUsd } domains { id protocol accounts badDebtUsd blockNumber accountsPerTier { safe } } problems { message } asOf { now } }
      system { badDebt { totalUsd } deficiencyUsd } }`);
    expect(b.errors).toBeUndefined();
    const o = domains.overview();
    expect(b.data.badDebt.totalUsd).toBe(serializeDecimal(o.totalBadDebtUsd));
    expect(b.data.badDebt.crossChainUsd).toBe(b.data.system.deficiencyUsd);
    expect(b.data.badDebt.domains.map((d: { id: string }) => d.id)).toEqual(["vault", `aaveV3:${CHAIN}:${o.domains[1]!.domain.kind === "aaveV3" ? o.domains[1]!.domain.pool : ""}`]);
    expect(b.data.badDebt.domains[1]).toMatchObject({ protocol: "AAVE_V3", accounts: 2, blockNumber: "7" });
    expect(b.data.badDebt.perChain).toEqual([{ chainId: CHAIN, badDebtUsd: b.data.badDebt.domains[1].badDebtUsd }]);
    expect(b.data.system.badDebt.totalUsd).toBe(b.data.badDebt.totalUsd);
  });

  test("default: the aaveEndangered subscription gives the list now, then again after each new read", async () => {
    // a view of its own: the first read finds the healthy market, the second the crashed one
    const checkpoints = async (): Promise<CheckpointRow[]> => [{ chainName: "aave", chainId: CHAIN, blockNumber: 7n, blockTimestamp: Number(GOLDEN_TIMESTAMP), finalizedBlockNumber: 0n }];
    const view = createDomainView({ book: { environment: () => world.book.environment(), system: () => world.book.system(), account: (a) => world.book.account(a) }, sources: [plainSource([goldenMarket(), crashed])], checkpoints, config: world.config, vaultChainIds: [1001, 1002, 1003], minIntervalMs: 0, pollIntervalMs: 0 });
    await view.sync();
    const live = createApi({ book: world.book, domains: view, production: true });
    const response = await live.yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { aaveEndangered { nodes { address rule { healthFactor bestLiquidation { debtToCoverRaw } } } } }` }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const sse = readSse(response);
    try {
      expect(JSON.parse((await sse.next(5000)).data).data.aaveEndangered.nodes).toEqual([]);
      await view.sync({ force: true });
      const after = JSON.parse((await sse.next(5000)).data).data.aaveEndangered.nodes;
      expect(after.map((n: { address: string }) => n.address)).toEqual([ALICE]);
      expect(after[0].rule.bestLiquidation.debtToCoverRaw).toBe(aaveAccountRule(aaveAccountSnapshot(crashed, ALICE, GOLDEN_TIMESTAMP)).bestLiquidation!.debtToCoverRaw.toString());
    } finally {
      await sse.close();
      live.close();
      view.close();
    }
    // bad arguments are refused with a code, before any stream opens
    const bad = await gql(api, `subscription { aaveEndangered(first: -1) { nodes { address } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe("LIMIT_EXCEEDED");
    expect(bad.errors?.[0]?.message).toMatch(/'first' is -1; expected an integer from 1 to 500/);
  });

  test("default: aaveEndangered lists the rule's liquidatable accounts with the call; the threshold moves it", async () => {
    const r = await gql(api, `{ aaveEndangered { maxHealthFactor nodes { address rule { healthFactor liquidatable bestLiquidation { debtToCoverRaw } } } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.aaveEndangered.nodes.map((n: { address: string }) => n.address)).toEqual([ALICE]);
    const wide = await gql(api, `{ aaveEndangered(maxHealthFactor: "1000") { nodes { address } } }`);
    expect(wide.data.aaveEndangered.nodes.map((n: { address: string }) => n.address).sort()).toEqual([ALICE, BOB].sort());
    const bad = await gql(api, `{ aaveEndangered(maxHealthFactor: "-1") { nodes { address } } }`);
    expect(bad.status).toBe(400);
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_DECIMAL");
  });

  test("default: stress gives each Aave market's cascade beside the vault's", async () => {
    // alice owes WETH: ETH up 50% deepens her shortfall; the cascade liquidates her by Aave's rule
    const r = await gql(api, `{ stress(scenario: { name: "eth+50", shocks: [{ asset: "ETH", pct: "0.5" }] }) { deficiencyUsd domainStress { domainId deficiencyBeforeUsd deficiencyUsd liquidationCalls debtRepaidUsd shortfalls(first: 5) { address shortfallUsd } } } }`);
    expect(r.errors).toBeUndefined();
    const [d] = r.data.stress.domainStress;
    const direct = runAaveScenario(plainSource([crashed]).stressMarkets(new Map([[CHAIN, { chainId: CHAIN, blockNumber: 7n, blockTimestamp: Number(GOLDEN_TIMESTAMP) }]])), world.config, { name: "eth+50", shocks: [{ asset: "ETH", pct: "0.5" }] }).domains[0]!;
    expect(d).toEqual({
      domainId: direct.domainId,
      deficiencyBeforeUsd: serializeDecimal(direct.deficiencyBeforeUsd),
      deficiencyUsd: serializeDecimal(direct.deficiencyUsd),
      liquidationCalls: direct.liquidationCalls,
      debtRepaidUsd: serializeDecimal(direct.debtRepaidUsd),
      shortfalls: direct.shortfallsUsd.slice(0, 5).map((s) => ({ address: s.address, shortfallUsd: serializeDecimal(s.shortfallUsd) })),
    });
    expect(Number(d.deficiencyUsd)).toBeGreaterThan(Number(d.deficiencyBeforeUsd));
    expect(d.liquidationCalls).toBeGreaterThan(0);
    expect(d.shortfalls.map((s: { address: string }) => s.address)).toEqual([ALICE]);
  });

  test("edge: without a domain view the vault is the only domain and nothing fails", async () => {
    const r = await gql(bare, `query($a: String!) { exposure(address: $a) { domains { domainId } aave { address } } badDebt { domains { id } perChain { chainId } } aaveEndangered { nodes { address } } }`, { a: address(2) });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ exposure: { domains: [{ domainId: "vault" }], aave: [] }, badDebt: { domains: [{ id: "vault" }], perChain: [] }, aaveEndangered: { nodes: [] } });
    const bad = await gql(bare, `{ exposure(address: "0xnope") { address } }`);
    expect(bad.status).toBe(400);
  });
});
