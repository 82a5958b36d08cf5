/**
 * The book's margin domains beside the vault (docs/risk-model.md, "Margin domains"): the protocol
 * sources the config deploys (protocols/registry.ts domainSources), read from the store when one of
 * their chains committed a new checkpoint and evaluated against the risk book's environment of the
 * tick. It answers per-domain totals and bad debt (per domain, per chain, in total), one address's
 * exposure across every domain, the protocols' endangered lists with the liquidation each rule
 * allows, and stress per domain.
 *
 * Consistency: a read is kept only when the checkpoints of its chains are the same before and
 * after it (no commit in between), so the rows and the block they are stamped with agree; after
 * `maxAttempts` moving reads the rows are stamped with the older checkpoints (freshness is then
 * understated, never overstated). Reads happen at most every `minIntervalMs`.
 */
import type Decimal from "decimal.js";
import { getAddress, type Address } from "viem";
import { runAaveScenario, unifiedExposure, deficiencyFromTotals, emptyDomainTotals, type AaveDomainAccount, type AaveScenarioResult, type AaveStressMarket, type DomainTotals, type UnifiedExposure, type VaultDomainAccount } from "../../risk/domains/index.js";
import type { PreparedEnvironment } from "../../risk/environment.js";
import { ZERO } from "../../risk/decimal.js";
import type { AccountRisk, ChainId, RiskConfig, StressScenario, SystemRisk } from "../../risk/types.js";
import type { DomainCheckpoint, DomainEvaluation, DomainProblem, DomainSource } from "../../protocols/types.js";
import type { CheckpointRow } from "../book/reader.js";

/** What the view needs of the risk book. */
export interface DomainBook {
  /** the prepared environment of the book's current tick; null before the first load */
  environment(): PreparedEnvironment | null;
  system(): SystemRisk;
  account(address: `0x${string}`): AccountRisk | null;
}

export interface DomainViewOptions {
  book: DomainBook;
  sources: readonly DomainSource[];
  /** the store's committed checkpoints (api/book/reader.ts `checkpoints()`) */
  checkpoints: () => Promise<CheckpointRow[]>;
  config: RiskConfig;
  /** chains of the vault domain */
  vaultChainIds: readonly ChainId[];
  /** at most one store read per this many ms (default 1000); checkpoint checks are not limited */
  minIntervalMs?: number;
  /** also check the checkpoints this often without being asked (default 1000 ms; 0 = only on `sync()`) */
  pollIntervalMs?: number;
  /** reads whose checkpoints moved meanwhile are retried this many times in all (default 3) */
  maxAttempts?: number;
  onError?: (error: unknown) => void;
}

/** Sums over every domain: the vault's from the book, the protocols' from their accounts. */
export interface DomainOverview {
  domains: DomainTotals[];
  perChain: { chainId: ChainId; badDebtUsd: Decimal }[];
  crossChainBadDebtUsd: Decimal;
  totalBadDebtUsd: Decimal;
  /** per protocol-source chain, the block the domain rows were read at (absent: not read yet) */
  checkpoints: DomainCheckpoint[];
  problems: DomainProblem[];
}

/** One address in every domain. */
export interface AddressExposure {
  address: Address;
  vault: AccountRisk | null;
  aave: AaveDomainAccount[];
  unified: UnifiedExposure;
}

export interface DomainView {
  /** Reads the sources again if a chain they follow committed a new checkpoint (coalesced). */
  sync(options?: { force?: boolean }): Promise<void>;
  /** reads kept so far (0: none yet) */
  version(): number;
  overview(): DomainOverview;
  exposure(address: Address): AddressExposure;
  /** protocol-rule accounts with health factor below `maxHealthFactor`, lowest first */
  endangered(maxHealthFactor: number, first: number): AaveDomainAccount[];
  /** every protocol account now (cached per read and environment) */
  accounts(): readonly AaveDomainAccount[];
  /** the protocols' cascade under a scenario (cached per read) */
  stress(scenario: StressScenario): AaveScenarioResult;
  /** accounts with a position in the protocols' domains at the last read (what a cascade goes over) */
  accountCount(): number;
  /** calls `listener(version)` after every kept read; returns the unsubscribe */
  onRead(listener: (version: number) => void): () => void;
  close(): void;
}

const WAD = 10n ** 18n;

export function createDomainView(options: DomainViewOptions): DomainView {
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const onError = options.onError ?? ((e: unknown) => console.error("[xmargin domains]", e));
  const chainIds = [...new Set(options.sources.flatMap((s) => s.chainIds))].sort((a, b) => a - b);

  let stamps = new Map<number, DomainCheckpoint>();
  let version = 0;
  let lastReadAt = -Infinity;
  let forced = false;
  let syncing: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let evaluation: { version: number; env: PreparedEnvironment; parts: DomainEvaluation[] } | null = null;
  const readListeners = new Set<(version: number) => void>();
  const stressCache = new Map<string, AaveScenarioResult>();
  let stressVersion = -1;
  // the markets' snapshots for the cascade (~25 µs per account): built once per read
  let stressMarkets: AaveStressMarket[] | null = null;

  const pick = (rows: readonly CheckpointRow[]): Map<number, DomainCheckpoint> => {
    const out = new Map<number, DomainCheckpoint>();
    for (const r of rows) if (chainIds.includes(r.chainId)) out.set(r.chainId, { chainId: r.chainId, blockNumber: r.blockNumber, blockTimestamp: r.blockTimestamp });
    return out;
  };
  const same = (a: ReadonlyMap<number, DomainCheckpoint>, b: ReadonlyMap<number, DomainCheckpoint>): boolean =>
    a.size === b.size && [...a].every(([id, x]) => b.get(id)?.blockNumber === x.blockNumber && b.get(id)?.blockTimestamp === x.blockTimestamp);

  async function step(): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const before = pick(await options.checkpoints());
      if (!forced && version > 0 && same(before, stamps)) return;
      const wait = lastReadAt + minIntervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastReadAt = performance.now();
      for (const s of options.sources) await s.read();
      const after = pick(await options.checkpoints());
      if (same(before, after) || attempt === maxAttempts) {
        stamps = before;
        forced = false;
        version++;
        for (const l of readListeners) {
          try {
            l(version);
          } catch (error) {
            onError(error);
          }
        }
        return;
      }
    }
  }

  function sync(o: { force?: boolean } = {}): Promise<void> {
    if (o.force) forced = true;
    if (closed || options.sources.length === 0) return Promise.resolve();
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        try {
          await step();
        } catch (error) {
          onError(error);
          return;
        }
      } while (again && !closed);
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  const timer = pollIntervalMs > 0 && options.sources.length > 0 ? setInterval(() => void sync(), pollIntervalMs) : null;
  timer?.unref?.();

  /** every source's evaluation at the current read and environment (screened once, exact on demand) */
  function evaluated(): DomainEvaluation[] {
    const env = options.book.environment();
    if (env === null || version === 0) return [];
    if (evaluation && evaluation.version === version && evaluation.env === env) return evaluation.parts;
    evaluation = { version, env, parts: options.sources.map((s) => s.evaluate(env, stamps)) };
    return evaluation.parts;
  }

  function vaultTotals(system: SystemRisk): DomainTotals {
    const accounts = Object.values(system.accountsPerTier).reduce((a, b) => a + b, 0);
    return {
      domain: { kind: "vault", id: "vault", chainIds: [...options.vaultChainIds] },
      accounts,
      collateralUsd: system.collateralUsd,
      debtUsd: system.debtUsd,
      badDebtUsd: system.deficiencyUsd,
      accountsPerTier: { ...system.accountsPerTier },
    };
  }

  return {
    sync,
    version: () => version,
    accounts: () => evaluated().flatMap((e) => e.all()),
    overview() {
      const parts = evaluated();
      const protocols = deficiencyFromTotals(parts.flatMap((e) => e.totals));
      const problems = parts.flatMap((e) => e.problems);
      const vault = vaultTotals(options.book.system());
      // configured domains without accounts are listed too (zero totals)
      const present = new Set(protocols.domains.map((d) => d.domain.id));
      const empty: DomainTotals[] = options.sources
        .flatMap((s) => s.domains())
        .filter((d) => !present.has(d.id))
        .map((domain) => emptyDomainTotals(domain));
      const domains = [vault, ...[...protocols.domains, ...empty].sort((a, b) => (a.domain.id < b.domain.id ? -1 : 1))];
      return {
        domains,
        perChain: protocols.perChain,
        crossChainBadDebtUsd: vault.badDebtUsd,
        totalBadDebtUsd: protocols.totalBadDebtUsd.plus(vault.badDebtUsd),
        checkpoints: [...stamps.values()].sort((a, b) => a.chainId - b.chainId),
        problems,
      };
    },
    exposure(address) {
      const who = getAddress(address);
      const vault = options.book.account(who.toLowerCase() as `0x${string}`);
      const aave = evaluated().flatMap((e) => e.account(who));
      const vaultAccount: VaultDomainAccount[] = vault
        ? [{ domain: { kind: "vault", id: "vault", chainIds: vault.chainIds }, address: who, risk: vault, badDebtUsd: vault.equityUsd.isNeg() ? vault.equityUsd.neg() : ZERO }]
        : [];
      return { address: who, vault, aave, unified: unifiedExposure(who, [...vaultAccount, ...aave]) };
    },
    endangered(maxHealthFactor, first) {
      const limit = BigInt(Math.round(maxHealthFactor * 1e6)) * (WAD / 1_000_000n);
      return evaluated()
        .flatMap((e) => e.endangered(limit, first))
        .sort((a, b) => (a.rule.healthFactorWad! < b.rule.healthFactorWad! ? -1 : a.rule.healthFactorWad! > b.rule.healthFactorWad! ? 1 : a.address < b.address ? -1 : 1))
        .slice(0, first);
    },
    stress(scenario) {
      if (stressVersion !== version) {
        stressCache.clear();
        stressMarkets = null;
        stressVersion = version;
      }
      const key = JSON.stringify(scenario);
      let result = stressCache.get(key);
      if (result === undefined) {
        stressMarkets ??= options.sources.flatMap((s) => s.stressMarkets(stamps));
        result = runAaveScenario(stressMarkets, options.config, scenario);
        if (stressCache.size >= 64) stressCache.delete(stressCache.keys().next().value!);
        stressCache.set(key, result);
      }
      return result;
    },
    accountCount: () => options.sources.reduce((n, s) => n + (s.accountCount?.() ?? 0), 0),
    onRead(listener) {
      readListeners.add(listener);
      return () => readListeners.delete(listener);
    },
    close() {
      closed = true;
      readListeners.clear();
      if (timer) clearInterval(timer);
    },
  };
}
