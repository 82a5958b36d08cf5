/**
 * The ingest benchmark's workload: which events are generated (the mix) and how many of each the
 * chains hold afterwards, counted the way Ponder delivers them to xmargin.
 *
 * Mixes:
 * - `vault`: the simulator's bulk mode alone (vault + feed events), as in results before the Aave mix;
 * - `vault+aave` (default): the same, interleaved with devnet/aaveBulk.ts rounds on every chain's
 *   Aave market (Aave's own bytecode, priced by the vault's feeds) until about half of the events
 *   are Aave's: Pool, configurator, oracle, aTokens, variable debt tokens and price sources.
 */
import { createPublicClient, http, type PublicClient } from "viem";
import { createAaveBulk, type AaveBulkGenerator, type AaveBulkStats } from "../devnet/aaveBulk.js";
import { DevnetError } from "../devnet/errors.js";
import { rpcBlockNumber } from "../devnet/ponderProcess.js";
import { createRng } from "../devnet/random.js";
import { rpc } from "../devnet/rpc.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { countAaveLogs } from "../test/harness/aaveEvents.js";
import type { DevnetFixture } from "../test/harness/devnet.js";
import { readEvents } from "../test/harness/groundTruth.js";

export const INGEST_MIXES = ["vault", "vault+aave"] as const;
export type IngestMix = (typeof INGEST_MIXES)[number];
export const DEFAULT_INGEST_MIX: IngestMix = "vault+aave";
/** Share of the events the vault+aave mix aims to give Aave. */
export const AAVE_SHARE = 0.5;

export class IngestWorkloadError extends DevnetError {
  override name = "IngestWorkloadError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("INGEST_WORKLOAD_ERROR", message, details);
  }
}

export function parseMix(text: string | undefined): IngestMix {
  if ((INGEST_MIXES as readonly string[]).includes(text ?? "")) return text as IngestMix;
  throw new IngestWorkloadError(`Unknown --mix '${text}'. Expected one of ${INGEST_MIXES.join(", ")}.`, { mix: text });
}

/** What the chains hold, by Ponder's event names (`Contract:Event`). */
export interface WorkloadCounts {
  /** Every event Ponder delivers to xmargin (vault + feeds + Aave). */
  total: number;
  byChain: Record<string, number>;
  heads: Record<string, number>;
  /** Vault + feed events (xmargin's ledger rows), by event name (no contract prefix, as before the Aave mix). */
  mix: Record<string, number>;
  vaultEvents: number;
  aaveEvents: number;
  /** Aave events delivered, by `Contract:Event`. */
  aaveMix: Record<string, number>;
  /** Logs of the Aave contracts no handler registers (Ponder does not fetch them), by `Contract:Event`. */
  aaveEmittedOnly: Record<string, number>;
  /** Every delivered event by `Contract:Event`: what Ponder's ponder_indexing_completed_events must show. */
  byEvent: Record<string, number>;
}

/** Count what the chains hold (eth_getLogs). */
export async function countWorkload(devnet: DevnetFixture): Promise<WorkloadCounts> {
  const out: WorkloadCounts = { total: 0, byChain: {}, heads: {}, mix: {}, vaultEvents: 0, aaveEvents: 0, aaveMix: {}, aaveEmittedOnly: {}, byEvent: {} };
  const add = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
  for (const chain of devnet.truthChains) {
    const rpcUrl = devnet.chains.find((c) => c.name === chain.name)!.rpcUrl;
    const client = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
    const head = await rpcBlockNumber(rpcUrl);
    out.heads[chain.name] = head;
    const events = await readEvents(client, chain, head, { timestamps: false });
    const vault = chain.vault.toLowerCase();
    for (const e of events) {
      add(out.mix, e.eventName);
      add(out.byEvent, `${e.address === vault ? "MarginVault" : "PriceFeed"}:${e.eventName}`);
    }
    let chainTotal = events.length;
    out.vaultEvents += events.length;
    const market = devnet.deployment.chains.find((c) => c.name === chain.name)?.aaveV3;
    if (market) {
      const aave = await countAaveLogs(rpcUrl, market, head);
      for (const [k, n] of Object.entries(aave.indexed)) {
        add(out.aaveMix, k, n);
        add(out.byEvent, k, n);
      }
      for (const [k, n] of Object.entries(aave.emittedOnly)) add(out.aaveEmittedOnly, k, n);
      out.aaveEvents += aave.indexedTotal;
      chainTotal += aave.indexedTotal;
    }
    out.byChain[chain.name] = chainTotal;
    out.total += chainTotal;
  }
  return out;
}

export interface WorkloadGenerator {
  /** Generate until the chains hold at least `events` (counted), then bury them under 64 empty blocks. */
  generate(events: number, onProgress?: (message: string) => void): Promise<{ counts: WorkloadCounts; txFailed: number; generationMs: number }>;
  aaveStats(): AaveBulkStats | null;
}

/** Aave accounts per chain for a run of `events` (their first supplies alone are ~3 events each): 150 at 100k, at least 20. */
export function aaveAccountsFor(events: number): number {
  return Math.min(150, Math.max(20, Math.round(events / 650)));
}

export function createWorkload(devnet: DevnetFixture, mix: IngestMix, opts: { seed?: number; accounts?: number; aaveAccountsPerChain?: number } = {}): WorkloadGenerator {
  const seed = opts.seed ?? 42;
  const sim: Simulator = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: opts.accounts ?? 300, seed, manualMining: true });
  let aave: AaveBulkGenerator | null = null;
  if (mix === "vault+aave") {
    const chains = devnet.deployment.chains.map((dep) => {
      if (!dep.aaveV3) throw new IngestWorkloadError(`the vault+aave mix needs an Aave market on every chain; ${dep.name} has none (start the devnet with aaveV3: true)`, { chain: dep.name });
      return { name: dep.name, rpcUrl: devnet.chains.find((c) => c.name === dep.name)!.rpcUrl, market: dep.aaveV3 };
    });
    aave = createAaveBulk({ chains, seed, rng: createRng(seed).fork("aave-bulk"), accountsPerChain: opts.aaveAccountsPerChain ?? 150 });
  }
  // Feed pushes of assets the Aave market prices are delivered twice (PriceFeed and AavePriceSource).
  const sourcedFeedShare = (() => {
    const deps = devnet.deployment.chains;
    const feeds = deps.reduce((s, d) => s + Object.keys(d.feeds).length, 0);
    const sources = deps.reduce((s, d) => s + (d.aaveV3?.reserves.length ?? 0), 0);
    return feeds === 0 ? 0 : sources / feeds;
  })();

  /** Rough running counts (the simulator counts NewRound logs too: half its feed logs). */
  const estimate = () => {
    const s = sim.stats();
    const answers = Object.values(s.perChain).reduce((a, c) => a + c.feedEvents / 2, 0);
    const vault = Object.values(s.perChain).reduce((a, c) => a + c.vaultEvents, 0) + answers;
    const aaveEvents = aave ? aave.stats.indexedLogs + answers * sourcedFeedShare : 0;
    return { vault, aave: aaveEvents };
  };

  return {
    aaveStats: () => (aave ? structuredClone(aave.stats) : null),
    async generate(events, onProgress) {
      const t0 = Date.now();
      let counts = await countWorkload(devnet);
      let txFailed = 0;
      let lastLog = 0;
      const progress = () => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        const e = estimate();
        onProgress?.(`generating: ~${Math.round(e.vault)} vault + feed, ~${Math.round(e.aave)} Aave events`);
      };
      while (counts.total < events) {
        const e0 = estimate();
        const goal = e0.vault + e0.aave + (events - counts.total) * 1.05;
        if (!aave) {
          const gen = await sim.bulk({ events: Math.ceil((events - counts.total) * 1.2), onProgress: progress });
          txFailed = gen.txFailed;
        } else {
          await aave.setup();
          // Alternate slices so Aave's blocks sit between the vault's and its prices move between rounds.
          for (let e = estimate(); e.vault + e.aave < goal; e = estimate()) {
            if (e.aave < (e.vault * AAVE_SHARE) / (1 - AAVE_SHARE)) await aave.round();
            else {
              // a slice of at most 6,000 logs (1,200 actions a round, as the vault-only mix); smaller near the end and in small runs
              const slice = Math.max(300, Math.min(6_000, Math.ceil(((goal - e.vault - e.aave) * (1 - AAVE_SHARE)) / 2)));
              txFailed = (await sim.bulk({ events: slice, actionsPerRound: Math.max(120, Math.min(1_200, Math.round(slice / 2.5))) })).txFailed;
            }
            progress();
          }
        }
        counts = await countWorkload(devnet);
      }
      await Promise.all(devnet.chains.map((c) => rpc(c.rpcUrl, "anvil_mine", ["0x40"])));
      counts = await countWorkload(devnet);
      return { counts, txFailed: txFailed + (aave?.stats.txFailed ?? 0), generationMs: Date.now() - t0 };
    },
  };
}
