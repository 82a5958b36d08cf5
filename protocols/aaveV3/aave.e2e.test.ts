/**
 * The proof: Aave's own v3.0 bytecode (from @aave/core-v3) on a real anvil, driven by several
 * accounts through supply, borrow, interest, a repay and a withdraw smaller than the interest,
 * an aToken transfer, collateral switched off and on, eMode, a price drop and two liquidations
 * (one with receiveAToken). After every step the market is rebuilt from eth_getLogs alone
 * (mappers + ledger + math, no state reads) and compared, exactly, with the contracts' own views
 * at that block: Pool.getUserAccountData, getReserveData, getReserveNormalizedIncome /
 * VariableDebt and every token's scaledBalanceOf.
 */
import { createPublicClient, encodeFunctionData, getAddress, http, maxUint256, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { priceFeedAbi, testTokenAbi } from "../../abis/index.js";
import { startChain, type RunningChain } from "../../devnet/chains.js";
import { rpc } from "../../devnet/rpc.js";
import { TxSender } from "../../devnet/txSender.js";
import { aaveATokenAbi, aavePoolAbi, aaveVariableDebtTokenAbi } from "./abis.js";
import { loadAaveArtifact } from "./artifacts.js";
import { decodeAaveLog, type AaveMarketContracts } from "./decode.js";
import { DEFAULT_AAVE_RESERVES, deployAaveMarket, type AaveMarketDeployment } from "./deploy.js";
import {
  accountData,
  aTokenBalanceOf,
  applyAaveChanges,
  createAaveMarketState,
  reserveNormalizedDebt,
  reserveNormalizedIncome,
  scaledBalanceOf,
  variableDebtOf,
  assetPrice,
  isCollateral,
  type AaveMarketState,
} from "./ledger.js";
import { mapAaveEvent, type AaveStateChange } from "./mappers.js";
import { liquidationAmounts, percentMul, rayDiv } from "./math.js";
import { accountDataPair } from "./testing.js";
import { aaveAccountRule } from "../../risk/domains/aaveRule.js";
import { aaveAccountSnapshot } from "../../risk/domains/aaveSnapshot.js";

const USER_GAS = 2_000_000n;

let chain: RunningChain;
let market: AaveMarketDeployment;
let client: PublicClient;
let sender: TxSender<string>;
let deploySeconds = 0;
let names: Record<string, Address> = {};

beforeAll(async () => {
  chain = await startChain({ name: "aave-e2e", chainId: 31337 });
  try {
    client = createPublicClient({ transport: http(chain.rpcUrl, { batch: true }) });
    const t0 = performance.now();
    market = await deployAaveMarket(chain.rpcUrl, {
      reserves: DEFAULT_AAVE_RESERVES.map((r) => (r.symbol === "WETH" ? { ...r, eModeCategoryId: 1 } : r)),
      eModeCategories: [{ id: 1, ltvBps: 9_000, liquidationThresholdBps: 9_300, liquidationBonusBps: 10_200, label: "ETH correlated" }],
    });
    deploySeconds = (performance.now() - t0) / 1000;
    sender = new TxSender<string>(chain.rpcUrl, false);
    const accounts = (await rpc<Address[]>(chain.rpcUrl, "eth_accounts")).map((a) => getAddress(a));
    names = { alice: accounts[1]!, bob: accounts[2]!, carol: accounts[3]!, dave: accounts[4]!, erin: accounts[5]!, liquidator: accounts[6]! };
  } catch (e) {
    await chain.stop();
    throw e;
  }
});

afterAll(async () => {
  await chain?.stop();
});

const R = (symbol: "USDC" | "WETH" | "WBTC") => market.reserves[symbol]!;
const units = (symbol: "USDC" | "WETH" | "WBTC", n: number | string): bigint => {
  const [i, f = ""] = String(n).split(".");
  const d = R(symbol).decimals;
  return BigInt(i! + f.padEnd(d, "0").slice(0, d));
};

async function send(from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[], label: string): Promise<bigint> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const [o] = await sender.submit([{ from, to, data, gas: USER_GAS, meta: label }]);
  if (!o || o.error !== null || o.blockNumber === null) {
    // Replay it as a call for the revert reason (Aave's errors are numeric strings, see Errors.sol).
    const why = await client.call({ account: from, to, data, gas: USER_GAS }).then(
      () => "the call succeeds now",
      (e: Error) => e.message.split("\n").slice(0, 3).join(" "),
    );
    throw new Error(`${label} failed: ${o?.error ?? "no outcome"}: ${why}`);
  }
  return o.blockNumber;
}
const poolAbi = loadAaveArtifact("Pool").abi;
const tokenAbi = testTokenAbi as unknown as Abi;
const pool = (from: Address, fn: string, args: readonly unknown[]) => send(from, market.pool, poolAbi, fn, args, `${fn} by ${from}`);

/** The event-sourced side: logs fetched block range by block range, folded in order. */
class Replay {
  state: AaveMarketState = createAaveMarketState();
  changes: AaveStateChange[] = [];
  private folded = 0n;
  private readonly aTokens = new Set<Address>();
  private readonly debtTokens = new Set<Address>();

  async foldTo(block: bigint): Promise<void> {
    if (block <= this.folded) return;
    const logs = await client.getLogs({ fromBlock: this.folded === 0n ? market.startBlock : this.folded + 1n, toBlock: block });
    this.folded = block;
    const contracts: AaveMarketContracts = {
      pool: market.pool,
      poolConfigurator: market.poolConfigurator,
      oracle: market.oracle,
      aTokens: this.aTokens,
      variableDebtTokens: this.debtTokens,
      priceFeeds: new Set(Object.values(market.reserves).map((r) => r.priceFeed)),
    };
    // Token addresses come from ReserveInitialized, which follows the tokens' own Initialized
    // events in the same transaction: learn them from this range's configurator logs first.
    for (const log of logs) {
      const e = decodeAaveLog(contracts, log, 0n);
      if (e?.contract === "poolConfigurator" && e.eventName === "ReserveInitialized") {
        this.aTokens.add(getAddress(e.args.aToken));
        this.debtTokens.add(getAddress(e.args.variableDebtToken));
      }
    }
    const timestamps = new Map<bigint, bigint>();
    for (const log of logs) {
      if (!timestamps.has(log.blockNumber!)) timestamps.set(log.blockNumber!, (await client.getBlock({ blockNumber: log.blockNumber! })).timestamp);
      const e = decodeAaveLog(contracts, log, timestamps.get(log.blockNumber!)!);
      if (e === null) continue;
      const changes = mapAaveEvent(e);
      this.changes.push(...changes);
      applyAaveChanges(this.state, changes);
    }
  }
}

const replay = new Replay();
let checks = 0;

/** Rebuild up to `block` from logs and compare everything with the contracts' views at `block`. */
async function checkAt(block: bigint, step: string): Promise<void> {
  await replay.foldTo(block);
  const { timestamp } = await client.getBlock({ blockNumber: block });
  const s = replay.state;
  const users = [...Object.values(names), market.treasury];
  const at = { blockNumber: block } as const;
  for (const r of Object.values(market.reserves)) {
    const [data, income, debt] = await Promise.all([
      client.readContract({ ...at, address: market.pool, abi: aavePoolAbi, functionName: "getReserveData", args: [r.asset] }),
      client.readContract({ ...at, address: market.pool, abi: aavePoolAbi, functionName: "getReserveNormalizedIncome", args: [r.asset] }),
      client.readContract({ ...at, address: market.pool, abi: aavePoolAbi, functionName: "getReserveNormalizedVariableDebt", args: [r.asset] }),
    ]);
    const mine = s.reserves.get(r.asset)!;
    const idx = mine.indexes;
    expect({ step, reserve: r.symbol, stored: idx && [idx.liquidityIndexRay, idx.variableBorrowIndexRay, idx.liquidityRateRay, idx.variableBorrowRateRay, idx.lastUpdateTimestamp] }).toEqual({
      step,
      reserve: r.symbol,
      stored: data.lastUpdateTimestamp === 0 ? null : [data.liquidityIndex, data.variableBorrowIndex, data.currentLiquidityRate, data.currentVariableBorrowRate, BigInt(data.lastUpdateTimestamp)],
    });
    expect({ step, reserve: r.symbol, income: reserveNormalizedIncome(s, r.asset, timestamp), debt: reserveNormalizedDebt(s, r.asset, timestamp) }).toEqual({
      step,
      reserve: r.symbol,
      income,
      debt,
    });
    const scaled = await Promise.all(
      users.flatMap((u) => [
        client.readContract({ ...at, address: r.aToken, abi: aaveATokenAbi, functionName: "scaledBalanceOf", args: [u] }),
        client.readContract({ ...at, address: r.variableDebtToken, abi: aaveVariableDebtTokenAbi, functionName: "scaledBalanceOf", args: [u] }),
      ]),
    );
    users.forEach((u, i) => {
      expect({ step, reserve: r.symbol, user: u, a: scaledBalanceOf(s, r.aToken, u), d: scaledBalanceOf(s, r.variableDebtToken, u) }).toEqual({
        step,
        reserve: r.symbol,
        user: u,
        a: scaled[2 * i],
        d: scaled[2 * i + 1],
      });
    });
  }
  const onChain = await Promise.all(users.map((u) => client.readContract({ ...at, address: market.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [u] })));
  users.forEach((u, i) => {
    const { mine, theirs } = accountDataPair({ step, user: u }, accountData(s, u, timestamp), onChain[i]!);
    expect(mine).toEqual(theirs);
  });
  checks++;
}

async function travel(seconds: number): Promise<bigint> {
  await rpc(chain.rpcUrl, "evm_increaseTime", [seconds]);
  await rpc(chain.rpcUrl, "evm_mine");
  return client.getBlockNumber({ cacheTime: 0 });
}

describe("Aave v3.0 on anvil, rebuilt from events alone", () => {
  test("every account, reserve and scaled balance equals the contracts' own views after every step", async () => {
    const t0 = performance.now();
    const { alice, bob, carol, dave, erin, liquidator } = names as Record<string, Address>;
    expect(market.transactions).toBeGreaterThan(40);
    await checkAt(market.endBlock, "deployed");

    // Wallets: mint and approve the pool.
    for (const [user, symbol, amount] of [
      [alice, "USDC", 20_000],
      [bob, "WETH", 10],
      [carol, "WBTC", 1],
      [dave, "USDC", 5_000],
      [dave, "WETH", 2],
      [liquidator, "USDC", 50_000],
      [bob, "USDC", 1_000],
      [alice, "WETH", 1], // interest on her WETH debt
    ] as const) {
      await send(user, R(symbol).asset, tokenAbi, "mint", [user, units(symbol, amount)], `mint ${symbol}`);
      await send(user, R(symbol).asset, tokenAbi, "approve", [market.pool, maxUint256], `approve ${symbol}`);
    }

    // Supplies (the first supply of an LTV>0 reserve switches collateral on).
    await checkAt(await pool(alice, "supply", [R("USDC").asset, units("USDC", 10_000), alice, 0]), "alice supplies USDC");
    await checkAt(await pool(bob, "supply", [R("WETH").asset, units("WETH", 10), bob, 0]), "bob supplies WETH");
    await checkAt(await pool(carol, "supply", [R("WBTC").asset, units("WBTC", 1), carol, 0]), "carol supplies WBTC");
    await checkAt(await pool(dave, "supply", [R("USDC").asset, units("USDC", 5_000), dave, 0]), "dave supplies USDC");
    await checkAt(await pool(dave, "supply", [R("WETH").asset, units("WETH", 2), dave, 0]), "dave supplies WETH");

    // Borrows (variable rate = 2).
    await checkAt(await pool(bob, "borrow", [R("USDC").asset, units("USDC", 12_000), 2, 0, bob]), "bob borrows USDC");
    await checkAt(await pool(carol, "borrow", [R("WETH").asset, units("WETH", 3), 2, 0, carol]), "carol borrows WETH");
    await checkAt(await pool(alice, "borrow", [R("WETH").asset, units("WETH", 1), 2, 0, alice]), "alice borrows WETH");
    // dave enters the ETH eMode category and borrows WETH against WETH at its 90% LTV.
    await checkAt(await pool(dave, "setUserEMode", [1]), "dave enters eMode 1");
    await checkAt(await pool(dave, "borrow", [R("WETH").asset, units("WETH", "0.5"), 2, 0, dave]), "dave borrows WETH in eMode");

    await checkAt(await travel(60 * 86_400), "60 days of interest");

    // A repay and a withdraw smaller than the interest accrued: the tokens emit Mint, not Burn.
    const bobDebt = variableDebtOf(replay.state, R("USDC").asset, bob, (await client.getBlock()).timestamp);
    expect(bobDebt - units("USDC", 12_000)).toBeGreaterThan(units("USDC", 1));
    await checkAt(await pool(bob, "repay", [R("USDC").asset, units("USDC", 1), 2, bob]), "bob repays 1 USDC (< interest)");
    const mintsOnDebt = replay.changes.filter((c) => c.kind === "scaledBalance" && c.token === R("USDC").variableDebtToken && c.account === bob && c.deltaScaled < 0n);
    expect(mintsOnDebt.length).toBe(1);
    await checkAt(await pool(alice, "withdraw", [R("USDC").asset, units("USDC", 1), alice]), "alice withdraws 1 USDC (< interest)");
    await checkAt(await pool(alice, "repay", [R("WETH").asset, maxUint256, 2, alice]), "alice repays all her WETH debt");
    expect(scaledBalanceOf(replay.state, R("WETH").variableDebtToken, alice)).toBe(0n);

    // aToken transfer: collateral moves to erin, whose first balance switches collateral on.
    await checkAt(await send(alice, R("USDC").aToken, loadAaveArtifact("AToken").abi, "transfer", [erin, units("USDC", 2_500)], "aUSDC transfer"), "alice sends 2500 aUSDC to erin");
    expect(isCollateral(replay.state, R("USDC").asset, erin)).toBe(true);

    // Collateral off and on.
    await checkAt(await pool(dave, "setUserUseReserveAsCollateral", [R("USDC").asset, false]), "dave switches USDC collateral off");
    expect(accountData(replay.state, dave, (await client.getBlock()).timestamp).totalCollateralBase).toBeGreaterThan(0n);
    await checkAt(await pool(dave, "setUserUseReserveAsCollateral", [R("USDC").asset, true]), "dave switches USDC collateral on");
    await checkAt(await pool(erin, "withdraw", [R("USDC").asset, maxUint256, erin]), "erin withdraws everything");
    expect(isCollateral(replay.state, R("USDC").asset, erin)).toBe(false);

    await checkAt(await travel(30 * 86_400), "30 more days");

    // Price drop: bob's collateral is WETH only and his debt USDC, so his health factor scales
    // with the WETH price; aim it at 0.97 (between 0.95 and 1: liquidatable, close factor 50%).
    const hfBefore = accountData(replay.state, bob, (await client.getBlock()).timestamp).healthFactorWad!;
    const dropped = (2_000_0000_0000n * 97n * 10n ** 16n) / hfBefore;
    expect(dropped).toBeLessThan(2_000_0000_0000n);
    await checkAt(await send(market.deployer, R("WETH").priceFeed, priceFeedAbi as unknown as Abi, "updateAnswer", [dropped], "WETH price drop"), "WETH price drop");
    const ts0 = (await client.getBlock()).timestamp;
    const hf0 = accountData(replay.state, bob, ts0).healthFactorWad!;
    expect(hf0 < 10n ** 18n && hf0 > 95n * 10n ** 16n).toBe(true); // 0.95 < HF < 1: close factor 50%

    // Two liquidations: predicted exactly by math.ts at the block's timestamp (fixed in advance).
    for (const [i, receiveAToken, debtToCover] of [
      [1, false, units("USDC", 500)],
      [2, true, maxUint256],
    ] as const) {
      const ts = (await client.getBlock()).timestamp + 13n;
      await rpc(chain.rpcUrl, "evm_setNextBlockTimestamp", [Number(ts)]);
      const s = replay.state;
      const weth = s.reserves.get(R("WETH").asset)!;
      const debtBefore = variableDebtOf(s, R("USDC").asset, bob, ts);
      const predicted = liquidationAmounts({
        debtToCoverRaw: debtToCover,
        userTotalDebtRaw: debtBefore,
        healthFactorWad: accountData(s, bob, ts).healthFactorWad!,
        userCollateralBalanceRaw: aTokenBalanceOf(s, R("WETH").asset, bob, ts),
        collateralPriceBase: assetPrice(s, R("WETH").asset),
        debtPriceBase: assetPrice(s, R("USDC").asset),
        collateralDecimals: weth.decimals,
        debtDecimals: s.reserves.get(R("USDC").asset)!.decimals,
        liquidationBonusBps: weth.liquidationBonusBps,
        liquidationProtocolFeeBps: weth.liquidationProtocolFeeBps,
      });
      // The domain layer's liquidator view (risk/domains/aaveRule.ts) for the same pair, covering the most it may.
      const snapshot = aaveAccountSnapshot(s, bob, ts);
      const rule = aaveAccountRule(snapshot);
      expect(rule.bestLiquidation).toMatchObject({ collateralAsset: R("WETH").asset, debtAsset: R("USDC").asset, debtRepaidRaw: percentMul(debtBefore, 5_000n) });
      const treasuryBefore = scaledBalanceOf(s, R("WETH").aToken, market.treasury);
      const liquidatorABefore = scaledBalanceOf(s, R("WETH").aToken, liquidator);
      const block = await pool(liquidator, "liquidationCall", [R("WETH").asset, R("USDC").asset, bob, debtToCover, receiveAToken]);
      expect((await client.getBlock({ blockNumber: block })).timestamp).toBe(ts);
      await checkAt(block, `liquidation ${i} (receiveAToken=${receiveAToken})`);
      const event = replay.changes.filter((c) => c.kind === "activity" && c.action === "liquidation").at(-1);
      expect(event).toMatchObject({ debtRepaidRaw: predicted.debtRepaidRaw, collateralToLiquidatorRaw: predicted.collateralToLiquidatorRaw, receiveAToken });
      // at maxUint256 the call is exactly the plan the rule gave beforehand
      const planned = i === 2 ? rule.bestLiquidation! : predicted;
      expect(event).toMatchObject({ debtRepaidRaw: planned.debtRepaidRaw, collateralToLiquidatorRaw: planned.collateralToLiquidatorRaw });
      if (i === 1) expect(predicted.debtRepaidRaw).toBe(units("USDC", 500));
      else expect(predicted.debtRepaidRaw).toBe(percentMul(debtBefore, 5_000n)); // capped by the 50% close factor
      expect(predicted.protocolFeeRaw).toBeGreaterThan(0n);
      // The fee reached the treasury as aTokens, scaled at the collateral's income index then.
      const income = reserveNormalizedIncome(replay.state, R("WETH").asset, ts);
      expect(scaledBalanceOf(replay.state, R("WETH").aToken, market.treasury) - treasuryBefore).toBe(rayDiv(predicted.protocolFeeRaw, income));
      if (receiveAToken) {
        expect(scaledBalanceOf(replay.state, R("WETH").aToken, liquidator) - liquidatorABefore).toBe(rayDiv(predicted.collateralToLiquidatorRaw, income));
        expect(isCollateral(replay.state, R("WETH").asset, liquidator)).toBe(true);
      }
    }
    const treasuryOnChain = await client.readContract({ address: R("WETH").aToken, abi: aaveATokenAbi, functionName: "balanceOf", args: [market.treasury] });
    expect(treasuryOnChain).toBe(aTokenBalanceOf(replay.state, R("WETH").asset, market.treasury, (await client.getBlock()).timestamp));
    expect(treasuryOnChain).toBeGreaterThan(0n);

    await checkAt(await travel(7 * 86_400), "a week after the liquidations");
    console.log(
      `aave e2e: deploy ${deploySeconds.toFixed(2)} s (${market.transactions} txs, ${market.gasUsed} gas); scenario ${((performance.now() - t0) / 1000).toFixed(1)} s, ${checks} exact checkpoints, ${replay.changes.length} state changes`,
    );
  });
});
