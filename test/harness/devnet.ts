/**
 * The devnet fixture for integration suites: three anvil chains (automine by default), the
 * reference contracts deployed, and an XMARGIN_CONFIG file written into a fresh temp dir, with a
 * fresh PGlite directory beside it (Ponder's RPC cache is keyed by chain id only).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startChains, stopChains, type RunningChain } from "../../devnet/chains.js";
import { writeDevnetConfig, type DevnetConfigOptions } from "../../devnet/config.js";
import { DEFAULT_CHAINS } from "../../devnet/defaults.js";
import { deployDevnet, type DevnetDeployment } from "../../devnet/deploy.js";
import { rpc } from "../../devnet/rpc.js";
import type { CaughtUpChain } from "../../devnet/ponderProcess.js";
import type { TruthChain } from "./groundTruth.js";
import { track, untrack } from "./processes.js";

export interface DevnetFixtureOptions extends DevnetConfigOptions {
  /** Seconds between blocks for every chain; null = automine (default). */
  blockTimeSeconds?: number | null;
  /** After deployment, switch automine off (evm_setAutomine false): blocks only on evm_mine, for the simulator's bulk mode. */
  manualMining?: boolean;
  gasLimit?: bigint;
  /** Also deploy a real Aave v3 market on every chain (devnet/aave.ts). Default false. */
  aaveV3?: boolean;
  /** Chain specs (default: devnet/defaults DEFAULT_CHAINS, l1 l2a l2b). */
  chains?: { name: string; chainId: number }[];
}

export interface DevnetFixture {
  chains: RunningChain[];
  deployment: DevnetDeployment;
  /** Temp dir holding the config and the PGlite dirs; removed by stop(). */
  dir: string;
  configPath: string;
  config: { chains: Record<string, TruthChain & { rpc: string }> } & Record<string, unknown>;
  /** The config's chains in ground-truth form. */
  truthChains: TruthChain[];
  /** For PonderProcess.waitCaughtUp. */
  caughtUp: CaughtUpChain[];
  /** A fresh PGlite directory inside `dir` (a new one per call). */
  pgliteDir(label?: string): string;
  stop(): Promise<void>;
}

let pgliteCounter = 0;

/** Start chains, deploy, write the config. Stops what it started if any step fails. */
export async function withDevnet(options: DevnetFixtureOptions = {}): Promise<DevnetFixture> {
  const specs = options.chains ?? DEFAULT_CHAINS.map((c) => ({ name: c.name, chainId: c.chainId }));
  const dir = mkdtempSync(path.join(os.tmpdir(), "xmargin-devnet-"));
  let chains: RunningChain[] = [];
  try {
    chains = await startChains(
      specs.map((c) => ({
        name: c.name,
        chainId: c.chainId,
        blockTimeSeconds: options.blockTimeSeconds ?? null,
        gasLimit: options.gasLimit,
      })),
    );
    for (const c of chains) track(c.pid, `anvil:${c.name}`, false);
    const deployment = await deployDevnet(
      chains.map((c) => ({ name: c.name, chainId: c.chainId, rpcUrl: c.rpcUrl })),
      { aaveV3: options.aaveV3 ?? false },
    );
    if (options.manualMining) await Promise.all(chains.map((c) => rpc(c.rpcUrl, "evm_setAutomine", [false])));
    const configPath = path.join(dir, "xmargin.config.json");
    const config = writeDevnetConfig(deployment, configPath, {
      ...options,
      pgliteDir: options.pgliteDir ?? path.join(dir, "pglite-default"),
    }) as DevnetFixture["config"];
    const truthChains = Object.entries(config.chains).map(([name, c]) => ({ ...c, name }));
    let stopped = false;
    return {
      chains,
      deployment,
      dir,
      configPath,
      config,
      truthChains,
      caughtUp: chains.map((c) => ({ name: c.name, chainId: c.chainId, rpcUrl: c.rpcUrl })),
      pgliteDir: (label = "pglite") => path.join(dir, `${label}-${++pgliteCounter}`),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopChains(chains);
        for (const c of chains) untrack(c.pid);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChains(chains);
    for (const c of chains) untrack(c.pid);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
