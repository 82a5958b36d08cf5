import { getAddress, type Address } from "viem";
import { describe, expect, test } from "vitest";
import { aaveAssetPriceReadOps, aaveSourceReadOp, aaveStoreOps, type AaveEventAt } from "./storeOps.js";

const A = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const low = (a: Address) => a.toLowerCase();
const POOL = getAddress("0xaBcDeF0000000000000000000000000000000001");
const at: AaveEventAt = { chainId: 7, pool: POOL, blockNumber: 10n, logIndex: 3, timestamp: 1_000n, txHash: "0x01" };

describe("aaveStoreOps", () => {
  test("default: keys carry chainId and the pool, lowercased", () => {
    expect(aaveStoreOps({ kind: "collateralFlag", asset: A(1), account: A(2), enabled: true }, at)).toEqual([
      { table: "aaveUserCollateral", key: { chainId: 7, pool: low(POOL), asset: low(A(1)), user: low(A(2)) }, enabled: true, updatedBlock: 10n },
    ]);
  });

  test("behavior: an aToken's Initialized gives the reserve its decimals under the event's own pool; a debt token's writes nothing", () => {
    const other = A(99);
    expect(aaveStoreOps({ kind: "tokenInitialized", token: A(3), tokenType: "aToken", underlyingAsset: A(1), pool: other, decimals: 6, treasury: A(4) }, at)).toEqual([
      { table: "aaveReserve", key: { chainId: 7, pool: low(other), asset: low(A(1)) }, patch: { decimals: 6 }, updatedBlock: 10n },
    ]);
    expect(aaveStoreOps({ kind: "tokenInitialized", token: A(3), tokenType: "debtToken", underlyingAsset: A(1), pool: other, decimals: 6, treasury: null }, at)).toEqual([]);
  });

  test("behavior: scaled balance deltas are signed; an interest-only Mint (delta 0) writes nothing", () => {
    expect(aaveStoreOps({ kind: "scaledBalance", token: A(3), account: A(2), deltaScaled: -5n, indexRay: 1n }, at)).toEqual([
      { table: "aaveScaledBalance", key: { chainId: 7, pool: low(POOL), token: low(A(3)), user: low(A(2)) }, deltaScaled: -5n, updatedBlock: 10n },
    ]);
    expect(aaveStoreOps({ kind: "scaledBalance", token: A(3), account: A(2), deltaScaled: 0n, indexRay: 1n }, at)).toEqual([]);
  });

  test("behavior: indexes with their block timestamp; liquidations as rows; other activity writes nothing", () => {
    const [op] = aaveStoreOps(
      { kind: "reserveIndexes", asset: A(1), liquidityRateRay: 1n, stableBorrowRateRay: 2n, variableBorrowRateRay: 3n, liquidityIndexRay: 4n, variableBorrowIndexRay: 5n, timestamp: 1_000n },
      at,
    );
    expect(op).toMatchObject({ table: "aaveReserve", patch: { liquidityIndexRay: 4n, variableBorrowIndexRay: 5n, liquidityRateRay: 1n, variableBorrowRateRay: 3n, stableBorrowRateRay: 2n, lastUpdateTimestamp: 1_000n } });
    expect(aaveStoreOps({ kind: "activity", action: "supply", reserve: A(1), user: A(2), onBehalfOf: A(2), amountRaw: 1n }, at)).toEqual([]);
    const [liq] = aaveStoreOps(
      { kind: "activity", action: "liquidation", collateralAsset: A(1), debtAsset: A(5), user: A(2), liquidator: A(6), debtRepaidRaw: 9n, collateralToLiquidatorRaw: 8n, receiveAToken: true },
      at,
    );
    expect(liq).toEqual({
      table: "aaveLiquidation",
      values: { chainId: 7, pool: low(POOL), blockNumber: 10n, logIndex: 3, user: low(A(2)), liquidator: low(A(6)), collateralAsset: low(A(1)), debtAsset: low(A(5)), debtToCoverRaw: 9n, liquidatedCollateralRaw: 8n, receiveAToken: true, timestamp: 1_000n, txHash: "0x01" },
    });
  });

  test("behavior: a source read has no round and no oracle timestamp (null, not 0)", () => {
    expect(aaveSourceReadOp(at, A(8), 123n)).toEqual({ table: "aaveSourceAnswer", key: { chainId: 7, pool: low(POOL), source: low(A(8)) }, answer: 123n, roundId: null, updatedAt: null, blockNumber: 10n });
  });

  test("behavior: a price read writes its exact integer and the block it was read at, only when it differs from the stored row", () => {
    const where = { chainId: 7, pool: POOL, blockNumber: 12n };
    const big = 2n ** 200n + 1n;
    expect(aaveAssetPriceReadOps(where, A(1), big, undefined)).toEqual([{ table: "aaveAssetPrice", key: { chainId: 7, pool: low(POOL), asset: low(A(1)) }, price: big, blockNumber: 12n }]);
    expect(aaveAssetPriceReadOps(where, A(1), big, big - 1n)).toHaveLength(1);
    expect(aaveAssetPriceReadOps(where, A(1), big, big)).toEqual([]);
  });
});
