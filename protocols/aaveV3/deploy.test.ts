/**
 * deployAaveMarket: option validation (no chain), and the wiring of a deployed market read back
 * through the contracts' own views (the end-to-end proof is aave.e2e.test.ts).
 */
import { createPublicClient, http } from "viem";
import { describe, expect, test } from "vitest";
import { startChain } from "../../devnet/chains.js";
import { aaveATokenAbi, aavePoolAbi } from "./abis.js";
import { DEFAULT_AAVE_RESERVES, chunksByGas, deployAaveMarket } from "./deploy.js";
import { AaveDeployError } from "./errors.js";

describe("chunksByGas", () => {
  test("boundary: empty, exact fit, one transaction above the limit alone", () => {
    const t = (gas: bigint) => ({ gas });
    expect(chunksByGas([], 30n)).toEqual([]);
    expect(chunksByGas([t(10n), t(20n), t(1n)], 30n)).toEqual([[t(10n), t(20n)], [t(1n)]]);
    expect(chunksByGas([t(5n), t(40n), t(5n)], 30n)).toEqual([[t(5n)], [t(40n)], [t(5n)]]);
  });
});

describe("deployAaveMarket", () => {
  test("behavior: invalid options are listed at once, before anything is sent", async () => {
    const usdc = DEFAULT_AAVE_RESERVES[0]!;
    const bad = [
      { ...usdc, decimals: 6.5 },
      { ...usdc, priceUsd8: undefined },
      { ...usdc, symbol: "X", risk: { ...usdc.risk, ltvBps: 9_000 } },
    ];
    const error = await deployAaveMarket("http://127.0.0.1:1", { reserves: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AaveDeployError);
    expect((error as AaveDeployError).details.problems).toEqual([
      "USDC.decimals is 6.5; expected an integer 0–36",
      "reserve symbol 'USDC' appears twice; symbols key the result",
      "USDC has no priceFeed and no positive priceUsd8; give one of them",
      "X: ltvBps 9000 is above liquidationThresholdBps 8500; the configurator reverts",
    ]);
    await expect(deployAaveMarket("http://127.0.0.1:1", { reserves: [] })).rejects.toThrow(/reserves is empty/);
  });

  test("default: a full market, every reserve listed with its tokens and the treasury", async () => {
    const chain = await startChain({ name: "aave-deploy", chainId: 31337 });
    try {
      const market = await deployAaveMarket(chain.rpcUrl, { reserves: DEFAULT_AAVE_RESERVES });
      const client = createPublicClient({ transport: http(chain.rpcUrl) });
      const listed = await client.readContract({ address: market.pool, abi: aavePoolAbi, functionName: "getReservesList" });
      expect(listed).toEqual(DEFAULT_AAVE_RESERVES.map((r) => market.reserves[r.symbol]!.asset));
      for (const r of DEFAULT_AAVE_RESERVES) {
        const d = market.reserves[r.symbol]!;
        const underlying = await client.readContract({ address: d.aToken, abi: aaveATokenAbi, functionName: "UNDERLYING_ASSET_ADDRESS" });
        expect(underlying).toBe(d.asset);
        const treasury = await client.readContract({ address: d.aToken, abi: aaveATokenAbi, functionName: "RESERVE_TREASURY_ADDRESS" });
        expect(treasury).toBe(market.treasury);
      }
      expect(market.startBlock).toBeGreaterThan(0n);
      expect(market.endBlock).toBeGreaterThanOrEqual(market.startBlock);
      expect(market.gasUsed).toBeGreaterThan(50_000_000n);
    } finally {
      await chain.stop();
    }
  });
});
