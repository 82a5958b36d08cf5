/**
 * Run the market simulator against a running devnet.
 *   tsx devnet/simulate.ts [--config .xmargin/devnet/xmargin.config.json] [--seed 1] [--accounts 300]
 *                          [--steps N | --duration-ms N] [--rpc l1=http://127.0.0.1:18545 ...]
 *                          [--crash ETH:0.3]
 */
import { intFlag, parseFlags } from "./args.js";
import { redactUrl } from "../config/redactUrl.js";
import { readDeploymentFromConfigFile } from "./deploymentFromConfig.js";
import { createSimulator } from "./simulator.js";
import type { RiskyAsset } from "./prices.js";

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { values: ["config", "seed", "accounts", "steps", "duration-ms", "rpc", "crash", "actions-per-step"] });
  const configPath = String(flags.config ?? process.env.XMARGIN_CONFIG ?? ".xmargin/devnet/xmargin.config.json");
  const deployment = readDeploymentFromConfigFile(configPath);
  const chains = deployment.chains.map((c) => ({ name: c.name, rpcUrl: process.env[`XMARGIN_RPC_${c.name.toUpperCase()}`] ?? c.rpcUrl }));
  for (const pair of typeof flags.rpc === "string" ? flags.rpc.split(",") : []) {
    const [name, url] = pair.split("=");
    const chain = chains.find((c) => c.name === name);
    if (!chain || !url) throw new Error(`--rpc expects <chain>=<url> with chain one of ${chains.map((c) => c.name).join(", ")}; got '${pair}'`);
    chain.rpcUrl = url;
  }
  const sim = createSimulator({
    chains,
    deployment,
    seed: intFlag(flags, "seed", 1),
    accounts: intFlag(flags, "accounts", 300),
    actionsPerStep: flags["actions-per-step"] ? intFlag(flags, "actions-per-step", 12) : undefined,
  });
  console.log(`simulating on ${chains.map((c) => `${c.name} ${redactUrl(c.rpcUrl)}`).join(", ")}`);
  if (typeof flags.crash === "string") {
    const [asset, pct] = flags.crash.split(":");
    await sim.crash({ asset: asset === "all" ? "all" : (asset as RiskyAsset), pct: Number(pct) });
    console.log(`crashed ${asset} by ${Number(pct) * 100}%`);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  const steps = flags.steps !== undefined ? intFlag(flags, "steps", 0) : undefined;
  const durationMs = flags["duration-ms"] !== undefined ? intFlag(flags, "duration-ms", 0) : undefined;
  if (steps === 0 && typeof flags.crash === "string") return;
  const stats = await sim.run({
    steps,
    durationMs,
    signal: controller.signal,
    onProgress: (s) => {
      if (s.steps % 10 === 0) {
        console.log(`step ${s.steps}: ${s.events} events, ${s.txFailed}/${s.txSent} tx failed, ETH ${s.prices.ETH.toFixed(2)} BTC ${s.prices.BTC.toFixed(0)} ARB ${s.prices.ARB.toFixed(4)}`);
      }
    },
  });
  console.log(JSON.stringify({ steps: stats.steps, events: stats.events, txSent: stats.txSent, txFailed: stats.txFailed, perChain: stats.perChain }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
