import fc from "fast-check";
import { getAddress } from "viem";
import { describe, expect, test } from "vitest";
import { applyAaveChanges } from "../../protocols/aaveV3/ledger.js";
import { D, ZERO } from "../decimal.js";
import { prepareEnvironment } from "../environment.js";
import { evaluateAccount } from "../evaluateAccount.js";
import { envInput, generateAccounts, testConfig } from "../testing.js";
import { aaveAccountSnapshot } from "./aaveSnapshot.js";
import { aaveViewContext } from "./aaveView.js";
import { aaveDomainAccount, aaveDomainId, deficiencyByDomain, unifiedExposure, vaultDomainAccount, type DomainAccount } from "./domain.js";
import { addr, ALICE, BOB, feedOf, GOLDEN_TIMESTAMP, goldenMarket, market, plainReserves, USDC, WBTC, WETH } from "./testing.js";

const symbols = new Map([
  [USDC, "USDC"],
  [WETH, "ETH"],
  [WBTC, "BTC"],
]);
const POOL_1 = addr(0x9001);
const POOL_2 = addr(0x9002);
const config = testConfig();
const env = prepareEnvironment(config, envInput());
const ctx = (chainId: number) => aaveViewContext(env, { chainId, blockTimestamp: env.now, finalitySeconds: 60, maxDataLagSeconds: 120, symbols });

describe("vault domain", () => {
  test("default: today's report unchanged, bad debt = max(0, −equity)", () => {
    for (const account of generateAccounts(40, 7)) {
      const d = vaultDomainAccount(account, env);
      expect(d.risk).toEqual(evaluateAccount(account, env));
      expect(d.badDebtUsd.toString()).toBe(d.risk.equityUsd.isNeg() ? d.risk.equityUsd.neg().toString() : "0");
      expect(d.domain).toEqual({ kind: "vault", id: "vault", chainIds: d.risk.chainIds });
    }
  });
});

describe("aave domain", () => {
  test("default: rule and view side by side; bad debt in USD from the exact base-currency shortfall", () => {
    // WETH at 12,000 USD: alice owes 7.0144 WETH = 84,172 USD against 40,017.75 of collateral
    const s = applyAaveChanges(goldenMarket(), [{ kind: "priceAnswer", feed: feedOf(1), answer: 12_000_0000_0000n, roundId: 2n, updatedAt: 1n }]);
    const a = aaveDomainAccount(1, POOL_1, aaveAccountSnapshot(s, ALICE, GOLDEN_TIMESTAMP), ctx(1));
    expect(a.domain).toEqual({ kind: "aaveV3", id: `aaveV3:1:${POOL_1}`, chainId: 1, pool: POOL_1 });
    expect(a.rule.badDebtBase).toBe(a.rule.totalDebtBase - a.rule.totalCollateralBase);
    expect(a.badDebtUsd.toString()).toBe(new D((a.rule.totalDebtBase - a.rule.totalCollateralBase).toString()).div(1e8).toString());
    expect(a.view.tier).toBe("INSOLVENT");
    expect(a.rule.liquidatable).toBe(true);
    expect(a.rule.closeFactorBps).toBe(10_000n);
  });

  test("behavior: exact liquidation prices are computed unless switched off; nothing else changes", () => {
    const snap = aaveAccountSnapshot(goldenMarket(), BOB, GOLDEN_TIMESTAMP);
    const full = aaveDomainAccount(1, POOL_1, snap, ctx(1));
    const lean = aaveDomainAccount(1, POOL_1, snap, ctx(1), { exactLiquidationPrices: false });
    expect(full.ruleLiquidationPrices).toEqual([{ asset: WETH, priceAsset: WETH, direction: "below", priceBase: 36461151539n }]);
    expect(lean.ruleLiquidationPrices).toBeNull();
    expect({ ...lean, ruleLiquidationPrices: full.ruleLiquidationPrices }).toEqual(full);
  });

  test("behavior: domain ids are per chain and pool", () => {
    expect(aaveDomainId(1, POOL_1.toLowerCase() as `0x${string}`)).toBe(`aaveV3:1:${POOL_1}`);
    expect(aaveDomainId(2, POOL_1)).not.toBe(aaveDomainId(1, POOL_1));
  });
});

function book(): DomainAccount[] {
  const crash = applyAaveChanges(goldenMarket(), [{ kind: "priceAnswer", feed: feedOf(1), answer: 12_000_0000_0000n, roundId: 2n, updatedAt: 1n }]);
  const calm = goldenMarket();
  const vaultAlice = { address: ALICE.toLowerCase() as `0x${string}`, collateral: [{ chainId: 1337001, asset: "ETH", amountRaw: 10n ** 18n, decimals: 18 }], debt: [{ chainId: 1337001, asset: "USDC", amountRaw: 2_000_000_000n, decimals: 6 }], positions: [] }; // equity +1000 in the vault
  return [
    aaveDomainAccount(1, POOL_1, aaveAccountSnapshot(crash, ALICE, GOLDEN_TIMESTAMP), ctx(1)),
    aaveDomainAccount(1, POOL_1, aaveAccountSnapshot(crash, BOB, GOLDEN_TIMESTAMP), ctx(1)),
    aaveDomainAccount(2, POOL_2, aaveAccountSnapshot(calm, ALICE, GOLDEN_TIMESTAMP), ctx(2)),
    vaultDomainAccount(vaultAlice, env),
    ...generateAccounts(20, 3).map((x) => vaultDomainAccount(x, env)),
  ];
}

describe("deficiencyByDomain", () => {
  test("default: per domain, per chain (single-chain domains), the vault apart, and the total", () => {
    const accounts = book();
    const d = deficiencyByDomain(accounts);
    expect(d.domains.map((x) => x.domain.id)).toEqual([`aaveV3:1:${POOL_1}`, `aaveV3:2:${POOL_2}`, "vault"]);
    const alice1 = accounts[0];
    expect(d.domains[0].badDebtUsd.toString()).toBe(alice1.badDebtUsd.toString()); // bob's surplus does not cover alice
    expect(d.domains[1].badDebtUsd.toString()).toBe("0");
    expect(d.perChain.map((x) => [x.chainId, x.badDebtUsd.toString()])).toEqual([
      [1, alice1.badDebtUsd.toString()],
      [2, "0"],
    ]);
    const vaultBad = accounts.filter((a) => a.domain.kind === "vault").reduce((t, a) => t.plus(a.badDebtUsd), ZERO);
    expect(d.crossChainBadDebtUsd.toString()).toBe(vaultBad.toString());
    expect(d.totalBadDebtUsd.toString()).toBe(alice1.badDebtUsd.plus(vaultBad).toString());
    expect(d.domains[2].domain).toMatchObject({ kind: "vault" });
    expect(d.domains[0].accounts + d.domains[1].accounts + d.domains[2].accounts).toBe(accounts.length);
  });

  test("boundary: no accounts → no domains, total 0", () => {
    expect(deficiencyByDomain([])).toEqual({ domains: [], perChain: [], crossChainBadDebtUsd: ZERO, totalBadDebtUsd: ZERO });
  });

  test("property: domain totals are the sums over their accounts, bad debt ≥ 0, total = Σ domains = Σ chains + cross-chain", () => {
    const arb = fc.array(
      fc.record({ pool: fc.integer({ min: 0, max: 2 }), usdc: fc.bigInt({ min: 0n, max: 10n ** 12n }), weth: fc.bigInt({ min: 0n, max: 10n ** 21n }) }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const accounts = rows.map((r, i) => {
          const who = addr(0x5000 + i);
          const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: who, supplied: r.usdc > 0n ? { [USDC]: r.usdc } : {}, borrowed: r.weth > 0n ? { [WETH]: r.weth } : {} }] });
          return aaveDomainAccount(r.pool + 1, addr(0x9000 + r.pool), aaveAccountSnapshot(s, who, 1n), ctx(r.pool + 1));
        });
        const d = deficiencyByDomain(accounts);
        for (const dom of d.domains) {
          const mine = accounts.filter((a) => a.domain.id === dom.domain.id);
          expect(dom.accounts).toBe(mine.length);
          expect(dom.badDebtUsd.eq(mine.reduce((t, a) => t.plus(a.badDebtUsd), ZERO))).toBe(true);
          expect(dom.debtUsd.eq(mine.reduce((t, a) => t.plus(a.debtUsd), ZERO))).toBe(true);
          expect(dom.collateralUsd.eq(mine.reduce((t, a) => t.plus(a.collateralUsd), ZERO))).toBe(true);
          expect(dom.badDebtUsd.isNeg()).toBe(false);
          expect(Object.values(dom.accountsPerTier).reduce((t, n) => t + n, 0)).toBe(dom.accounts);
        }
        const sumDomains = d.domains.reduce((t, x) => t.plus(x.badDebtUsd), ZERO);
        const sumChains = d.perChain.reduce((t, x) => t.plus(x.badDebtUsd), ZERO);
        expect(d.totalBadDebtUsd.eq(sumDomains)).toBe(true);
        expect(d.totalBadDebtUsd.eq(sumChains.plus(d.crossChainBadDebtUsd))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe("unifiedExposure", () => {
  test("default: every domain the address is in, bad debt summed per domain (a surplus elsewhere covers nothing)", () => {
    const accounts = book();
    const u = unifiedExposure(ALICE.toLowerCase() as `0x${string}`, accounts);
    expect(u.address).toBe(getAddress(ALICE));
    expect(u.domains.map((x) => x.domain.id)).toEqual([`aaveV3:1:${POOL_1}`, `aaveV3:2:${POOL_2}`, "vault"]);
    expect(u.badDebtUsd.toString()).toBe(accounts[0].badDebtUsd.toString());
    expect(u.worstTier).toBe("INSOLVENT");
    const coll = u.domains.reduce((t, x) => t.plus(x.collateralUsd), ZERO);
    const debt = u.domains.reduce((t, x) => t.plus(x.debtUsd), ZERO);
    expect(u.netUsd.toString()).toBe(coll.minus(debt).toString());
    // the surpluses on chain 2 and in the vault cover none of chain 1's bad debt: more than max(0, −net)
    expect(u.badDebtUsd.gt(D.max(0, u.netUsd.neg()))).toBe(true);
  });

  test("boundary: an address in no domain", () => {
    const u = unifiedExposure(addr(0xdead), book());
    expect(u.domains).toEqual([]);
    expect(u.worstTier).toBe("SAFE");
    expect(u.badDebtUsd.toString()).toBe("0");
  });
});
