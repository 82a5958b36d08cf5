/**
 * `npm start`: the whole local system in one command. Starts three anvil chains, deploys the
 * reference contracts, writes .xmargin/devnet/xmargin.config.json, starts Ponder on a fresh PGlite
 * directory (or DATABASE_URL), runs the market simulator and the reference liquidator, prints what
 * it started and indexing progress, and stops every child on Ctrl-C / SIGTERM / exit.
 *
 * Flags: --seed N (1) --accounts N (300) --port N (API, 4000) --no-simulator --crash-every SECONDS
 *        --crash-pct P (0.25) --no-liquidator --steps N (simulator stops after N steps)
 *        --chain-port-base N (chains on N, N+1, N+2; default 18545)
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { intFlag, parseFlags } from "./args.js";
import { startChains, stopChains, type RunningChain } from "./chains.js";
import { writeDevnetConfig } from "./config.js";
import { DEFAULT_CHAINS } from "./defaults.js";
import { deployDevnet } from "./deploy.js";
import { redactRpcUrl } from "./errors.js";
import { startPonder, type PonderProcess } from "./ponderProcess.js";
import { rpc } from "./rpc.js";
import { createSimulator, type Simulator } from "./simulator.js";
import { startLiquidator, type Liquidator } from "./liquidator.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
/** Where the config and PGlite directories go; XMARGIN_DEVNET_DIR overrides (tests use a temp dir). */
const DEVNET_DIR = process.env.XMARGIN_DEVNET_DIR ? resolve(process.env.XMARGIN_DEVNET_DIR) : join(ROOT, ".xmargin", "devnet");

/** Remove pglite-* directories older than the one about to be used (Ponder's RPC cache is keyed by chain id only). */
export function freshPgliteDir(baseDir: string, now: number): string {
  mkdirSync(baseDir, { recursive: true });
  for (const entry of readdirSync(baseDir)) if (entry.startsWith("pglite-")) rmSync(join(baseDir, entry), { recursive: true, force: true });
  const dir = join(baseDir, `pglite-${now}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Sum of a Prometheus counter's samples (all label sets). */
export function sumMetric(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    values: ["seed", "accounts", "port", "crash-every", "crash-pct", "steps", "chain-port-base"],
    booleans: ["simulator", "liquidator"],
  });
  const seed = intFlag(flags, "seed", 1);
  const accounts = intFlag(flags, "accounts", 300);
  const apiPort = intFlag(flags, "port", 4000);
  const crashEvery = intFlag(flags, "crash-every", 0);
  const crashPct = flags["crash-pct"] !== undefined ? Number(flags["crash-pct"]) : 0.25;
  const runSimulator = flags.simulator !== false;
  const runLiquidator = flags.liquidator !== false;
  const chainPortBase = flags["chain-port-base"] !== undefined ? intFlag(flags, "chain-port-base", 18545) : undefined;

  let chains: RunningChain[] = [];
  let ponder: PonderProcess | undefined;
  let liquidator: Liquidator | undefined;
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      console.log(`\nstopping (${reason})…`);
      controller.abort();
      for (const t of timers) clearInterval(t);
      await liquidator?.stop().catch(() => undefined);
      await ponder?.stop().catch(() => undefined);
      await stopChains(chains);
      console.log("stopped: ponder, chains" + (liquidator ? ", liquidator" : "") + (runSimulator ? ", simulator" : ""));
    })();
    return stopping;
  };
  process.once("SIGINT", () => void shutdown("SIGINT").then(() => process.exit(130)));
  process.once("SIGTERM", () => void shutdown("SIGTERM").then(() => process.exit(143)));

  try {
    const t0 = Date.now();
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId, port: chainPortBase !== undefined ? chainPortBase + DEFAULT_CHAINS.indexOf(c) : c.defaultPort, blockTimeSeconds: c.blockTimeSeconds })));
    console.log(`chains up in ${Date.now() - t0} ms`);
    const deployment = await deployDevnet(chains);
    console.log(`contracts deployed in ${Date.now() - t0} ms`);

    const now = Date.now();
    const pgliteDir = process.env.DATABASE_URL ? undefined : freshPgliteDir(DEVNET_DIR, now);
    const configPath = join(DEVNET_DIR, "xmargin.config.json");
    writeDevnetConfig(deployment, configPath, { pgliteDir: pgliteDir ?? join(DEVNET_DIR, "pglite-unused"), apiPort });
    if (process.env.DATABASE_URL) {
      console.log("DATABASE_URL is set: indexing into Postgres. Use a fresh database per devnet: Ponder's RPC cache (ponder_sync) is keyed by chain id only.");
    }
    ponder = await startPonder({
      cwd: ROOT,
      configPath,
      schema: `devnet_${now}`,
      port: apiPort,
      databaseUrl: process.env.DATABASE_URL,
      pgliteDir,
      log: (line) => {
        if (/"level":(50|60)|"level":"(error|fatal)"/.test(line)) console.error(`[ponder] ${line}`);
      },
    });
    void ponder.exited.then(({ code, signal }) => {
      if (!stopping) {
        console.error(`ponder exited (code ${code}, signal ${signal}); last log lines:\n${ponder!.logTail()}`);
        void shutdown("ponder exited").then(() => process.exit(1));
      }
    });
    if (ponder.port !== apiPort) console.log(`port ${apiPort} was taken: the API is on ${ponder.port}`);

    console.log("");
    console.log("xmargin devnet is running");
    for (const c of chains) {
      const spec = DEFAULT_CHAINS.find((s) => s.name === c.name)!;
      console.log(`  chain ${c.name.padEnd(4)} id ${c.chainId}  ${c.rpcUrl}  (${spec.blockTimeSeconds}s blocks, pid ${c.pid})`);
    }
    console.log(`  config         ${configPath}`);
    console.log(`  database       ${pgliteDir ? `PGlite ${pgliteDir}` : `Postgres ${redactRpcUrl(process.env.DATABASE_URL!)}`}`);
    console.log(`  API            ${ponder.url}  (pid ${ponder.pid})`);
    console.log(`  GraphQL        ${ponder.url}/graphql`);
    console.log(`  store GraphQL  ${ponder.url}/store/graphql`);
    console.log(`  status         ${ponder.url}/status   metrics ${ponder.url}/metrics`);
    console.log("");

    let sim: Simulator | undefined;
    if (runSimulator) {
      sim = createSimulator({ chains, deployment, seed, accounts });
      console.log(`simulator: ${accounts} accounts, seed ${seed}${crashEvery ? `, crash −${crashPct * 100}% every ${crashEvery}s` : ""}`);
      const steps = flags.steps !== undefined ? intFlag(flags, "steps", 0) : undefined;
      void sim.run({ steps, signal: controller.signal }).catch((e) => {
        if (!controller.signal.aborted) console.error(`simulator stopped: ${e instanceof Error ? e.message : e}`);
      });
      if (crashEvery > 0) {
        timers.push(
          setInterval(() => {
            void sim!.crash({ asset: "all", pct: crashPct }).then(
              () => console.log(`crash: every risky asset −${crashPct * 100}% on every chain`),
              (e) => console.error(`crash failed: ${e instanceof Error ? e.message : e}`),
            );
          }, crashEvery * 1000),
        );
      }
    }
    if (runLiquidator) {
      liquidator = await startLiquidator({
        apiUrl: ponder.url,
        deployment,
        log: (m) => console.log(`[liquidator] ${m}`),
      });
    }

    // progress: per chain indexed block vs head, events/s from Ponder's metrics
    let lastEvents = 0;
    let lastAt = Date.now();
    const progress = async (): Promise<void> => {
      try {
        const [status, metrics, heads] = await Promise.all([
          ponder!.status(),
          fetch(`${ponder!.url}/metrics`).then((r) => r.text()),
          Promise.all(chains.map((c) => rpc<string>(c.rpcUrl, "eth_blockNumber").then((h) => Number(BigInt(h))))),
        ]);
        const events = sumMetric(metrics, "ponder_indexing_completed_events");
        const rate = (events - lastEvents) / ((Date.now() - lastAt) / 1000);
        lastEvents = events;
        lastAt = Date.now();
        const parts = chains.map((c, i) => `${c.name} ${status[c.name]?.block.number ?? "-"}/${heads[i]}`);
        const simPart = sim ? ` | simulator ${sim.stats().steps} steps, ${sim.stats().events} events` : "";
        const liqPart = liquidator ? ` | liquidations ${liquidator.stats().liquidations}` : "";
        console.log(`indexed ${parts.join("  ")} | ${events} events (${rate.toFixed(0)}/s)${simPart}${liqPart}`);
      } catch (e) {
        if (!controller.signal.aborted) console.log(`progress: ${e instanceof Error ? e.message : e}`);
      }
    };
    timers.push(setInterval(() => void progress(), 5000));
    await new Promise<void>((done) => controller.signal.addEventListener("abort", () => done()));
  } catch (e) {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    await shutdown("error");
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
