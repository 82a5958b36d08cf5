/**
 * The Aave v3 markets as margin domains for the risk book (protocols/types.ts DomainSource): one
 * domain per configured market (chain, Pool). `read()` rebuilds every market's state from the
 * store rows (storeReader.ts, exact integers); `evaluate()` screens every account with a position
 * (risk/domains aaveEvaluation.ts: per domain totals with exact tiers and bad debt) and gives, on
 * demand and exactly, an account's protocol rule (at the indexed block's timestamp) and xmargin's
 * view (the tick's σ, the chain's own finality and data lag). Pure apart from `read()`.
 *
 * Risk symbols: an Aave asset is priced for σ as the risk asset its chain's `tokens` entry names
 * (the devnet lists Aave's reserves there), else as the reserve's configured symbol when the risk
 * config lists it. An account holding an unmapped asset is reported as a problem (the rest of the
 * market still is evaluated).
 */
import { getAddress, type Address } from "viem";
import type { XmarginConfig } from "../../config/types.js";
import { aaveAccountSnapshot, aaveDomainId, aaveViewContext, compileAaveScreen, DomainInputError, evaluateAaveMarkets, type AaveAccountSnapshot, type AaveScreenBook, type AaveStressMarket, type MarginDomainRef } from "../../risk/domains/index.js";
import type { PreparedEnvironment } from "../../risk/environment.js";
import type { AssetSymbol, RiskConfig } from "../../risk/types.js";
import type { DomainCheckpoint, DomainEvaluation, DomainProblem, DomainSource, DomainSourceContext } from "../types.js";
import { AaveError } from "./errors.js";
import type { AaveMarketState } from "./ledger.js";
import { readAaveMarkets, type AaveStoreMarket } from "./storeReader.js";

/** AaveOracle.BASE_CURRENCY_UNIT of the USD markets this adapter supports. */
const BASE_CURRENCY_UNIT = 100_000_000n;

interface MarketSpec {
  chainId: number;
  pool: Address;
  domainId: string;
  finalitySeconds: number;
  maxDataLagSeconds: number;
  symbols: Map<Address, AssetSymbol>;
  /** configured reserves whose symbol no risk asset matches (reported once per read) */
  unmapped: string[];
}

/** Each configured market's symbols and horizon (pure). Example: `aaveMarketSpecs(config, riskConfig)[0].symbols.get(weth)` → "ETH". */
export function aaveMarketSpecs(config: XmarginConfig, riskConfig: RiskConfig): MarketSpec[] {
  const specs: MarketSpec[] = [];
  for (const chain of Object.values(config.chains)) {
    const m = chain.aaveV3;
    if (m === undefined) continue;
    const symbols = new Map<Address, AssetSymbol>();
    const unmapped: string[] = [];
    for (const [token, t] of Object.entries(chain.tokens)) if (t.asset in riskConfig.assets) symbols.set(getAddress(token), t.asset);
    for (const r of m.reserves) {
      const underlying = getAddress(r.underlying);
      if (symbols.has(underlying)) continue;
      if (r.symbol in riskConfig.assets) symbols.set(underlying, r.symbol);
      else unmapped.push(r.symbol);
    }
    specs.push({
      chainId: chain.chainId,
      pool: getAddress(m.pool),
      domainId: aaveDomainId(chain.chainId, m.pool),
      finalitySeconds: m.finalitySeconds ?? chain.liquidationLatencySeconds,
      maxDataLagSeconds: chain.maxDataLagSeconds,
      symbols,
      unmapped,
    });
  }
  return specs;
}

/**
 * The time a market's accounts are evaluated at: the indexed block's, or the newest reserve index
 * update in the rows when that is later (Ponder's checkpoint row can trail the rows it covers for a
 * moment; Aave's math refuses a time before an index update). The stamp shown stays the checkpoint
 * (freshness understated, never overstated). Example: checkpoint 100, an index updated at 103 → 103n.
 */
export function evaluationTime(state: AaveMarketState, checkpointTimestamp: number | undefined): bigint {
  let t = BigInt(checkpointTimestamp ?? 0);
  for (const r of state.reserves.values()) if (r.indexes !== null && r.indexes.lastUpdateTimestamp > t) t = r.indexes.lastUpdateTimestamp;
  return t;
}

/** The Aave v3 domain source, or null when no chain of the config names an `aaveV3` market. */
export function createAaveDomainSource(context: DomainSourceContext): DomainSource | null {
  const specs = aaveMarketSpecs(context.config, context.riskConfig);
  if (specs.length === 0) return null;
  const chainIds = [...new Set(specs.map((s) => s.chainId))].sort((a, b) => a - b);
  let markets: AaveStoreMarket[] = [];
  // the screens' compiled balances, per market of the current read (balances change only with a read)
  let books = new WeakMap<AaveStoreMarket, AaveScreenBook>();
  const bookOf = (m: AaveStoreMarket): AaveScreenBook => {
    let b = books.get(m);
    if (b === undefined) books.set(m, (b = compileAaveScreen(m.state)));
    return b;
  };

  const specOf = (m: AaveStoreMarket): MarketSpec | undefined => specs.find((s) => s.chainId === m.chainId && s.pool === m.pool);

  /** every account of a market with a position, as snapshots at the chain's indexed block */
  function snapshots(m: AaveStoreMarket, checkpoint: DomainCheckpoint | undefined, spec: MarketSpec, problems: DomainProblem[]): AaveAccountSnapshot[] {
    const out: AaveAccountSnapshot[] = [];
    const timestamp = evaluationTime(m.state, checkpoint?.blockTimestamp);
    for (const user of [...m.state.accounts].sort()) {
      try {
        const s = aaveAccountSnapshot(m.state, user, timestamp);
        if (s.reserves.some((r) => r.collateralRaw !== 0n || r.debtRaw !== 0n)) out.push(s);
      } catch (error) {
        if (!(error instanceof AaveError || error instanceof DomainInputError)) throw error;
        problems.push({ domainId: spec.domainId, address: user, message: error.message });
      }
    }
    return out;
  }

  return {
    adapterId: "aaveV3",
    chainIds,
    domains(): MarginDomainRef[] {
      return specs.map((s) => ({ kind: "aaveV3", id: aaveDomainId(s.chainId, s.pool), chainId: s.chainId, pool: s.pool }));
    },
    async read() {
      const read = await readAaveMarkets(context.query, { schema: context.schema, chainIds });
      // only the configured markets (a store shared with another config may hold more)
      markets = read.filter((m) => specOf(m) !== undefined);
      books = new WeakMap();
    },
    evaluate(env: PreparedEnvironment, checkpoints: ReadonlyMap<number, DomainCheckpoint>): DomainEvaluation {
      const unmapped: DomainProblem[] = [];
      for (const spec of specs) {
        if (spec.unmapped.length > 0) unmapped.push({ domainId: spec.domainId, message: `reserves ${spec.unmapped.join(", ")} have no risk asset: list them in the chain's tokens with an 'asset' of the risk config (${Object.keys(context.riskConfig.assets).join(", ")}); accounts holding them are not evaluated` });
      }
      const evaluation = evaluateAaveMarkets(
        markets.map((m) => {
          const spec = specOf(m)!;
          const checkpoint = checkpoints.get(m.chainId);
          return {
            chainId: m.chainId,
            pool: m.pool,
            domainId: spec.domainId,
            state: m.state,
            book: bookOf(m),
            timestamp: evaluationTime(m.state, checkpoint?.blockTimestamp),
            ctx: aaveViewContext(env, { chainId: m.chainId, blockTimestamp: checkpoint?.blockTimestamp ?? null, finalitySeconds: spec.finalitySeconds, maxDataLagSeconds: spec.maxDataLagSeconds, symbols: spec.symbols, baseCurrencyUnit: BASE_CURRENCY_UNIT }),
          };
        }),
      );
      return {
        totals: evaluation.totals,
        // the list grows when an account asked for later cannot be evaluated (the screen flags those up front)
        get problems() {
          return [...unmapped, ...evaluation.problems];
        },
        account: evaluation.account,
        endangered: evaluation.endangered,
        all: evaluation.all,
      };
    },
    accountCount: () => markets.reduce((n, m) => n + m.state.accounts.size, 0),
    stressMarkets(checkpoints: ReadonlyMap<number, DomainCheckpoint>): AaveStressMarket[] {
      const problems: DomainProblem[] = [];
      return markets.map((m) => {
        const spec = specOf(m)!;
        return { chainId: m.chainId, pool: m.pool, symbols: spec.symbols, baseCurrencyUnit: BASE_CURRENCY_UNIT, accounts: snapshots(m, checkpoints.get(m.chainId), spec, problems).filter((s) => s.reserves.every((r) => spec.symbols.has(r.asset))) };
      });
    },
  };
}
