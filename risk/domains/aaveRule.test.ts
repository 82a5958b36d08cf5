import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { accountData, applyAaveChanges } from "../../protocols/aaveV3/ledger.js";
import { WAD } from "../../protocols/aaveV3/math.js";
import { aaveAccountRule, aaveBestLiquidationCall, aaveLiquidationPlan, aaveLiquidationPrices, applyLiquidation } from "./aaveRule.js";
import { aaveAccountSnapshot, snapshotAccountData, withPrice } from "./aaveSnapshot.js";
import { addr, ALICE, BOB, feedOf, GOLDEN_TIMESTAMP, goldenMarket, goldenReserves, market, plainReserves, USDC, WBTC, WETH, type FixtureReserve } from "./testing.js";

const T = GOLDEN_TIMESTAMP;
const movePrice = (s: ReturnType<typeof goldenMarket>, reserveIndex: number, priceBase: bigint) =>
  applyAaveChanges(s, [{ kind: "priceAnswer", feed: feedOf(reserveIndex), answer: priceBase, roundId: 2n, updatedAt: 1n }]);

describe("aaveAccountRule", () => {
  // Provenance: the totals and HF are Pool.getUserAccountData on the real bytecode
  // (protocols/aaveV3/math.test.ts "golden: Pool.getUserAccountData on the real bytecode"), here
  // reached through the ledger replay and the snapshot.
  test("golden: the real contract's account data through ledger → snapshot → rule", () => {
    const s = goldenMarket();
    const alice = aaveAccountRule(aaveAccountSnapshot(s, ALICE, T));
    expect([alice.totalCollateralBase, alice.totalDebtBase, alice.availableBorrowsBase, alice.currentLiquidationThresholdBps, alice.ltvBps, alice.healthFactorWad]).toEqual([
      4001775342500n, 1402872461314n, 1498414661999n, 7750n, 7250n, 2210732604682465117n,
    ]);
    expect(alice.liquidatable).toBe(false);
    expect(alice.closeFactorBps).toBe(5_000n);
    expect(alice.bestLiquidation).toBeNull();
    expect(alice.badDebtBase).toBe(0n);
    const bob = aaveAccountRule(aaveAccountSnapshot(s, BOB, T));
    expect(bob.healthFactorWad).toBe(5485290276206820042n);
  });

  // Alice's WETH debt priced up to 4500 USD (HF 0.9825: close factor 50%) and 5000 USD (HF 0.884: 100%).
  // Amounts by math.ts liquidationAmounts (proven against LiquidationCall events in aave.e2e.test.ts),
  // checked by hand: at 4500, half the debt 7.014362306571959958/2 WETH = 15,782.32 USD; × 1.065 /
  // 30,000 = 0.56027219 WBTC; fee = (0.56027219 − 0.56027219/1.065)·10% = 0.00341950; profit =
  // 0.55685269·30,000 − 15,782.32 = 923.27 USD. The USDC pair is capped by alice's 10,017.75 USDC.
  test("golden: the best liquidation, which pair, debt to cover and collateral to receive", () => {
    const s = movePrice(goldenMarket(), 1, 4500_0000_0000n);
    const r = aaveAccountRule(aaveAccountSnapshot(s, ALICE, T));
    expect(r.healthFactorWad).toBe(982547824303162189n);
    expect(r.liquidatable).toBe(true);
    expect(r.closeFactorBps).toBe(5_000n);
    expect(r.liquidationCandidates.map((c) => c.collateralAsset)).toEqual([WBTC, USDC]);
    expect(r.bestLiquidation).toMatchObject({
      collateralAsset: WBTC,
      debtAsset: WETH,
      debtToCoverRaw: 3507181153285979979n,
      debtRepaidRaw: 3507181153285979979n,
      collateralSeizedRaw: 56027219n,
      protocolFeeRaw: 341950n,
      collateralToLiquidatorRaw: 55685269n,
      liquidationBonusBps: 10_650n,
      liquidatorProfitBase: 92326551021n,
      healthFactorAfterWad: 1166338639379093182n,
    });
    const usdcPair = r.liquidationCandidates[1];
    expect([usdcPair.collateralSeizedRaw, usdcPair.debtRepaidRaw, usdcPair.protocolFeeRaw]).toEqual([10017753425n, 2120159455026455026n, 47703588n]);

    movePrice(s, 1, 5000_0000_0000n);
    const deep = aaveAccountRule(aaveAccountSnapshot(s, ALICE, T));
    expect(deep.healthFactorWad).toBe(884293041872986047n);
    expect(deep.closeFactorBps).toBe(10_000n);
    // 100% close factor: all 7.01 WETH × 5000 × 1.065 = 37,351 USD > 30,000 of WBTC → all WBTC is taken, the debt shrinks
    expect(deep.bestLiquidation).toMatchObject({ collateralAsset: WBTC, collateralSeizedRaw: 100_000_000n, debtRepaidRaw: 5633802816901408451n, protocolFeeRaw: 610329n });
  });

  test("behavior: the snapshot's account data is the ledger's (the rule reads what getUserAccountData returns)", () => {
    const s = movePrice(goldenMarket(), 1, 4500_0000_0000n);
    for (const u of [ALICE, BOB]) expect(snapshotAccountData(aaveAccountSnapshot(s, u, T))).toEqual(accountData(s, u, T));
  });

  test("boundary: no debt → health factor null, no close factor, nothing to liquidate, no bad debt", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 1_000_000n } }] });
    const r = aaveAccountRule(aaveAccountSnapshot(s, ALICE, 1n));
    expect(r.healthFactorWad).toBeNull();
    expect(r.closeFactorBps).toBeNull();
    expect(r.liquidatable).toBe(false);
    expect(r.liquidationCandidates).toEqual([]);
    expect(r.badDebtBase).toBe(0n);
    expect(aaveLiquidationPrices(aaveAccountSnapshot(s, ALICE, 1n))).toEqual([]);
  });

  test("boundary: 1 wei of debt and no collateral is all bad debt and cannot be liquidated", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, borrowed: { [WETH]: 1n } }] });
    const r = aaveAccountRule(aaveAccountSnapshot(s, ALICE, 1n));
    // 1 wei of WETH × 2000e8 / 1e18 floors to 0 base units: the contract sees no debt value, so no health factor
    expect(r.totalDebtBase).toBe(0n);
    expect(r.healthFactorWad).toBeNull();
    const s2 = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, borrowed: { [USDC]: 1n } }] });
    const r2 = aaveAccountRule(aaveAccountSnapshot(s2, ALICE, 1n));
    expect(r2.totalDebtBase).toBe(100n); // 1e-6 USDC = 100 base units (1e8 per USD)
    expect(r2.healthFactorWad).toBe(0n);
    expect(r2.liquidatable).toBe(true);
    expect(r2.closeFactorBps).toBe(10_000n);
    expect(r2.bestLiquidation).toBeNull(); // nothing to seize
    expect(r2.badDebtBase).toBe(100n);
  });

  // 1000 USDC (LT 85%) against debt worth exactly 850 USD: HF = wadDiv(percentMul(1000e8, 8500), 850e8) = 1e18.
  test("boundary: HF exactly 1 is not liquidatable; 1 wei more debt value is", () => {
    const at = (wethScaled: bigint) =>
      aaveAccountRule(aaveAccountSnapshot(market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 1_000_000_000n }, borrowed: { [WETH]: wethScaled } }] }), ALICE, 1n));
    const one = at(425_000_000_000_000_000n);
    expect(one.healthFactorWad).toBe(WAD);
    expect(one.liquidatable).toBe(false);
    expect(one.bestLiquidation).toBeNull();
    const below = at(425_000_000_000_000_000n + 10_000_000_000n); // + 1 base unit of debt value
    expect(below.healthFactorWad! < WAD).toBe(true);
    expect(below.liquidatable).toBe(true);
    expect(below.closeFactorBps).toBe(5_000n);
  });

  // LT 95% on 1000 USD of collateral against 1000 USD of debt: HF exactly 0.95 → close factor 100%.
  test("boundary: HF exactly 0.95 gets the 100% close factor, just above it 50%", () => {
    const reserves: FixtureReserve[] = [{ ...plainReserves()[0], liquidationThresholdBps: 9_500n, ltvBps: 9_000n }, plainReserves()[1]];
    const at = (wethScaled: bigint) => aaveAccountRule(aaveAccountSnapshot(market({ timestamp: 1n, reserves, users: [{ account: ALICE, supplied: { [USDC]: 1_000_000_000n }, borrowed: { [WETH]: wethScaled } }] }), ALICE, 1n));
    const r = at(500_000_000_000_000_000n);
    expect(r.healthFactorWad).toBe(950_000_000_000_000_000n);
    expect(r.closeFactorBps).toBe(10_000n);
    // all of the debt would need 1050 USDC: all 1000 USDC are taken and the debt repaid is
    // percentDiv(1000 USD / 2000 = 0.5 WETH, 10500) = 0.476190476190476190 WETH
    expect(r.bestLiquidation!.collateralSeizedRaw).toBe(1_000_000_000n);
    expect(r.bestLiquidation!.debtRepaidRaw).toBe(476_190_476_190_476_190n);
    const above = at(499_000_000_000_000_000n);
    expect(above.healthFactorWad! > 950_000_000_000_000_000n).toBe(true);
    expect(above.closeFactorBps).toBe(5_000n);
    expect(above.bestLiquidation!.debtRepaidRaw).toBe(249_500_000_000_000_000n);
  });

  // eMode category 1 (LT 93%, LTV 90%, bonus 1%) priced by WETH: a WETH-like asset borrowed against WETH.
  test("behavior: eMode uses the category's threshold, bonus and price source", () => {
    const STETH = addr(0x1004);
    const reserves: FixtureReserve[] = [
      { ...plainReserves()[1], eModeCategoryId: 1 },
      { asset: STETH, decimals: 18, priceBase: 1_900_0000_0000n, ltvBps: 7_000n, liquidationThresholdBps: 7_500n, liquidationBonusBps: 10_700n, liquidationProtocolFeeBps: 0n, eModeCategoryId: 1 },
    ];
    const s = market({
      timestamp: 1n,
      reserves,
      eModeCategories: [{ categoryId: 1, ltvBps: 9_000n, liquidationThresholdBps: 9_300n, liquidationBonusBps: 10_100n, priceSource: WETH }],
      users: [{ account: ALICE, supplied: { [WETH]: WAD }, borrowed: { [STETH]: 940_000_000_000_000_000n }, eModeCategoryId: 1 }],
    });
    const snap = aaveAccountSnapshot(s, ALICE, 1n);
    const r = aaveAccountRule(snap);
    // both at WETH's 2000: collateral 2000, debt 0.94 × 2000 = 1880, HF = 2000 × 0.93 / 1880 = 0.98936…
    expect(r.totalDebtBase).toBe(1880_0000_0000n);
    expect(r.currentLiquidationThresholdBps).toBe(9_300n);
    expect(r.healthFactorWad).toBe((1860_0000_0000n * WAD + 1880_0000_0000n / 2n) / 1880_0000_0000n);
    expect(r.bestLiquidation).toMatchObject({ collateralAsset: WETH, debtAsset: STETH, liquidationBonusBps: 10_100n, debtRepaidRaw: 470_000_000_000_000_000n });
    // 0.47 × 2000 × 1.01 / 2000 = 0.4747 WETH
    expect(r.bestLiquidation!.collateralSeizedRaw).toBe(474_700_000_000_000_000n);
    // the category's price source prices both sides: no WETH price moves this HF, so there is no liquidation price
    expect(aaveLiquidationPrices(snap)).toEqual([]);
    expect(aaveAccountRule(withPrice(snap, WETH, 1000_0000_0000n)).healthFactorWad).toBe(r.healthFactorWad);
  });
});

describe("aaveLiquidationPrices", () => {
  // At 4500 USD WETH, alice: the unrounded formula gives 30,733 USD for WBTC; the whole-basis-point
  // average threshold moves the exact boundary to 30,737.09535429 (found on the contract's arithmetic).
  test("golden: the exact boundary at which the protocol's HF crosses 1", () => {
    const s = movePrice(goldenMarket(), 1, 4500_0000_0000n);
    const snap = aaveAccountSnapshot(s, ALICE, T);
    const prices = aaveLiquidationPrices(snap);
    expect(prices.map((p) => [p.asset, p.direction, p.priceBase])).toEqual([
      [USDC, "below", 106466877n],
      [WBTC, "below", 3073709535429n],
    ]);
    for (const p of prices) {
      const liq = (price: bigint) => aaveAccountRule(withPrice(snap, p.priceAsset, price)).liquidatable;
      expect(liq(p.priceBase)).toBe(true);
      expect(liq(p.priceBase + 1n)).toBe(false);
    }
    // bob: 20.0122 WETH × P × 0.825 = 6,019.76 USD → P ≈ 364.61
    const bob = aaveLiquidationPrices(aaveAccountSnapshot(s, BOB, T));
    expect(bob).toEqual([{ asset: WETH, priceAsset: WETH, direction: "below", priceBase: 36461151539n }]);
  });

  test("behavior: collateral that is also borrowed more than supplied liquidates when its price rises", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 1_000_000_000n, [WETH]: WAD / 10n }, borrowed: { [WETH]: WAD / 5n } }] });
    const [usdc, weth] = aaveLiquidationPrices(aaveAccountSnapshot(s, ALICE, 1n));
    expect(usdc.direction).toBe("below");
    expect(weth.direction).toBe("above");
    const snap = aaveAccountSnapshot(s, ALICE, 1n);
    expect(aaveAccountRule(withPrice(snap, WETH, weth.priceBase)).liquidatable).toBe(true);
    expect(aaveAccountRule(withPrice(snap, WETH, weth.priceBase - 1n)).liquidatable).toBe(false);
  });
});

describe("properties", () => {
  const account = fc.record({
    collUsdc: fc.bigInt({ min: 1n, max: 10n ** 14n }),
    collWbtc: fc.bigInt({ min: 0n, max: 10n ** 10n }),
    debtWeth: fc.bigInt({ min: 1n, max: 10n ** 22n }),
    wethPrice: fc.bigInt({ min: 1n, max: 10n ** 13n }),
  });
  const build = (a: { collUsdc: bigint; collWbtc: bigint; debtWeth: bigint; wethPrice: bigint }) => {
    const reserves = plainReserves();
    reserves[1] = { ...reserves[1], priceBase: a.wethPrice };
    const supplied = a.collWbtc > 0n ? { [USDC]: a.collUsdc, [WBTC]: a.collWbtc } : { [USDC]: a.collUsdc };
    return aaveAccountSnapshot(market({ timestamp: 1n, reserves, users: [{ account: ALICE, supplied, borrowed: { [WETH]: a.debtWeth } }] }), ALICE, 1n);
  };

  test("property: bad debt ≥ 0 and = max(0, debt − collateral); the best plan is among the candidates and never seizes more than held", () => {
    fc.assert(
      fc.property(account, (a) => {
        const snap = build(a);
        const r = aaveAccountRule(snap);
        expect(r.badDebtBase >= 0n).toBe(true);
        expect(r.badDebtBase).toBe(r.totalDebtBase > r.totalCollateralBase ? r.totalDebtBase - r.totalCollateralBase : 0n);
        for (const c of r.liquidationCandidates) {
          const held = snap.reserves.find((x) => x.asset === c.collateralAsset)!.collateralRaw;
          const owed = snap.reserves.find((x) => x.asset === c.debtAsset)!.debtRaw;
          expect(c.collateralSeizedRaw <= held).toBe(true);
          expect(c.debtRepaidRaw <= owed).toBe(true);
          expect(c.liquidatorProfitBase <= r.bestLiquidation!.liquidatorProfitBase).toBe(true);
        }
        // the cascade's shortcut names the same call
        const call = aaveBestLiquidationCall(snap);
        if (r.bestLiquidation === null) expect(call).toBeNull();
        else {
          const { healthFactorAfterWad: _after, ...rest } = r.bestLiquidation;
          expect(call).toEqual(rest);
        }
      }),
      { numRuns: 300 },
    );
  });

  // Repaying D and seizing D·bonus of collateral with threshold LT_c changes HF = C·LT/Debt to
  // (C·LT − D·bonus·LT_c)/(Debt − D): higher exactly when HF > bonus·LT_c. With one collateral the
  // average threshold is LT_c itself; a 0.1% margin absorbs the contract's floors.
  test("property: liquidating by the computed amounts never lowers HF when HF > bonus·LT (one collateral)", () => {
    let tried = 0;
    let checked = 0;
    // generated so that HF lands in (0.9, 1): debt value = collateral × LT / u, u uniform in (0.9, 1)
    const near = fc.record({ collUsdc: fc.bigInt({ min: 10n ** 6n, max: 10n ** 14n }), u: fc.integer({ min: 9_000, max: 9_999 }), wethPrice: fc.bigInt({ min: 10n ** 8n, max: 10n ** 13n }) }).map((x) => ({
      collUsdc: x.collUsdc,
      collWbtc: 0n,
      wethPrice: x.wethPrice,
      debtWeth: (x.collUsdc * 100n * 8_500n * 10n ** 18n) / (x.wethPrice * BigInt(x.u)),
    }));
    fc.assert(
      fc.property(account, (a) => {
        tried++;
        const snap = build({ ...a, collWbtc: 0n });
        const r = aaveAccountRule(snap);
        if (!r.liquidatable || r.bestLiquidation === null) return;
        const floor = (10_500n * 8_500n * WAD) / 10n ** 8n; // bonus × LT of USDC, wad
        if (r.healthFactorWad! * 1000n <= floor * 1001n) return;
        const after = snapshotAccountData(applyLiquidation(snap, r.bestLiquidation));
        if (after.healthFactorWad === null) return;
        checked++;
        expect(after.healthFactorWad >= r.healthFactorWad!).toBe(true);
        expect(r.bestLiquidation.healthFactorAfterWad).toBe(after.healthFactorWad);
      }),
      { numRuns: 500, examples: [] },
    );
    tried = 0;
    checked = 0;
    fc.assert(fc.property(near, (a) => {
      tried++;
      const snap = build(a);
      const r = aaveAccountRule(snap);
      if (!r.liquidatable || r.bestLiquidation === null) return;
      const floor = (10_500n * 8_500n * WAD) / 10n ** 8n;
      if (r.healthFactorWad! * 1000n <= floor * 1001n) return;
      const after = snapshotAccountData(applyLiquidation(snap, r.bestLiquidation));
      if (after.healthFactorWad === null) return;
      checked++;
      expect(after.healthFactorWad >= r.healthFactorWad!).toBe(true);
    }), { numRuns: 500 });
    expect(checked).toBeGreaterThan(tried / 4); // the property was exercised, not skipped
  });

  test("property: a plan for an unseizable pair is null (no such debt, collateral off)", () => {
    const s = market({ timestamp: 1n, reserves: plainReserves(), users: [{ account: ALICE, supplied: { [USDC]: 1_000_000n, [WBTC]: 1n }, collateral: [USDC], borrowed: { [WETH]: WAD } }] });
    const snap = aaveAccountSnapshot(s, ALICE, 1n);
    expect(aaveLiquidationPlan(snap, WBTC, WETH, 0n)).toBeNull();
    expect(aaveLiquidationPlan(snap, USDC, USDC, 0n)).toBeNull();
    expect(aaveLiquidationPlan(snap, USDC, WETH, 0n)).not.toBeNull();
  });
});
