/**
 * Deploys a full Aave v3.0 market from the compiled artifacts of `@aave/core-v3` (Aave's own
 * bytecode) on an anvil chain, in the order the contracts require (see README.md): logic
 * libraries, PoolAddressesProvider, ACLManager, Pool, PoolConfigurator, price feeds and
 * AaveOracle, token implementations, one rate strategy per reserve, initReserves, risk parameters
 * and the liquidation protocol fee through the configurator.
 *
 * Every transaction carries an explicit gas limit: `eth_estimateGas` on Aave calls fails at random
 * on anvil (it runs at the pending block's timestamp; when the mined block is a second later the
 * index-update path runs and an inner call runs out of gas under the 63/64 rule).
 */
import {
  createPublicClient,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  getContractAddress,
  http,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { priceFeedAbi, testTokenAbi } from "../../abis/index.js";
import { priceFeedBytecode, testTokenBytecode } from "../../abis/bytecode.js";
import { redactUrl } from "../../config/redactUrl.js";
import { ANVIL_ACCOUNTS } from "../../devnet/defaults.js";
import { rpc, rpcBatchStrict } from "../../devnet/rpc.js";
import { TxSender, type QueuedTx, type TxOutcome } from "../../devnet/txSender.js";
import { aavePoolAbi } from "./abis.js";
import { linkBytecode, loadAaveArtifact, type AaveArtifactName } from "./artifacts.js";
import { AaveDeployError } from "./errors.js";
import { RAY } from "./math.js";

/** DefaultReserveInterestRateStrategy's variable-rate curve (ray = 1e27 = 100% a year). */
export interface AaveRateStrategySpec {
  optimalUsageRatioRay: bigint;
  baseVariableBorrowRateRay: bigint;
  variableRateSlope1Ray: bigint;
  variableRateSlope2Ray: bigint;
}

export interface AaveRiskSpec {
  ltvBps: number;
  liquidationThresholdBps: number;
  /** 10000 + bonus (10500 = 5% bonus to liquidators). */
  liquidationBonusBps: number;
  reserveFactorBps: number;
  /** Share of the liquidation bonus that goes to the treasury (basis points). */
  liquidationProtocolFeeBps: number;
  borrowingEnabled: boolean;
}

export interface AaveReserveSpec {
  symbol: string;
  decimals: number;
  /** An existing ERC-20 (the devnet's TestToken); a TestToken is deployed when omitted. */
  token?: Address;
  /** An existing source answering latestAnswer() in base units; a PriceFeed is deployed when omitted. */
  priceFeed?: Address;
  /** Initial answer (USD × 1e8) of a deployed feed; required when priceFeed is omitted. */
  priceUsd8?: bigint;
  risk: AaveRiskSpec;
  rates: AaveRateStrategySpec;
  /** eMode category the asset belongs to (0 or omitted = none). */
  eModeCategoryId?: number;
}

export interface AaveEModeCategorySpec {
  id: number;
  ltvBps: number;
  liquidationThresholdBps: number;
  liquidationBonusBps: number;
  /** Asset whose oracle price every member uses; omitted = each member's own price. */
  priceSource?: Address;
  label: string;
}

export interface AaveMarketOptions {
  reserves: readonly AaveReserveSpec[];
  eModeCategories?: readonly AaveEModeCategorySpec[];
  /** Unlocked account that deploys and administers the market (default anvil account 0). */
  deployer?: Address;
  /** Receives aTokens from reserve factor and liquidation protocol fees (default TREASURY). */
  treasury?: Address;
  marketId?: string;
  timeoutMs?: number;
}

export interface AaveReserveDeployment {
  symbol: string;
  decimals: number;
  asset: Address;
  aToken: Address;
  stableDebtToken: Address;
  variableDebtToken: Address;
  interestRateStrategy: Address;
  priceFeed: Address;
}

export interface AaveMarketDeployment {
  chainId: number;
  /** Block of the first deployment transaction: index the market from here. */
  startBlock: bigint;
  /** Block of the last deployment transaction. */
  endBlock: bigint;
  deployer: Address;
  treasury: Address;
  addressesProvider: Address;
  aclManager: Address;
  pool: Address;
  poolImplementation: Address;
  poolConfigurator: Address;
  oracle: Address;
  dataProvider: Address;
  libraries: Record<string, Address>;
  /** Keyed by symbol, in the order given. */
  reserves: Record<string, AaveReserveDeployment>;
  transactions: number;
  gasUsed: bigint;
}

/** Default treasury: an address nobody holds a key for; it only accumulates aTokens. */
export const AAVE_DEVNET_TREASURY: Address = "0x000000000000000000000000000000000000a7e5";

const pct = (n: number): bigint => (BigInt(Math.round(n * 10_000)) * RAY) / 10_000n;

/** USDC (6), WETH (18), WBTC (8) with parameters close to Aave's Ethereum market of 2023. */
export const DEFAULT_AAVE_RESERVES: readonly AaveReserveSpec[] = [
  {
    symbol: "USDC",
    decimals: 6,
    priceUsd8: 1_0000_0000n,
    risk: { ltvBps: 8_000, liquidationThresholdBps: 8_500, liquidationBonusBps: 10_500, reserveFactorBps: 1_000, liquidationProtocolFeeBps: 1_000, borrowingEnabled: true },
    rates: { optimalUsageRatioRay: pct(0.9), baseVariableBorrowRateRay: 0n, variableRateSlope1Ray: pct(0.04), variableRateSlope2Ray: pct(0.6) },
  },
  {
    symbol: "WETH",
    decimals: 18,
    priceUsd8: 2_000_0000_0000n,
    risk: { ltvBps: 8_000, liquidationThresholdBps: 8_250, liquidationBonusBps: 10_500, reserveFactorBps: 1_500, liquidationProtocolFeeBps: 1_000, borrowingEnabled: true },
    rates: { optimalUsageRatioRay: pct(0.8), baseVariableBorrowRateRay: 0n, variableRateSlope1Ray: pct(0.038), variableRateSlope2Ray: pct(0.8) },
  },
  {
    symbol: "WBTC",
    decimals: 8,
    priceUsd8: 30_000_0000_0000n,
    risk: { ltvBps: 7_000, liquidationThresholdBps: 7_500, liquidationBonusBps: 10_650, reserveFactorBps: 2_000, liquidationProtocolFeeBps: 1_000, borrowingEnabled: true },
    rates: { optimalUsageRatioRay: pct(0.45), baseVariableBorrowRateRay: 0n, variableRateSlope1Ray: pct(0.07), variableRateSlope2Ray: pct(3) },
  },
];

/** Gas limits (explicit, see the module comment), with headroom over what anvil measured. */
const GAS = {
  library: 6_000_000n,
  bigContract: 9_000_000n,
  contract: 4_000_000n,
  call: 600_000n,
  proxyInit: 3_000_000n,
  initReservesBase: 1_000_000n,
  initReservesPerReserve: 3_000_000n,
} as const;

const LIBRARIES = ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "ConfiguratorLogic", "PoolLogic"] as const;

interface Tx {
  to?: Address;
  data: Hex;
  gas: bigint;
  label: string;
}

function create(name: AaveArtifactName, args: readonly unknown[], gas: bigint, libraries: Record<string, Address> = {}): Tx {
  const a = loadAaveArtifact(name);
  const bytecode = linkBytecode(a, libraries);
  return { data: encodeDeployData({ abi: a.abi, bytecode, args } as never), gas, label: `deploy ${name}` };
}

function call(name: AaveArtifactName, to: Address, functionName: string, args: readonly unknown[], gas: bigint = GAS.call): Tx {
  const abi: Abi = loadAaveArtifact(name).abi;
  return { to, data: encodeFunctionData({ abi, functionName, args } as never), gas, label: `${name}.${functionName}` };
}

/** Consecutive runs of `txs` whose gas limits sum to at most `blockGasLimit` (a bigger one alone). */
export function chunksByGas<T extends { gas: bigint }>(txs: readonly T[], blockGasLimit: bigint): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let sum = 0n;
  for (const t of txs) {
    if (current.length > 0 && sum + t.gas > blockGasLimit) {
      chunks.push(current);
      current = [];
      sum = 0n;
    }
    current.push(t);
    sum += t.gas;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function validate(opts: AaveMarketOptions): void {
  const problems: string[] = [];
  if (opts.reserves.length === 0) problems.push("reserves is empty; list at least one reserve");
  const seen = new Set<string>();
  for (const r of opts.reserves) {
    if (seen.has(r.symbol)) problems.push(`reserve symbol '${r.symbol}' appears twice; symbols key the result`);
    seen.add(r.symbol);
    if (!Number.isInteger(r.decimals) || r.decimals < 0 || r.decimals > 36) problems.push(`${r.symbol}.decimals is ${r.decimals}; expected an integer 0–36`);
    if (r.priceFeed === undefined && (r.priceUsd8 === undefined || r.priceUsd8 <= 0n)) {
      problems.push(`${r.symbol} has no priceFeed and no positive priceUsd8; give one of them`);
    }
    const { ltvBps, liquidationThresholdBps: lt, liquidationBonusBps: bonus } = r.risk;
    if (ltvBps > lt) problems.push(`${r.symbol}: ltvBps ${ltvBps} is above liquidationThresholdBps ${lt}; the configurator reverts`);
    if (lt !== 0 && (bonus <= 10_000 || lt * bonus > 10_000 * 10_000)) {
      problems.push(`${r.symbol}: liquidationBonusBps ${bonus} must be above 10000 and liquidationThreshold × bonus at most 100%`);
    }
  }
  if (problems.length > 0) throw new AaveDeployError(`invalid Aave market options:\n- ${problems.join("\n- ")}`, { problems });
}

/**
 * Deploy a complete Aave v3.0 market on the (automining) chain at `rpcUrl` from an unlocked
 * account, in three phases (~50 transactions, ~61M gas). Returns every address an indexer needs
 * and the first block to index from. Throws AaveDeployError naming the step that was refused or
 * reverted, or listing every invalid option before anything is sent.
 * @example const market = await deployAaveMarket(chain.rpcUrl, { reserves: DEFAULT_AAVE_RESERVES })
 */
export async function deployAaveMarket(rpcUrl: string, opts: AaveMarketOptions): Promise<AaveMarketDeployment> {
  validate(opts);
  const deployer = getAddress(opts.deployer ?? ANVIL_ACCOUNTS.deployer.address);
  const treasury = getAddress(opts.treasury ?? AAVE_DEVNET_TREASURY);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const client = createPublicClient({ transport: http(rpcUrl) });
  const chainId = await client.getChainId();
  const sender = new TxSender<string>(rpcUrl, false);
  // Each batch sent at once has gas limits that sum to at most one block's gas limit. A larger
  // burst does not fit one block, and anvil then left transactions pending until something else
  // was sent, or dropped them from its pool (measured: 4 of 20 deployments hung that way).
  const { gasLimit: blockGasLimit } = await client.getBlock();
  let nonce = BigInt(await rpc<Hex>(rpcUrl, "eth_getTransactionCount", [deployer, "pending"]));
  const hashes: Hex[] = [];
  let startBlock: bigint | undefined;
  let endBlock = 0n;

  /** Send one phase (consecutive nonces, one batch) and check every receipt and predicted address. */
  const phase = async (txs: Tx[], predicted: (Address | undefined)[] = []): Promise<void> => {
    const outcomes: TxOutcome<string>[] = [];
    for (const chunk of chunksByGas(txs, blockGasLimit)) {
      const queued: QueuedTx<string>[] = chunk.map((t) => ({ from: deployer, to: t.to, data: t.data, gas: t.gas, meta: t.label }));
      outcomes.push(...(await sender.submit(queued, timeoutMs)));
      if (outcomes.some((o) => o.error !== null)) break;
    }
    outcomes.forEach((o, i) => {
      if (o.error !== null || o.blockNumber === null) {
        throw new AaveDeployError(`Aave market deployment: '${o.meta}' ${o.hash === null ? "was refused" : "reverted"} on ${redactUrl(rpcUrl)}: ${o.error ?? "not mined"}`, {
          label: o.meta,
          txHash: o.hash,
        });
      }
      hashes.push(o.hash!);
      startBlock ??= o.blockNumber;
      if (o.blockNumber > endBlock) endBlock = o.blockNumber;
      const want = predicted[i];
      if (want !== undefined && (o.contractAddress ? getAddress(o.contractAddress) : undefined) !== want) {
        throw new AaveDeployError(
          `'${o.meta}' created ${o.contractAddress ?? "nothing"}, expected ${want}: did ${deployer} send other transactions during the deployment?`,
          { label: o.meta },
        );
      }
    });
    nonce += BigInt(txs.length);
  };
  const next = (k: number): Address => getContractAddress({ from: deployer, nonce: nonce + BigInt(k) });

  // Phase 1: tokens and feeds that were not given, the logic libraries, provider, ACL, implementations.
  const txs: Tx[] = [];
  const predicted: (Address | undefined)[] = [];
  const creating = (t: Tx): Address => {
    const at = next(txs.length);
    txs.push(t);
    predicted.push(at);
    return at;
  };
  const calling = (t: Tx): void => {
    txs.push(t);
    predicted.push(undefined);
  };
  const assets: Address[] = [];
  const feeds: Address[] = [];
  for (const r of opts.reserves) {
    assets.push(
      r.token !== undefined
        ? getAddress(r.token)
        : creating({
            data: encodeDeployData({ abi: testTokenAbi, bytecode: testTokenBytecode, args: [`Aave devnet ${r.symbol}`, r.symbol, r.decimals] }),
            gas: GAS.contract,
            label: `deploy token ${r.symbol}`,
          }),
    );
    feeds.push(
      r.priceFeed !== undefined
        ? getAddress(r.priceFeed)
        : creating({
            data: encodeDeployData({ abi: priceFeedAbi, bytecode: priceFeedBytecode, args: [8, `${r.symbol} / USD`, r.priceUsd8!] }),
            gas: GAS.contract,
            label: `deploy feed ${r.symbol} / USD`,
          }),
    );
  }
  const libraries: Record<string, Address> = {};
  for (const lib of LIBRARIES) libraries[lib] = creating(create(lib, [], GAS.library));
  libraries.FlashLoanLogic = creating(create("FlashLoanLogic", [], GAS.library, libraries));
  const addressesProvider = creating(create("PoolAddressesProvider", [opts.marketId ?? "xmargin devnet market", deployer], GAS.contract));
  // The ACL admin must be set before ACLManager is constructed (its constructor reads it).
  calling(call("PoolAddressesProvider", addressesProvider, "setACLAdmin", [deployer]));
  const aclManager = creating(create("ACLManager", [addressesProvider], GAS.contract));
  calling(call("PoolAddressesProvider", addressesProvider, "setACLManager", [aclManager]));
  calling(call("ACLManager", aclManager, "addPoolAdmin", [deployer]));
  calling(call("ACLManager", aclManager, "addEmergencyAdmin", [deployer]));
  const poolImplementation = creating(create("Pool", [addressesProvider], GAS.bigContract, libraries));
  calling(call("Pool", poolImplementation, "initialize", [addressesProvider], GAS.call));
  calling(call("PoolAddressesProvider", addressesProvider, "setPoolImpl", [poolImplementation], GAS.proxyInit));
  // After the pool proxy exists: the configurator's initialize caches getPool().
  const configuratorImplementation = creating(create("PoolConfigurator", [], GAS.bigContract, { ConfiguratorLogic: libraries.ConfiguratorLogic! }));
  calling(call("PoolConfigurator", configuratorImplementation, "initialize", [addressesProvider], GAS.call));
  calling(call("PoolAddressesProvider", addressesProvider, "setPoolConfiguratorImpl", [configuratorImplementation], GAS.proxyInit));
  // USD with 8 decimals as the base currency (base currency 0x0, unit 1e8), no fallback oracle.
  const zero = "0x0000000000000000000000000000000000000000";
  const oracle = creating(create("AaveOracle", [addressesProvider, assets, feeds, zero, zero, 100_000_000n], GAS.contract));
  calling(call("PoolAddressesProvider", addressesProvider, "setPriceOracle", [oracle]));
  const dataProvider = creating(create("AaveProtocolDataProvider", [addressesProvider], GAS.contract));
  calling(call("PoolAddressesProvider", addressesProvider, "setPoolDataProvider", [dataProvider]));
  await phase(txs, predicted);

  const providerAbi = loadAaveArtifact("PoolAddressesProvider").abi;
  const read = (functionName: string) => client.readContract({ address: addressesProvider, abi: providerAbi, functionName }) as Promise<Address>;
  const [pool, poolConfigurator] = (await Promise.all([read("getPool"), read("getPoolConfigurator")])).map((a) => getAddress(a));
  if (pool === zero || poolConfigurator === zero) {
    throw new AaveDeployError(`PoolAddressesProvider ${addressesProvider} has no pool or configurator proxy after setPoolImpl/setPoolConfiguratorImpl`, {});
  }

  // Phase 2: token implementations (bound to the pool proxy), one rate strategy per reserve.
  const txs2: Tx[] = [];
  const at2 = (t: Tx): Address => {
    const a = next(txs2.length);
    txs2.push(t);
    return a;
  };
  const aTokenImpl = at2(create("AToken", [pool], GAS.contract));
  const stableImpl = at2(create("StableDebtToken", [pool], GAS.contract));
  const variableImpl = at2(create("VariableDebtToken", [pool], GAS.contract));
  const strategies = opts.reserves.map((r) =>
    at2(
      create(
        "DefaultReserveInterestRateStrategy",
        [
          addressesProvider,
          r.rates.optimalUsageRatioRay,
          r.rates.baseVariableBorrowRateRay,
          r.rates.variableRateSlope1Ray,
          r.rates.variableRateSlope2Ray,
          // Stable borrowing stays disabled; its curve parameters are Aave's usual ones.
          pct(0.005),
          pct(0.6),
          pct(0.02),
          pct(0.05),
          pct(0.2),
        ],
        GAS.contract,
      ),
    ),
  );
  await phase(txs2, txs2.map((_, i) => getContractAddress({ from: deployer, nonce: nonce + BigInt(i) })));

  // Phase 3: list the reserves (three token proxies each), then risk parameters and fees. LTV is
  // set before anyone supplies: a first supply into an LTV-0 reserve does not enable it as collateral.
  const txs3: Tx[] = [];
  txs3.push(
    call(
      "PoolConfigurator",
      poolConfigurator,
      "initReserves",
      [
        opts.reserves.map((r, i) => ({
          aTokenImpl,
          stableDebtTokenImpl: stableImpl,
          variableDebtTokenImpl: variableImpl,
          underlyingAssetDecimals: r.decimals,
          interestRateStrategyAddress: strategies[i]!,
          underlyingAsset: assets[i]!,
          treasury,
          incentivesController: zero,
          aTokenName: `Aave devnet ${r.symbol}`,
          aTokenSymbol: `a${r.symbol}`,
          variableDebtTokenName: `Aave devnet variable debt ${r.symbol}`,
          variableDebtTokenSymbol: `variableDebt${r.symbol}`,
          stableDebtTokenName: `Aave devnet stable debt ${r.symbol}`,
          stableDebtTokenSymbol: `stableDebt${r.symbol}`,
          params: "0x10",
        })),
      ],
      GAS.initReservesBase + GAS.initReservesPerReserve * BigInt(opts.reserves.length),
    ),
  );
  for (const c of opts.eModeCategories ?? []) {
    txs3.push(
      call("PoolConfigurator", poolConfigurator, "setEModeCategory", [c.id, c.ltvBps, c.liquidationThresholdBps, c.liquidationBonusBps, c.priceSource ?? zero, c.label]),
    );
  }
  opts.reserves.forEach((r, i) => {
    const asset = assets[i]!;
    txs3.push(call("PoolConfigurator", poolConfigurator, "configureReserveAsCollateral", [asset, BigInt(r.risk.ltvBps), BigInt(r.risk.liquidationThresholdBps), BigInt(r.risk.liquidationBonusBps)]));
    if (r.risk.borrowingEnabled) txs3.push(call("PoolConfigurator", poolConfigurator, "setReserveBorrowing", [asset, true]));
    txs3.push(call("PoolConfigurator", poolConfigurator, "setReserveFactor", [asset, BigInt(r.risk.reserveFactorBps)]));
    txs3.push(call("PoolConfigurator", poolConfigurator, "setLiquidationProtocolFee", [asset, BigInt(r.risk.liquidationProtocolFeeBps)]));
    if (r.eModeCategoryId) txs3.push(call("PoolConfigurator", poolConfigurator, "setAssetEModeCategory", [asset, r.eModeCategoryId]));
  });
  await phase(txs3);

  const reserves: Record<string, AaveReserveDeployment> = {};
  const datas = await Promise.all(assets.map((asset) => client.readContract({ address: pool, abi: aavePoolAbi, functionName: "getReserveData", args: [asset] })));
  opts.reserves.forEach((r, i) => {
    const d = datas[i]!;
    reserves[r.symbol] = {
      symbol: r.symbol,
      decimals: r.decimals,
      asset: assets[i]!,
      aToken: getAddress(d.aTokenAddress),
      stableDebtToken: getAddress(d.stableDebtTokenAddress),
      variableDebtToken: getAddress(d.variableDebtTokenAddress),
      interestRateStrategy: getAddress(d.interestRateStrategyAddress),
      priceFeed: feeds[i]!,
    };
  });
  const receipts = await rpcBatchStrict<{ gasUsed: Hex }>(rpcUrl, hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })));
  return {
    chainId,
    startBlock: startBlock!,
    endBlock,
    deployer,
    treasury,
    addressesProvider,
    aclManager,
    pool,
    poolImplementation,
    poolConfigurator,
    oracle,
    dataProvider,
    libraries,
    reserves,
    transactions: hashes.length,
    gasUsed: receipts.reduce((s, r) => s + BigInt(r.gasUsed), 0n),
  };
}

