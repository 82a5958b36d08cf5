/**
 * Bulk event generation for benchmarks: starts three anvil chains with --no-mining and a large
 * block gas limit, deploys, and drives the simulator in rounds of hundreds of transactions per
 * JSON-RPC batch followed by evm_mine, until the target number of vault + feed events exists.
 *
 *   tsx devnet/bulk.ts [--events 100000] [--seed 1] [--accounts 300] [--keep] [--out bench/results/simulator-bulk.json]
 *
 * `generateBulkDevnet()` is the library form: it returns the running chains (the caller stops them),
 * the deployment and the measured rate, for benchmarks that index the result afterwards.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { intFlag, parseFlags } from "./args.js";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { DEFAULT_CHAINS } from "./defaults.js";
import { deployDevnet, type DevnetDeployment } from "./deploy.js";
import { createSimulator, type BulkResult } from "./simulator.js";
import { rpc } from "./rpc.js";

export interface BulkDevnet {
  chains: RunningChain[];
  deployment: DevnetDeployment;
  result: BulkResult;
  /** Per chain: the head block after generation. */
  heads: Record<string, number>;
}

export async function generateBulkDevnet(opts: {
  events: number;
  seed?: number;
  accounts?: number;
  actionsPerRound?: number;
  onProgress?: (r: { events: number; elapsedMs: number }) => void;
}): Promise<BulkDevnet> {
  const chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId, noMining: true, gasLimit: 1_000_000_000n })));
  try {
    // deployment waits for receipts: mine in the background until it is done
    let deploying = true;
    const miner = (async () => {
      while (deploying) {
        await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_mine").catch(() => undefined)));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const deployment = await deployDevnet(chains).finally(() => {
      deploying = false;
    });
    await miner;
    const sim = createSimulator({ chains, deployment, seed: opts.seed ?? 1, accounts: opts.accounts ?? 300, manualMining: true, followLiquidations: false });
    const result = await sim.bulk({
      events: opts.events,
      actionsPerRound: opts.actionsPerRound,
      onProgress: (s) => opts.onProgress?.({ events: s.events, elapsedMs: s.elapsedMs }),
    });
    const heads: Record<string, number> = {};
    for (const c of chains) heads[c.name] = Number(BigInt(await rpc<string>(c.rpcUrl, "eth_blockNumber")));
    return { chains, deployment, result, heads };
  } catch (e) {
    await stopChains(chains);
    throw e;
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { values: ["events", "seed", "accounts", "out", "actions-per-round"], booleans: ["keep"] });
  const events = intFlag(flags, "events", 100_000);
  const t0 = Date.now();
  let last = 0;
  const bulk = await generateBulkDevnet({
    events,
    seed: intFlag(flags, "seed", 1),
    accounts: intFlag(flags, "accounts", 300),
    actionsPerRound: flags["actions-per-round"] ? intFlag(flags, "actions-per-round", 1200) : undefined,
    onProgress: (p) => {
      if (p.events - last >= 10_000) {
        last = p.events;
        console.log(`${p.events} events after ${(p.elapsedMs / 1000).toFixed(1)} s`);
      }
    },
  });
  const r = bulk.result;
  const summary = {
    measuredAt: new Date().toISOString(),
    targetEvents: events,
    events: r.events,
    txSent: r.txSent,
    txFailed: r.txFailed,
    priceSteps: r.steps,
    generationSeconds: Number((r.elapsedMs / 1000).toFixed(1)),
    eventsPerSecond: Math.round(r.eventsPerSecond),
    wallSecondsIncludingStartAndDeploy: Number(((Date.now() - t0) / 1000).toFixed(1)),
    perChain: r.perChain,
    heads: bulk.heads,
    machine: "2 shared cores, anvil 1.7.1 --no-mining, JSON-RPC batches + evm_mine",
  };
  console.log(JSON.stringify(summary, null, 2));
  const out = String(flags.out ?? "bench/results/simulator-bulk.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (flags.keep) {
    console.log(`chains kept running: ${bulk.chains.map((c) => `${c.name} ${c.rpcUrl}`).join(", ")}; Ctrl-C to stop`);
    await new Promise<void>((done) => process.once("SIGINT", () => done()));
  }
  await stopChains(bulk.chains);
}

if (process.argv[1]?.endsWith("bulk.ts")) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
