/**
 * The book's only contact with the risk core: store rows → core inputs, and the screening,
 * stress and system calls. Keeping it in one file keeps the rest of the book independent of how
 * the core represents a compiled book.
 */
import type { AccountRisk, AccountScreen, AccountState, AssetSymbol, ChainFreshness, ChainId, Hex, MarketKey, PricePoint, PriceObservation, RiskConfig, ScenarioResult, StressScenario, SystemAction, SystemRisk, VolatilityEstimate } from "../../risk/types.js";
import { prepareEnvironment, type EnvironmentInput, type PreparedEnvironment } from "../../risk/environment.js";
export { steppedLagSeconds } from "../../risk/environment.js";
import { evaluateAccount } from "../../risk/evaluateAccount.js";
import { accountAt, addressAt, assetIndexOf, holderSlots, slotCount, compileBook, screenAccount, screenAll, slotOf, updateCompiledAccount, type CompiledBook } from "../../risk/compiled.js";
import { estimateVolatility, EWMA_LOOKBACK_HALF_LIVES } from "../../risk/volatility.js";
import { defaultScenarios } from "../../risk/scenarios.js";
import { runScenario, runScenarios } from "../../risk/stress.js";
import { buildSystemRisk as buildSystem, systemTotals, type AccountSummary } from "../../risk/systemic.js";
export { chainExposures, type ChainExposure } from "../../risk/systemic.js";
import { D } from "../../risk/decimal.js";
import type { CheckpointRow, InsuranceFundRow, LatestPriceRow, MarketRow, PriceRoundRow } from "./reader.js";

export type PreparedEnv = PreparedEnvironment;
export type { EnvironmentInput };

export function prepare(config: RiskConfig, input: EnvironmentInput): PreparedEnv {
  return prepareEnvironment(config, input);
}

export function evaluate(state: AccountState, env: PreparedEnv): AccountRisk {
  return evaluateAccount(state, env);
}

/** Core inputs from store rows: oracle answers, per-chain freshness, funding indexes. */
export function environmentInput(
  now: number,
  prices: readonly LatestPriceRow[],
  checkpoints: readonly Pick<CheckpointRow, "chainId" | "blockNumber" | "blockTimestamp">[],
  volatility: VolatilityEstimate | null,
  markets: readonly MarketRow[],
  config: RiskConfig,
): EnvironmentInput {
  const observations: PriceObservation[] = prices
    .filter((p) => config.chains[p.chainId] !== undefined && config.assets[p.asset] !== undefined)
    .map((p) => ({ chainId: p.chainId, asset: p.asset, answerRaw: p.answerRaw, decimals: p.decimals, updatedAt: p.updatedAt }))
    .sort((a, b) => a.chainId - b.chainId || (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  const chains: ChainFreshness[] = checkpoints
    .filter((c) => config.chains[c.chainId] !== undefined)
    .map((c) => ({ chainId: c.chainId, blockNumber: c.blockNumber, blockTimestamp: c.blockTimestamp }))
    .sort((a, b) => a.chainId - b.chainId);
  const fundingIndexX18: Record<MarketKey, bigint> = {};
  for (const m of markets) {
    const key = `${m.chainId}:${m.marketId}`;
    if (config.markets[key] !== undefined) fundingIndexX18[key] = m.cumulativeFundingX18;
  }
  return { now, observations, chains, volatility, fundingIndexX18 };
}

/** Seconds of price history the volatility estimate reads (30 EWMA half-lives). */
export function volatilityLookbackSeconds(config: RiskConfig): number {
  return EWMA_LOOKBACK_HALF_LIVES * config.params.ewmaHalfLifeSeconds;
}

/** σ floors per asset as numbers (annualised). */
export function volatilityFloors(config: RiskConfig): Record<AssetSymbol, number> {
  const out: Record<AssetSymbol, number> = {};
  for (const [symbol, a] of Object.entries(config.assets)) out[symbol] = Number(a.volFloorAnnual);
  return out;
}

/**
 * Volatility from stored oracle rounds: every known chain's rounds of an asset form its series
 * (the core resamples them on the grid, latest observation carried forward).
 */
export function estimateBookVolatility(rounds: readonly PriceRoundRow[], config: RiskConfig, now: number): VolatilityEstimate {
  const series: Record<AssetSymbol, PricePoint[]> = {};
  for (const r of rounds) {
    if (r.updatedAt > now || config.assets[r.asset] === undefined || config.chains[r.chainId] === undefined || r.answerRaw <= 0n) continue;
    (series[r.asset] ??= []).push({ time: r.updatedAt, priceRaw: r.answerRaw, decimals: r.decimals });
  }
  return estimateVolatility(series, config.params, volatilityFloors(config), now);
}

/**
 * Screens accounts for ranking and lists over the core's compiled book (fast floats, tiers
 * confirmed exactly near boundaries); its holder index reprices only holders on a tick.
 */
export class Screener {
  book: CompiledBook;
  private readonly onChain = new Map<ChainId, Set<Hex>>();
  private readonly chainsOf = new Map<Hex, ChainId[]>();

  constructor(private readonly config: RiskConfig) {
    this.book = compileBook([], config);
  }

  reset(states: readonly AccountState[]): void {
    this.book = compileBook(states, this.config);
    this.onChain.clear();
    this.chainsOf.clear();
    for (const s of states) this.indexChains(s.address, s);
  }

  /** Inserts, replaces or removes one account; returns its slot (null when removed). */
  set(address: Hex, state: AccountState | null): number | null {
    const slot = updateCompiledAccount(this.book, address, state);
    this.indexChains(address, state);
    return slot;
  }

  /** The compiled book's slot of an address (hashes the address: not for per-tick loops). */
  slotOf(address: Hex): number | undefined {
    return slotOf(this.book, address);
  }

  /** Number of slots (live and freed) of the compiled book. */
  slotCount(): number {
    return slotCount(this.book);
  }

  /**
   * Slots of the accounts holding any of `assets` (collateral, debt or a perp), each once, from the
   * compiled holder lists: no address is hashed. `seen` (length ≥ book.size, all 0) marks the slots
   * listed; the caller clears it with {@link clearMarks}.
   */
  holderSlots(assets: readonly AssetSymbol[], seen: Uint8Array, out: number[]): void {
    for (const asset of assets) {
      const idx = assetIndexOf(this.book, asset);
      const slots = holderSlots(this.book, idx);
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[k];
        if (seen[slot] === 1) continue;
        seen[slot] = 1;
        out.push(slot);
      }
    }
  }

  /** One fresh screen of a live slot (a new object: earlier screens handed out stay as they were). */
  screenSlot(slot: number, env: PreparedEnv): AccountScreen {
    return screenAccount(this.book, slot, env);
  }

  /**
   * {@link screenAllSlots} in slices of about `sliceMs` of work, yielding to the event loop in
   * between, so HTTP answers are not held up behind a re-screen of the whole book. The compiled
   * book must not change until it resolves (the book's updates are serialized).
   */
  async screenAllSlotsSliced(env: PreparedEnv, sliceMs = 8): Promise<(AccountScreen | null)[]> {
    const book = this.book;
    const n = slotCount(book);
    const out = new Array<AccountScreen | null>(n).fill(null);
    let slot = 0;
    while (slot < n) {
      const started = performance.now();
      do {
        const end = Math.min(n, slot + 512);
        for (; slot < end; slot++) if (accountAt(book, slot) !== null) out[slot] = screenAccount(book, slot, env);
      } while (slot < n && performance.now() - started < sliceMs);
      if (slot < n) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  /** Every live slot's screen, indexed by slot (null for a freed slot). */
  screenAllSlots(env: PreparedEnv): (AccountScreen | null)[] {
    return screenAll(this.book, env);
  }

  /** Accounts with anything on these chains (their haircuts move with the chain's data lag). */
  holdersOnChains(chainIds: readonly ChainId[]): Hex[] {
    const out = new Set<Hex>();
    for (const id of chainIds) for (const a of this.onChain.get(id) ?? []) out.add(a);
    return [...out];
  }

  private indexChains(address: Hex, state: AccountState | null): void {
    for (const id of this.chainsOf.get(address) ?? []) this.onChain.get(id)?.delete(address);
    this.chainsOf.delete(address);
    if (state === null) return;
    const ids = new Set<ChainId>();
    for (const i of state.collateral) ids.add(i.chainId);
    for (const i of state.debt) ids.add(i.chainId);
    for (const p of state.positions) ids.add(p.chainId);
    for (const id of ids) {
      let set = this.onChain.get(id);
      if (set === undefined) this.onChain.set(id, (set = new Set()));
      set.add(address);
    }
    this.chainsOf.set(address, [...ids]);
  }

  screenAll(env: PreparedEnv): Map<Hex, AccountScreen> {
    const screens = screenAll(this.book, env);
    const out = new Map<Hex, AccountScreen>();
    for (let slot = 0; slot < screens.length; slot++) {
      const address = addressAt(this.book, slot);
      const screen = screens[slot];
      if (address !== null && screen !== null) out.set(address, screen);
    }
    return out;
  }
}

// ---------------------------------------------------------------- stress and system

export function defaultLibrary(config: RiskConfig, volatility: VolatilityEstimate | null): StressScenario[] {
  return defaultScenarios(config, volatility);
}

/** One scenario over the book's accounts, with liquidation cascades (throws ScenarioError for an invalid scenario). */
export function runStress(screener: Screener, config: RiskConfig, input: EnvironmentInput, scenario: StressScenario, baseEnv?: PreparedEnv): ScenarioResult {
  return runScenario(screener.book, config, input, scenario, { baseEnv });
}

/** The whole library, sharing prepared environments. */
export function runLibrary(screener: Screener, config: RiskConfig, input: EnvironmentInput, scenarios: readonly StressScenario[], baseEnv?: PreparedEnv): ScenarioResult[] {
  return runScenarios(screener.book, config, input, scenarios, { baseEnv });
}

/** Insurance fund B in USD: Σ balance × mark of the fund token's asset (funds in unpriced assets count 0). */
export function insuranceFundUsd(funds: readonly InsuranceFundRow[], env: PreparedEnv): InstanceType<typeof D> {
  let total = new D(0);
  for (const f of funds) {
    if (f.asset === null || f.decimals === null) continue;
    const mark = env.marks[f.asset]?.priceUsd;
    if (mark === null || mark === undefined) continue;
    total = total.plus(new D(f.balanceRaw.toString()).div(new D(10).pow(f.decimals)).times(mark));
  }
  return total;
}

export interface SystemInput {
  config: RiskConfig;
  env: PreparedEnv;
  accounts: readonly { address: Hex; state: AccountState; screen: AccountScreen }[];
  insurance: readonly InsuranceFundRow[];
  library: readonly ScenarioResult[];
  previousAction: SystemAction | null;
}

/** SystemRisk from the screens (fast numbers) in address order, so every book sums the same way. */
export function buildSystemRisk(input: SystemInput): SystemRisk {
  const { env, config } = input;
  const sorted = [...input.accounts].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const summaries: AccountSummary[] = sorted.map(({ address, state, screen }) => {
    let notional = 0;
    for (const p of state.positions) {
      const asset = config.markets[`${p.chainId}:${p.marketId}`]?.asset ?? p.asset;
      const idx = env.assets[asset]?.index;
      const price = idx === undefined ? NaN : env.fast.assetLast[idx];
      if (Number.isFinite(price)) notional += Math.abs(Number(p.sizeRaw) / 1e18) * price;
    }
    return { address, tier: screen.tier, equityUsd: screen.equityUsd, collateralUsd: screen.collateralUsd, debtUsd: screen.debtUsd, notionalUsd: notional };
  });
  return buildSystem({
    totals: systemTotals(summaries),
    insuranceFundUsd: insuranceFundUsd(input.insurance, env),
    stress: input.library,
    previousAction: input.previousAction,
    thresholds: config.params.thresholds,
  });
}
