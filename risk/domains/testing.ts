/**
 * Test fixtures for the domain layer: an Aave v3 market folded by the real replay
 * (protocols/aaveV3/ledger.ts `applyAaveChanges`) from scripted state changes, so every snapshot a
 * test reads went through the same code the indexer's state will.
 */
import { getAddress, type Address } from "viem";
import { applyAaveChanges, createAaveMarketState, type AaveMarketState } from "../../protocols/aaveV3/ledger.js";
import type { AaveStateChange } from "../../protocols/aaveV3/mappers.js";
import { RAY } from "../../protocols/aaveV3/math.js";
import { D } from "../decimal.js";
import type { AaveViewContext } from "./aaveView.js";

export const addr = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);

export interface FixtureReserve {
  asset: Address;
  decimals: number;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  liquidationProtocolFeeBps?: bigint;
  priceBase: bigint;
  eModeCategoryId?: number;
  /** the stored indexes (at `timestamp` they are the normalized ones); rates 0 unless given */
  liquidityIndexRay?: bigint;
  variableBorrowIndexRay?: bigint;
  liquidityRateRay?: bigint;
  variableBorrowRateRay?: bigint;
}

export interface FixtureUser {
  account: Address;
  /** asset → scaled aToken balance */
  supplied?: Record<Address, bigint>;
  /** asset → scaled variable debt */
  borrowed?: Record<Address, bigint>;
  /** assets with the collateral bit on (default: every supplied asset) */
  collateral?: Address[];
  eModeCategoryId?: number;
}

/** USDC 6 / WETH 18 / WBTC 8: the reserves of deployAaveMarket(DEFAULT_AAVE_RESERVES) (risk parameters in goldenReserves as deploy.ts sets them). */
export const USDC = addr(0x1001);
export const WETH = addr(0x1002);
export const WBTC = addr(0x1003);

/** Token addresses of reserve i: aToken, stable, variable, strategy; feed. */
const tokensOf = (i: number) => ({ aToken: addr(0x2000 + i * 16), stable: addr(0x2001 + i * 16), variable: addr(0x2002 + i * 16), strategy: addr(0x2003 + i * 16), feed: addr(0x3000 + i) });

/**
 * A folded market: reserves listed, configured, priced and indexed at `timestamp`, users' scaled
 * balances and flags, eMode categories (priceSource 0x0 unless given). Example: `market({ reserves, users, timestamp: 1000n })`.
 */
export function market(input: {
  reserves: FixtureReserve[];
  users: FixtureUser[];
  timestamp: bigint;
  eModeCategories?: { categoryId: number; ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint; priceSource?: Address }[];
}): AaveMarketState {
  const changes: AaveStateChange[] = [];
  input.reserves.forEach((r, i) => {
    const t = tokensOf(i);
    changes.push(
      { kind: "tokenInitialized", token: t.aToken, tokenType: "aToken", underlyingAsset: r.asset, pool: addr(0x9001), decimals: r.decimals, treasury: addr(0xfee) },
      { kind: "reserveListed", asset: r.asset, aToken: t.aToken, stableDebtToken: t.stable, variableDebtToken: t.variable, interestRateStrategy: t.strategy },
      { kind: "collateralConfig", asset: r.asset, ltvBps: r.ltvBps, liquidationThresholdBps: r.liquidationThresholdBps, liquidationBonusBps: r.liquidationBonusBps },
      { kind: "liquidationProtocolFee", asset: r.asset, feeBps: r.liquidationProtocolFeeBps ?? 0n },
      { kind: "priceAnswer", feed: t.feed, answer: r.priceBase, roundId: 1n, updatedAt: input.timestamp },
      { kind: "assetSource", asset: r.asset, source: t.feed },
      {
        kind: "reserveIndexes",
        asset: r.asset,
        liquidityRateRay: r.liquidityRateRay ?? 0n,
        stableBorrowRateRay: 0n,
        variableBorrowRateRay: r.variableBorrowRateRay ?? 0n,
        liquidityIndexRay: r.liquidityIndexRay ?? RAY,
        variableBorrowIndexRay: r.variableBorrowIndexRay ?? RAY,
        timestamp: input.timestamp,
      },
    );
    if (r.eModeCategoryId) changes.push({ kind: "assetEModeCategory", asset: r.asset, categoryId: r.eModeCategoryId });
  });
  for (const c of input.eModeCategories ?? []) {
    changes.push({ kind: "eModeCategory", categoryId: c.categoryId, ltvBps: c.ltvBps, liquidationThresholdBps: c.liquidationThresholdBps, liquidationBonusBps: c.liquidationBonusBps, priceSource: c.priceSource ?? "0x0000000000000000000000000000000000000000", label: `cat${c.categoryId}` });
  }
  const indexOf = new Map(input.reserves.map((r, i) => [r.asset, i]));
  for (const u of input.users) {
    for (const [asset, scaled] of Object.entries(u.supplied ?? {})) {
      changes.push({ kind: "scaledBalance", token: tokensOf(indexOf.get(asset as Address)!).aToken, account: u.account, deltaScaled: scaled, indexRay: RAY });
    }
    for (const asset of u.collateral ?? (Object.keys(u.supplied ?? {}) as Address[])) changes.push({ kind: "collateralFlag", asset, account: u.account, enabled: true });
    for (const [asset, scaled] of Object.entries(u.borrowed ?? {})) {
      changes.push({ kind: "scaledBalance", token: tokensOf(indexOf.get(asset as Address)!).variable, account: u.account, deltaScaled: scaled, indexRay: RAY });
    }
    if (u.eModeCategoryId) changes.push({ kind: "userEMode", account: u.account, categoryId: u.eModeCategoryId });
  }
  return applyAaveChanges(createAaveMarketState(), changes);
}

/** The feed of reserve `i` (to move its price with a priceAnswer change). */
export const feedOf = (i: number): Address => tokensOf(i).feed;

export const ALICE = addr(0xa11ce);
export const BOB = addr(0xb0b);

/**
 * The golden state of protocols/aaveV3/math.test.ts ("Pool.getUserAccountData on the real
 * bytecode"): @aave/core-v3 1.19.3 on anvil, alice supplied 10,000 USDC and 1 WBTC and borrowed
 * 7 WETH, bob supplied 20 WETH and borrowed 6,000 USDC, 45 days later; indexes are the contract's
 * normalized ones at that block (stored here with Δt = 0 so the ledger returns them as they are).
 */
export const GOLDEN_TIMESTAMP = 1_000_000n;
export function goldenReserves(): FixtureReserve[] {
  return [
    { asset: USDC, decimals: 6, priceBase: 100_000_000n, ltvBps: 8_000n, liquidationThresholdBps: 8_500n, liquidationBonusBps: 10_500n, liquidationProtocolFeeBps: 1_000n, liquidityIndexRay: 1001775342465753424657534246n, variableBorrowIndexRay: 1003293075622548572067535123n },
    { asset: WETH, decimals: 18, priceBase: 200_000_000_000n, ltvBps: 8_000n, liquidationThresholdBps: 8_250n, liquidationBonusBps: 10_500n, liquidationProtocolFeeBps: 1_000n, liquidityIndexRay: 1000609773116438356164383561n, variableBorrowIndexRay: 1002051758081708565274593753n },
    { asset: WBTC, decimals: 8, priceBase: 3_000_000_000_000n, ltvBps: 7_000n, liquidationThresholdBps: 7_500n, liquidationBonusBps: 10_650n, liquidationProtocolFeeBps: 1_000n },
  ];
}
/** The golden reserves with both indexes at 1 ray: scaled = actual, for hand-made boundary cases. */
export function plainReserves(): FixtureReserve[] {
  return goldenReserves().map((r) => ({ ...r, liquidityIndexRay: undefined, variableBorrowIndexRay: undefined }));
}
export function goldenMarket(): AaveMarketState {
  return market({
    timestamp: GOLDEN_TIMESTAMP,
    reserves: goldenReserves(),
    users: [
      { account: ALICE, supplied: { [USDC]: 10_000_000_000n, [WBTC]: 100_000_000n }, borrowed: { [WETH]: 7_000_000_000_000_000_000n } },
      { account: BOB, supplied: { [WETH]: 20_000_000_000_000_000_000n }, borrowed: { [USDC]: 6_000_000_000n } },
    ],
  });
}

/** The symbols of the fixture reserves (USDC, WETH → ETH, WBTC → BTC). */
export const FIXTURE_SYMBOLS: ReadonlyMap<Address, string> = new Map([
  [USDC, "USDC"],
  [WETH, "ETH"],
  [WBTC, "BTC"],
]);

/**
 * A view context for tests: chain 1, finality 60 s, max lag 120 s, lag step 5 s, z 2.326 / 2.576,
 * base unit 1e8, the fixture symbols; σ per symbol (default 0) and the symbols whose price is stale.
 * Example: `testViewContext({ now: 1_030, blockTimestamp: 1_000 }, { ETH: "0.8" })`.
 */
export function testViewContext(over: Partial<AaveViewContext> = {}, sigma: Record<string, string> = { USDC: "0", ETH: "0", BTC: "0" }, stale: readonly string[] = []): AaveViewContext {
  const assets: Record<string, { sigmaAnnual: InstanceType<typeof D>; priceStale: boolean }> = {};
  for (const [symbol, v] of Object.entries(sigma)) assets[symbol] = { sigmaAnnual: new D(v), priceStale: stale.includes(symbol) };
  return {
    chainId: 1,
    now: 1_000,
    blockTimestamp: 1_000,
    finalitySeconds: 60,
    maxDataLagSeconds: 120,
    lagStepSeconds: 5,
    zMaintenance: new D("2.326"),
    zInitial: new D("2.576"),
    yearSeconds: 31_536_000,
    baseCurrencyUnit: 100_000_000n,
    symbols: FIXTURE_SYMBOLS,
    assets,
    ...over,
  };
}
