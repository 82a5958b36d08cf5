import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Address } from "viem";
import { TIERS } from "../types.js";
import { evaluateAaveMarkets, type AaveEvaluationMarket } from "./aaveEvaluation.js";
import { compileAaveScreen, SCREEN_EXACT, screenAaveMarket } from "./aaveScreen.js";
import { aaveAccountSnapshot } from "./aaveSnapshot.js";
import type { AaveViewContext } from "./aaveView.js";
import { aaveDomainAccount, aaveDomainId, deficiencyByDomain, type AaveDomainAccount } from "./domain.js";
import { addr, feedOf, market, plainReserves, testViewContext, USDC, WBTC, WETH, type FixtureReserve, type FixtureUser } from "./testing.js";
import { applyAaveChanges, type AaveMarketState } from "../../protocols/aaveV3/ledger.js";

const POOL = addr(0x9001);
const T = 1_000_000n;

/** the fixture context at block time T, 30 s later, with σ of a volatile market */
const ctx = (over: Partial<AaveViewContext> = {}, sigma: Record<string, string> = { USDC: "0.02", ETH: "0.8", BTC: "0.6" }, stale: string[] = []): AaveViewContext =>
  testViewContext({ now: Number(T) + 30, blockTimestamp: Number(T), ...over }, sigma, stale);

const at = (state: AaveMarketState, c: AaveViewContext, timestamp = T): AaveEvaluationMarket => ({ chainId: 1, pool: POOL, domainId: aaveDomainId(1, POOL), state, timestamp, ctx: c });

/** The slow path: every account exact, as the domain view computed it before the screen. */
function exactAll(state: AaveMarketState, c: AaveViewContext, timestamp = T): AaveDomainAccount[] {
  const out: AaveDomainAccount[] = [];
  for (const u of [...state.accounts].sort()) {
    try {
      const s = aaveAccountSnapshot(state, u, timestamp);
      if (!s.reserves.some((r) => r.collateralRaw !== 0n || r.debtRaw !== 0n)) continue;
      out.push(aaveDomainAccount(1, POOL, s, c, { exactLiquidationPrices: false }));
    } catch {
      // a problem: left out of the totals by both paths
    }
  }
  return out;
}

function reserves(indexes: { inc: bigint; deb: bigint; rate: bigint }[], bonusEMode: boolean): FixtureReserve[] {
  return plainReserves().map((r, i) => ({
    ...r,
    liquidityIndexRay: indexes[i].inc,
    variableBorrowIndexRay: indexes[i].deb,
    liquidityRateRay: indexes[i].rate,
    variableBorrowRateRay: indexes[i].rate * 2n,
    eModeCategoryId: bonusEMode && r.asset === WETH ? 1 : 0,
  }));
}

/** A user whose health factor sits on 1 (or a tier boundary) when the indexes are 1 ray: debt = collateral × LT at the prices. */
function boundaryUser(i: number, wethScaled: bigint, lt: bigint, nudge: bigint): FixtureUser {
  // WETH 2,000 USD (8 decimals base) × LT / USDC 1 → USDC raw (6 decimals)
  const usdc = (wethScaled * 2_000n * lt) / 10_000n / 10n ** 12n + nudge;
  return { account: addr(0x50000 + i), supplied: { [WETH]: wethScaled }, borrowed: { [USDC]: usdc > 0n ? usdc : 1n } };
}

const RAY = 10n ** 27n;
const userArb = fc.record({
  usdc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 14n })),
  weth: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 24n })),
  wbtc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 10n })),
  debtUsdc: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 13n })),
  debtWeth: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 22n })),
  bitsOff: fc.subarray([USDC, WETH, WBTC]),
  eMode: fc.boolean(),
});

describe("evaluateAaveMarkets: the screen never changes an exact answer", () => {
  test("property: totals (tiers, bad debt exact; sums within 1e-9), endangered lists and accounts equal the all-exact path", () => {
    fc.assert(
      fc.property(
        fc.array(userArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.record({ inc: fc.bigInt({ min: RAY, max: (RAY * 3n) / 2n }), deb: fc.bigInt({ min: RAY, max: (RAY * 3n) / 2n }), rate: fc.bigInt({ min: 0n, max: RAY / 5n }) }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.constantFrom<string[]>([], ["ETH"]),
        fc.integer({ min: 0, max: 400 }),
        (users, idx, boundaryCount, eModeSource, stale, elapsed) => {
          const fixtureUsers: FixtureUser[] = users.map((u, i) => {
            const supplied: Record<Address, bigint> = {};
            const borrowed: Record<Address, bigint> = {};
            if (u.usdc) supplied[USDC] = u.usdc;
            if (u.weth) supplied[WETH] = u.weth;
            if (u.wbtc) supplied[WBTC] = u.wbtc;
            if (u.debtUsdc) borrowed[USDC] = u.debtUsdc;
            if (u.debtWeth) borrowed[WETH] = u.debtWeth;
            return { account: addr(0x10000 + i), supplied, borrowed, collateral: (Object.keys(supplied) as Address[]).filter((a) => !u.bitsOff.includes(a)), eModeCategoryId: u.eMode ? 1 : 0 };
          });
          // users on the HF = 1 boundary, ±1 wei of debt, for the floors to matter
          for (let i = 0; i < boundaryCount; i++) fixtureUsers.push(boundaryUser(i, 10n ** 15n * BigInt(1 + i * 997), 8_250n, BigInt((i % 3) - 1)));
          const state = market({
            timestamp: T,
            reserves: reserves(idx, true),
            users: fixtureUsers,
            eModeCategories: [{ categoryId: 1, ltvBps: 9_000n, liquidationThresholdBps: 9_300n, liquidationBonusBps: 10_100n, priceSource: eModeSource ? WETH : undefined }],
          });
          const c = ctx({}, undefined, stale);
          const t = T + BigInt(elapsed);
          const fast = evaluateAaveMarkets([at(state, c, t)]);
          const all = exactAll(state, c, t);
          const slow = deficiencyByDomain(all);
          expect(fast.totals.length).toBe(slow.domains.length);
          if (slow.domains.length > 0) {
            const [f] = fast.totals;
            const [s] = slow.domains;
            expect(f.accounts).toBe(s.accounts);
            expect(f.accountsPerTier).toEqual(s.accountsPerTier);
            expect(f.badDebtUsd.toString()).toBe(s.badDebtUsd.toString());
            expect(f.collateralUsd.minus(s.collateralUsd).abs().lte(s.collateralUsd.times(1e-9).plus(1e-6))).toBe(true);
            expect(f.debtUsd.minus(s.debtUsd).abs().lte(s.debtUsd.times(1e-9).plus(1e-6))).toBe(true);
          }
          // the endangered list at the liquidation threshold and above it, short and long
          for (const [limit, first] of [[10n ** 18n, 5], [10n ** 18n, 1000], [11n * 10n ** 17n, 3]] as const) {
            const want = all
              .filter((a) => a.rule.healthFactorWad !== null && a.rule.healthFactorWad < limit)
              .sort((a, b) => (a.rule.healthFactorWad! < b.rule.healthFactorWad! ? -1 : a.rule.healthFactorWad! > b.rule.healthFactorWad! ? 1 : a.address < b.address ? -1 : 1))
              .slice(0, first)
              .map((a) => a.address);
            expect(fast.endangered(limit, first).map((a) => a.address)).toEqual(want);
          }
          const one = all[Math.floor(all.length / 2)];
          if (one) expect(fast.account(one.address)).toEqual([one]);
          // the screen's own claims: a tier it decides is the exact one, hfLow is a lower bound
          const screen = screenAaveMarket(compileAaveScreen(state), t, c);
          const byAddress = new Map(all.map((a) => [a.address, a]));
          screen.book.addresses.forEach((address, slot) => {
            const a = byAddress.get(address);
            if (!a) return;
            if ((screen.exact[slot] & SCREEN_EXACT.TIER) === 0) expect(TIERS[screen.tier[slot]], address).toBe(a.view.tier);
            // (no debt in base units, e.g. 1 wei: the exact HF is "infinite", any bound holds)
            if (a.rule.healthFactorWad !== null) expect(screen.hfLow[slot] <= Number(a.rule.healthFactorWad) / 1e18, address).toBe(true);
            if ((screen.exact[slot] & SCREEN_EXACT.BAD_DEBT) === 0) expect(a.rule.badDebtBase).toBe(0n);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  test("edge: an unpriced reserve and an unmapped asset become problems, the rest is still evaluated", () => {
    const state = market({
      timestamp: T,
      reserves: plainReserves(),
      users: [
        { account: addr(0xa1), supplied: { [WETH]: 10n ** 18n }, borrowed: { [USDC]: 1_000_000_000n } },
        { account: addr(0xa2), supplied: { [WBTC]: 10n ** 8n }, borrowed: { [USDC]: 1_000_000_000n } },
      ],
    });
    const noBtc = ctx({ symbols: new Map([[USDC, "USDC"], [WETH, "ETH"]]) });
    const e = evaluateAaveMarkets([at(state, noBtc)]);
    expect(e.totals[0].accounts).toBe(1);
    expect(e.problems.map((p) => p.address)).toEqual([addr(0xa2)]);
    expect(e.problems[0].message).toMatch(/no risk symbol/);
    // WETH's feed answers 0: every account valuing WETH is a problem
    const unpriced = applyAaveChanges(state, [{ kind: "priceAnswer", feed: feedOf(1), answer: 0n, roundId: 2n, updatedAt: T }]);
    const u = evaluateAaveMarkets([at(unpriced, ctx())]);
    expect(u.totals[0].accounts).toBe(1);
    expect(u.problems.map((p) => p.address)).toEqual([addr(0xa1)]);
  });

  test("example: a crash sends only the accounts near a boundary down the exact path", () => {
    const users: FixtureUser[] = [];
    for (let i = 0; i < 200; i++) users.push({ account: addr(0x70000 + i), supplied: { [WETH]: 10n ** 18n }, borrowed: { [USDC]: BigInt(300 + i * 7) * 1_000_000n } });
    const state = market({ timestamp: T, reserves: plainReserves(), users });
    const e = evaluateAaveMarkets([at(state, ctx())]);
    const all = exactAll(state, ctx());
    expect(e.totals[0].accountsPerTier).toEqual(deficiencyByDomain(all).domains[0].accountsPerTier);
    expect(e.exactCount()).toBeLessThan(10);
    // the list of the 10 lowest health factors evaluates about that many accounts, not all 200
    const before = e.exactCount();
    expect(e.endangered(2n * 10n ** 18n, 10).length).toBe(10);
    expect(e.exactCount() - before).toBeLessThan(20);
  });
});
