/**
 * `npm start`: the whole local system in one command. Starts three anvil chains, deploys the
 * reference contracts, writes .xmargin/devnet/xmargin.config.json, starts Ponder on a fresh PGlite
 * directory (or DATABASE_URL), runs the market simulator and the reference liquidator, prints what
 * it started and indexing progress, and stops every child on Ctrl-C / SIGTERM / exit.
 *
 * Flags: --seed N (1) --accounts N (300) --port N (API, 4000) --no-simulator
 *        --crash-every SECONDS (90; 0 = never) --crash-pct P (0.25) --recovery SECONDS (45: after a
 *        crash prices drift back by 80% of the drop over this long; 0 = no drift)
 *        --step-ms N (500: a simulator step, ~12 account actions plus feeds, every N ms; the steps
 *        are pipelined, not waiting for the previous step's blocks)
 *        --no-liquidator --steps N (simulator stops after N steps)
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
import { redactUrl } from "../config/redactUrl.js";
import { DevnetError } from "./errors.js";
import { startPonder, type PonderProcess } from "./ponderProcess.js";
import { rpc } from "./rpc.js";
import { createSimulator, type Simulator } from "./simulator.js";
import { createAaveDriver } from "./aaveDriver.js";
import { createRng } from "./random.js";
import { startLiquidator, type Liquidator } from "./liquidator.js";
import { startAaveLiquidator, type AaveLiquidator } from "./aaveLiquidator.js";
import { startReaper } from "./reaper.js";
import { createNonceScope } from "./txSender.js";

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

const SYSTEM_QUERY =
  "{ system { accountsPerTier { safe marginCall liquidatable insolvent } action deficiencyUsd } badDebt { domains { protocol accounts badDebtUsd } } aaveEndangered(first: 500) { nodes { address } } }";

const usd = (text: string): string => {
  const n = Number(text);
  return `$${Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : text}`;
};

/**
 * One-line risk summary from the API (`tiers safe 250 / call 30 / liq 5 / insolvent 1, deficiency
 * $12,345, action NORMAL | aave 18 accounts, 2 liquidatable, bad debt $0`), or why not.
 */
export async function systemSummary(apiUrl: string): Promise<string> {
  try {
    const res = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: SYSTEM_QUERY }),
      signal: AbortSignal.timeout(3000),
    });
    const body = (await res.json()) as {
      data?: {
        system?: { accountsPerTier: { safe: number; marginCall: number; liquidatable: number; insolvent: number }; action: string; deficiencyUsd: string };
        badDebt?: { domains: { protocol: string; accounts: number; badDebtUsd: string }[] };
        aaveEndangered?: { nodes: unknown[] };
      };
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    const sys = body.data?.system;
    if (!sys) return `API: ${body.errors?.map((e) => e.extensions?.code ?? e.message).join(", ") ?? `HTTP ${res.status}`}`;
    const t = sys.accountsPerTier;
    const vault = `tiers safe ${t.safe} / call ${t.marginCall} / liq ${t.liquidatable} / insolvent ${t.insolvent}, deficiency ${usd(sys.deficiencyUsd)}, action ${sys.action}`;
    const aave = body.data?.badDebt?.domains.filter((d) => d.protocol === "AAVE_V3") ?? [];
    if (aave.length === 0) return vault;
    const bad = aave.reduce((sum, d) => sum + Number(d.badDebtUsd), 0);
    return `${vault} | aave ${aave.reduce((n, d) => n + d.accounts, 0)} accounts on ${aave.length} markets, ${body.data?.aaveEndangered?.nodes.length ?? 0} below HF 1, bad debt ${usd(String(bad))}`;
  } catch (e) {
    return `API: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function main(): Promise<void> {
  // First of all: the watchdog that stops every child if this process (or npm above it) is killed.
  startReaper();
  const flags = parseFlags(process.argv.slice(2), {
    values: ["seed", "accounts", "port", "crash-every", "crash-pct", "recovery", "step-ms", "steps", "chain-port-base"],
    booleans: ["simulator", "liquidator"],
  });
  const seed = intFlag(flags, "seed", 1);
  const accounts = intFlag(flags, "accounts", 300);
  const apiPort = intFlag(flags, "port", 4000);
  const crashEvery = intFlag(flags, "crash-every", 90);
  const crashPct = flags["crash-pct"] !== undefined ? Number(flags["crash-pct"]) : 0.25;
  const recoverySeconds = intFlag(flags, "recovery", 45);
  const stepMs = Math.max(50, intFlag(flags, "step-ms", 500));
  if (!(crashPct > 0 && crashPct < 1)) throw new DevnetError("BAD_FLAG", `--crash-pct must be in (0, 1), e.g. 0.25 for −25%; got '${String(flags["crash-pct"])}'`, { flag: "crash-pct" });
  const runSimulator = flags.simulator !== false;
  const runLiquidator = flags.liquidator !== false;
  const chainPortBase = flags["chain-port-base"] !== undefined ? intFlag(flags, "chain-port-base", 18545) : undefined;

  let chains: RunningChain[] = [];
  let ponder: PonderProcess | undefined;
  let liquidator: Liquidator | undefined;
  let aaveLiquidator: AaveLiquidator | undefined;
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      console.log(`\nstopping (${reason})…`);
      controller.abort();
      for (const t of timers) clearInterval(t);
      await Promise.all([liquidator?.stop().catch(() => undefined), aaveLiquidator?.stop().catch(() => undefined), ponder?.stop().catch(() => undefined)]);
      await stopChains(chains);
      console.log("stopped: ponder, chains" + (liquidator ? ", liquidator" : "") + (runSimulator ? ", simulator" : ""));
    })();
    return stopping;
  };
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal's process group and
  // relayed by the tsx wrapper); with no listener left, tsx's hidden handler exits at the second
  // one, before Ponder (its own process group) is stopped, and Ponder is orphaned.
  process.on("SIGINT", () => void shutdown("SIGINT").then(() => process.exit(130)));
  process.on("SIGTERM", () => void shutdown("SIGTERM").then(() => process.exit(143)));

  try {
    const t0 = Date.now();
    chains = await startChains(DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId, port: chainPortBase !== undefined ? chainPortBase + DEFAULT_CHAINS.indexOf(c) : c.defaultPort, blockTimeSeconds: c.blockTimeSeconds })));
    console.log(`chains up in ${Date.now() - t0} ms`);
    const deployment = await deployDevnet(chains, { aaveV3: true });
    console.log(`contracts deployed in ${Date.now() - t0} ms: the vault and an Aave v3 market (USDC, WETH, WBTC; Aave's own bytecode) on every chain`);

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
      // PGlite alone can take ~40 s to open on a busy 2-core machine
      startTimeoutMs: 300_000,
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
    console.log(`  database       ${pgliteDir ? `PGlite ${pgliteDir}` : `Postgres ${redactUrl(process.env.DATABASE_URL!)}`}`);
    console.log(`  API            ${ponder.url}  (pid ${ponder.pid})`);
    console.log(`  dashboard      ${ponder.url}/   (accounts at ${ponder.url}/account/0x…)`);
    console.log(`  GraphQL        ${ponder.url}/graphql  (GraphiQL in a browser)`);
    console.log(`  store GraphQL  ${ponder.url}/store/graphql`);
    console.log(`  status         ${ponder.url}/status   metrics ${ponder.url}/metrics`);
    console.log("");

    // the simulator (feeds, funding) and the liquidator (insurance payouts) both send as the vault owner
    const nonceScopes = Object.fromEntries(chains.map((c) => [c.name, createNonceScope()]));
    let sim: Simulator | undefined;
    if (runSimulator) {
      const s = createSimulator({ chains, deployment, seed, accounts, nonceScopes });
      sim = s;
      const tSetup = Date.now();
      await s.setup();
      console.log(
        `simulator: ${accounts} accounts set up in ${Date.now() - tSetup} ms, seed ${seed}, a step every ${stepMs} ms` +
          (crashEvery ? `, crash −${crashPct * 100}% every ${crashEvery}s${recoverySeconds ? ` with ${recoverySeconds}s recovery drift` : ""}` : ""),
      );
      const steps = flags.steps !== undefined ? intFlag(flags, "steps", 0) : undefined;
      const recoverySteps = Math.round((recoverySeconds * 1000) / stepMs);
      const fmt = (p: { BTC: number; ETH: number; ARB: number }) => `BTC ${p.BTC.toFixed(0)} ETH ${p.ETH.toFixed(0)} ARB ${p.ARB.toFixed(3)}`;
      void s
        .run({
          steps,
          intervalMs: stepMs,
          signal: controller.signal,
          onStep: (r) => {
            if (r.crashed !== null) console.log(`crash (random, step ${r.step}): market −${(r.crashed * 100).toFixed(0)}% → ${fmt(s.prices)}`);
          },
        })
        .catch((e) => {
          if (!controller.signal.aborted) console.error(`simulator stopped: ${e instanceof Error ? e.message : e}`);
        });
      // Aave accounts: one action per chain every 5 steps (~20% of the vault's step rate), so live
      // indexing load stays close to the vault-only devnet's.
      const aaveDrivers = deployment.chains.map((c, i) => ({ chain: c.name, driver: createAaveDriver({ rpcUrl: c.rpcUrl, market: c.aaveV3!, seed: seed * 10 + i, log: () => {} }) }));
      await Promise.all(aaveDrivers.map((d) => d.driver.setup()));
      console.log(`aave: ${aaveDrivers.reduce((n, d) => n + d.driver.accounts.length, 0)} accounts supplying on ${aaveDrivers.length} chains; an Aave action per chain every ${stepMs * 5} ms`);
      for (const [i, d] of aaveDrivers.entries()) {
        const rng = createRng(seed * 1000 + i);
        void (async () => {
          while (!controller.signal.aborted) {
            await d.driver.step(rng);
            await new Promise((r) => setTimeout(r, stepMs * 5));
          }
        })().catch((e) => {
          if (!controller.signal.aborted) console.error(`aave driver on ${d.chain} stopped: ${e instanceof Error ? e.message : e}`);
        });
      }
      if (crashEvery > 0) {
        timers.push(
          setInterval(() => {
            const before = s.prices;
            const t = Date.now();
            void s.crash({ asset: "all", pct: crashPct, recoverySteps }).then(
              () => console.log(`crash: every risky asset −${crashPct * 100}% on every chain, vault and Aave (${fmt(before)} → ${fmt(s.prices)}), feeds mined in ${Date.now() - t} ms${recoverySteps ? `; drifting back over ${recoverySeconds}s` : ""}`),
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
        nonceScopes,
        log: (m) => console.log(`[liquidator] ${m}`),
      });
      aaveLiquidator = await startAaveLiquidator({ apiUrl: ponder.url, deployment, log: (m) => console.log(`[liquidator] ${m}`) });
    }

    // progress: per chain indexed block vs head, events/s from Ponder's metrics
    let lastEvents = 0;
    let lastSimEvents = 0;
    let lastAt = Date.now();
    const progress = async (): Promise<void> => {
      try {
        const [status, metrics, heads, risk] = await Promise.all([
          ponder!.status(),
          fetch(`${ponder!.url}/metrics`).then((r) => r.text()),
          Promise.all(chains.map((c) => rpc<string>(c.rpcUrl, "eth_blockNumber").then((h) => Number(BigInt(h))))),
          systemSummary(ponder!.url),
        ]);
        const events = sumMetric(metrics, "ponder_indexing_completed_events");
        const seconds = (Date.now() - lastAt) / 1000;
        const rate = (events - lastEvents) / seconds;
        lastEvents = events;
        lastAt = Date.now();
        const parts = chains.map((c, i) => `${c.name} ${status[c.name]?.block.number ?? "-"}/${heads[i]}`);
        let simPart = "";
        if (sim) {
          const st = sim.stats();
          simPart = ` | simulator ${st.steps} steps, ${st.events} events (${((st.events - lastSimEvents) / seconds).toFixed(0)}/s)${st.txFailed ? `, ${st.txFailed} reverted` : ""}`;
          lastSimEvents = st.events;
        }
        let liqPart = "";
        if (liquidator) {
          const ls = liquidator.stats();
          liqPart = ` | liquidations ${ls.liquidations}${ls.insurancePaidUsd >= 0.5 ? ` (insurance paid $${Math.round(ls.insurancePaidUsd).toLocaleString("en-US")})` : ""}`;
          if (aaveLiquidator) liqPart += `, aave ${aaveLiquidator.stats().liquidations}`;
        }
        console.log(`indexed ${parts.join("  ")} | ${events} events (${rate.toFixed(0)}/s)${simPart}${liqPart} | ${risk}`);
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
