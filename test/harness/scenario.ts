/**
 * The default workload of the ingest suites: the simulator's traders, plus the system events the
 * simulator does not produce on its own, scripted on every chain so each of the vault's event
 * types appears: a price crash, position liquidations, collateral seizures, a third-party repay,
 * insurance payouts and funding, market mode and max-leverage changes, liquidator changes.
 */
import { encodeFunctionData, maxUint256, type Address, type Hex } from "viem";
import { marginVaultAbi, testTokenAbi } from "../../abis/index.js";
import { sendAndConfirm, type ChainDeployment } from "../../devnet/deploy.js";
import { createSimulator, type Simulator } from "../../devnet/simulator.js";
import type { DevnetFixture } from "./devnet.js";
import { groundTruth } from "./groundTruth.js";

export interface ScenarioOptions {
  accounts?: number;
  /** Simulator steps before the scripted events, and again after them. */
  stepsBefore?: number;
  stepsAfter?: number;
  seed?: number;
  /** Run the workload with this simulator (its accounts and seed) instead of a new one. */
  simulator?: Simulator;
}

const vault = (fn: string, args: unknown[]): Hex => encodeFunctionData({ abi: marginVaultAbi, functionName: fn as never, args: args as never });
const token = (fn: string, args: unknown[]): Hex => encodeFunctionData({ abi: testTokenAbi, functionName: fn as never, args: args as never });

/** Run the default workload on `devnet`; returns the simulator (for more steps). */
export async function runScenario(devnet: DevnetFixture, options: ScenarioOptions = {}): Promise<Simulator> {
  const sim = options.simulator ?? createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: options.accounts ?? 200, seed: options.seed ?? 7 });
  await sim.run({ steps: options.stepsBefore ?? 60 });
  await sim.crash({ pct: 0.25 });
  await scriptSystemEvents(devnet);
  await sim.run({ steps: options.stepsAfter ?? 20 });
  // Put market 3 back to normal, so later steps of any caller can trade it again.
  await Promise.all(
    devnet.deployment.chains.map((c) => sendAndConfirm(c.rpcUrl, c.deployer, [{ to: c.vault, data: vault("setMarketMode", [3, 0]), label: "market 3 normal" }])),
  );
  return sim;
}

/** Liquidations, repayFor, insurance, mode/leverage/liquidator changes on every chain. */
export async function scriptSystemEvents(devnet: DevnetFixture): Promise<void> {
  const truth = await groundTruth(devnet.truthChains);
  await Promise.all(devnet.deployment.chains.map((chain) => scriptChain(chain, truth.tables)));
}

async function scriptChain(chain: ChainDeployment, tables: Awaited<ReturnType<typeof groundTruth>>["tables"]): Promise<void> {
  const id = String(chain.chainId);
  const positions = tables.position.rows.filter((r) => r.chainId === id && BigInt(r.sizeRaw!) !== 0n).slice(0, 4);
  const collateral = tables.collateral.rows.filter((r) => r.chainId === id && BigInt(r.amountRaw!) > 1n).slice(0, 4);
  const debts = tables.debt.rows.filter((r) => r.chainId === id && BigInt(r.amountRaw!) > 1n).slice(0, 2);
  const liq = chain.liquidator;
  const owner = chain.deployer;

  // Each batch is estimated against the state before it, so approvals go one batch ahead.
  const prep = debts.flatMap((d) => {
    const amount = BigInt(d.amountRaw!) / 2n;
    return [
      { to: d.token as Address, data: token("mint", [liq, amount]), label: "mint for repayFor" },
      // approve overwrites: max, so two repayFor of one token don't share one allowance
      { to: d.token as Address, data: token("approve", [chain.vault, maxUint256]), label: "approve for repayFor" },
    ];
  });
  const fund = 1_000n * 10n ** 6n;
  await sendAndConfirm(chain.rpcUrl, liq, prep);
  await sendAndConfirm(chain.rpcUrl, owner, [
    { to: chain.quoteToken, data: token("mint", [owner, fund]), label: "mint for insurance" },
    { to: chain.quoteToken, data: token("approve", [chain.vault, fund]), label: "approve insurance" },
  ]);
  await sendAndConfirm(chain.rpcUrl, liq, [
    ...positions.map((p) => ({ to: chain.vault, data: vault("liquidatePosition", [p.account, Number(p.marketId)]), label: `liquidate ${p.account} m${p.marketId}` })),
    ...collateral.map((c) => ({ to: chain.vault, data: vault("seizeCollateral", [c.account, c.token, BigInt(c.amountRaw!) / 2n]), label: `seize ${c.account}` })),
    ...debts.map((d) => ({ to: chain.vault, data: vault("repayFor", [d.account, d.token, BigInt(d.amountRaw!) / 2n]), label: `repayFor ${d.account}` })),
  ]);

  const beneficiaries = [...new Set(positions.map((p) => p.account!))].slice(0, 2);
  const extraLiquidator = `0x${"5eed".padEnd(40, "0")}` as Address;
  await sendAndConfirm(chain.rpcUrl, owner, [
    ...beneficiaries.map((a, i) => ({ to: chain.vault, data: vault("payOutInsurance", [a, BigInt(i + 1) * 250n * 10n ** 6n]), label: `insurance to ${a}` })),
    { to: chain.vault, data: vault("fundInsurance", [chain.quoteToken, fund]), label: "fund insurance" },
    { to: chain.vault, data: vault("setMarketMode", [3, 1]), label: "market 3 reduce-only" },
    { to: chain.vault, data: vault("setMaxLeverage", [2, 15n * 10n ** 18n]), label: "market 2 max leverage 15x" },
    { to: chain.vault, data: vault("setLiquidator", [extraLiquidator, true]), label: "add liquidator" },
  ]);
  // A second batch: estimated after the first, so the removal is a real state change.
  await sendAndConfirm(chain.rpcUrl, owner, [{ to: chain.vault, data: vault("setLiquidator", [extraLiquidator, false]), label: "remove liquidator" }]);
}

/** Every vault + feed event type the store handles (ground truth's `eventCounts` keys). */
export const ALL_EVENT_TYPES = [
  "CollateralDeposited",
  "CollateralWithdrawn",
  "DebtBorrowed",
  "DebtRepaid",
  "CollateralSeized",
  "PositionUpdated",
  "PositionLiquidated",
  "FundingUpdated",
  "MarketListed",
  "MarketModeChanged",
  "MaxLeverageChanged",
  "AnswerUpdated",
  "InsuranceFunded",
  "InsurancePaidOut",
  "LiquidatorSet",
] as const;
