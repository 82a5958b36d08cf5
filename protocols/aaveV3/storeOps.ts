/**
 * Pure: one mapped Aave state change (mappers.ts) → the store writes it implies (schema.ts).
 * Every write is an upsert keyed by what the event itself says (chain, pool, asset / token /
 * user), so the handler never reads the store: Ponder prefetches by keys derivable from events.
 * Addresses in keys are lowercased (Ponder's hex columns).
 */
import type { Hex } from "viem";
import type { AaveStateChange } from "./mappers.js";

/** Where a change happened: the chain, the market (its Pool proxy) and the log. */
export interface AaveEventAt {
  chainId: number;
  /** The market's Pool proxy. */
  pool: Hex;
  blockNumber: bigint;
  logIndex: number;
  timestamp: bigint;
  txHash: Hex;
}

type Lower = Hex;
const low = (a: string): Lower => a.toLowerCase() as Lower;

/** A reserve row's columns an upsert may set (the key and updatedBlock always). */
export interface AaveReservePatch {
  aToken?: Lower;
  stableDebtToken?: Lower;
  variableDebtToken?: Lower;
  interestRateStrategy?: Lower;
  decimals?: number;
  ltvBps?: bigint;
  liquidationThresholdBps?: bigint;
  liquidationBonusBps?: bigint;
  reserveFactorBps?: bigint;
  liquidationProtocolFeeBps?: bigint;
  eModeCategoryId?: number;
  liquidityIndexRay?: bigint;
  variableBorrowIndexRay?: bigint;
  liquidityRateRay?: bigint;
  variableBorrowRateRay?: bigint;
  stableBorrowRateRay?: bigint;
  lastUpdateTimestamp?: bigint;
}

export type AaveStoreOp =
  | { table: "aaveReserve"; key: { chainId: number; pool: Lower; asset: Lower }; patch: AaveReservePatch; updatedBlock: bigint }
  /** Adds `deltaScaled` to the row's scaledBalance (the row starts at 0). */
  | { table: "aaveScaledBalance"; key: { chainId: number; pool: Lower; token: Lower; user: Lower }; deltaScaled: bigint; updatedBlock: bigint }
  | { table: "aaveUserCollateral"; key: { chainId: number; pool: Lower; asset: Lower; user: Lower }; enabled: boolean; updatedBlock: bigint }
  | { table: "aaveUser"; key: { chainId: number; pool: Lower; user: Lower }; eModeCategoryId: number; updatedBlock: bigint }
  | {
      table: "aaveEModeCategory";
      key: { chainId: number; pool: Lower; categoryId: number };
      values: { ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint; priceSource: Lower; label: string };
      updatedBlock: bigint;
    }
  | { table: "aaveAssetSource"; key: { chainId: number; pool: Lower; asset: Lower }; source: Lower; updatedBlock: bigint }
  | { table: "aaveSourceAnswer"; key: { chainId: number; pool: Lower; source: Lower }; answer: bigint; roundId: bigint | null; updatedAt: bigint | null; blockNumber: bigint }
  /** A price read from AaveOracle.getAssetPrice at `blockNumber` (priceReads). */
  | { table: "aaveAssetPrice"; key: { chainId: number; pool: Lower; asset: Lower }; price: bigint; blockNumber: bigint }
  | {
      table: "aaveLiquidation";
      values: {
        chainId: number;
        pool: Lower;
        blockNumber: bigint;
        logIndex: number;
        user: Lower;
        liquidator: Lower;
        collateralAsset: Lower;
        debtAsset: Lower;
        debtToCoverRaw: bigint;
        liquidatedCollateralRaw: bigint;
        receiveAToken: boolean;
        timestamp: bigint;
        txHash: Hex;
      };
    };

/**
 * The writes of one change. `tokenInitialized` of an aToken gives the reserve its decimals (the
 * pool is the event's own); a debt token's Initialized carries the same decimals and writes
 * nothing. Pool activity other than liquidations changes no stored state (the token events do).
 */
export function aaveStoreOps(change: AaveStateChange, at: AaveEventAt): AaveStoreOp[] {
  const chainId = at.chainId;
  const pool = low(at.pool);
  const updatedBlock = at.blockNumber;
  const reserve = (asset: string, patch: AaveReservePatch): AaveStoreOp => ({ table: "aaveReserve", key: { chainId, pool, asset: low(asset) }, patch, updatedBlock });
  switch (change.kind) {
    case "tokenInitialized":
      if (change.tokenType !== "aToken") return [];
      return [{ table: "aaveReserve", key: { chainId, pool: low(change.pool), asset: low(change.underlyingAsset) }, patch: { decimals: change.decimals }, updatedBlock }];
    case "reserveListed":
      return [
        reserve(change.asset, {
          aToken: low(change.aToken),
          stableDebtToken: low(change.stableDebtToken),
          variableDebtToken: low(change.variableDebtToken),
          interestRateStrategy: low(change.interestRateStrategy),
        }),
      ];
    case "collateralConfig":
      return [reserve(change.asset, { ltvBps: change.ltvBps, liquidationThresholdBps: change.liquidationThresholdBps, liquidationBonusBps: change.liquidationBonusBps })];
    case "liquidationProtocolFee":
      return [reserve(change.asset, { liquidationProtocolFeeBps: change.feeBps })];
    case "reserveFactor":
      return [reserve(change.asset, { reserveFactorBps: change.reserveFactorBps })];
    case "assetEModeCategory":
      return [reserve(change.asset, { eModeCategoryId: change.categoryId })];
    case "reserveIndexes":
      return [
        reserve(change.asset, {
          liquidityIndexRay: change.liquidityIndexRay,
          variableBorrowIndexRay: change.variableBorrowIndexRay,
          liquidityRateRay: change.liquidityRateRay,
          variableBorrowRateRay: change.variableBorrowRateRay,
          stableBorrowRateRay: change.stableBorrowRateRay,
          lastUpdateTimestamp: change.timestamp,
        }),
      ];
    case "scaledBalance":
      // An interest-only Mint (value = balanceIncrease) moves nothing; no write, no row.
      if (change.deltaScaled === 0n) return [];
      return [{ table: "aaveScaledBalance", key: { chainId, pool, token: low(change.token), user: low(change.account) }, deltaScaled: change.deltaScaled, updatedBlock }];
    case "collateralFlag":
      return [{ table: "aaveUserCollateral", key: { chainId, pool, asset: low(change.asset), user: low(change.account) }, enabled: change.enabled, updatedBlock }];
    case "userEMode":
      return [{ table: "aaveUser", key: { chainId, pool, user: low(change.account) }, eModeCategoryId: change.categoryId, updatedBlock }];
    case "eModeCategory":
      return [
        {
          table: "aaveEModeCategory",
          key: { chainId, pool, categoryId: change.categoryId },
          values: {
            ltvBps: change.ltvBps,
            liquidationThresholdBps: change.liquidationThresholdBps,
            liquidationBonusBps: change.liquidationBonusBps,
            priceSource: low(change.priceSource),
            label: change.label,
          },
          updatedBlock,
        },
      ];
    case "assetSource":
      return [{ table: "aaveAssetSource", key: { chainId, pool, asset: low(change.asset) }, source: low(change.source), updatedBlock }];
    case "priceAnswer":
      return [{ table: "aaveSourceAnswer", key: { chainId, pool, source: low(change.feed) }, answer: change.answer, roundId: change.roundId, updatedAt: change.updatedAt, blockNumber: at.blockNumber }];
    case "activity":
      if (change.action !== "liquidation") return [];
      return [
        {
          table: "aaveLiquidation",
          values: {
            chainId,
            pool,
            blockNumber: at.blockNumber,
            logIndex: at.logIndex,
            user: low(change.user),
            liquidator: low(change.liquidator),
            collateralAsset: low(change.collateralAsset),
            debtAsset: low(change.debtAsset),
            debtToCoverRaw: change.debtRepaidRaw,
            liquidatedCollateralRaw: change.collateralToLiquidatorRaw,
            receiveAToken: change.receiveAToken,
            timestamp: at.timestamp,
            txHash: at.txHash,
          },
        },
      ];
  }
}

/** The answer of a price source read with latestAnswer() (no round, no oracle timestamp). */
export function aaveSourceReadOp(at: AaveEventAt, source: string, answer: bigint): AaveStoreOp {
  return { table: "aaveSourceAnswer", key: { chainId: at.chainId, pool: low(at.pool), source: low(source) }, answer, roundId: null, updatedAt: null, blockNumber: at.blockNumber };
}

/**
 * The write for a price read with AaveOracle.getAssetPrice(asset) at `blockNumber`: none when
 * the stored row already holds that price (`stored`: the row's price, undefined when no row), so
 * a price that does not move costs no write. Prices are exact base-currency integers.
 */
export function aaveAssetPriceReadOps(where: { chainId: number; pool: string; blockNumber: bigint }, asset: string, price: bigint, stored: bigint | undefined): AaveStoreOp[] {
  if (stored === price) return [];
  return [{ table: "aaveAssetPrice", key: { chainId: where.chainId, pool: low(where.pool), asset: low(asset) }, price, blockNumber: where.blockNumber }];
}
