/** Local EVM chains: anvil processes started from the binary directly (so the PID is anvil's own). */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AnvilStartError } from "./errors.js";
import { registerChild, unregisterChild } from "./reaper.js";
import { rpc } from "./rpc.js";

export const ANVIL_BIN = resolve(
  fileURLToPath(import.meta.url),
  "..",
  "..",
  "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
);

export interface ChainOptions {
  name: string;
  chainId: number;
  /** A free port is chosen in 20000–32000 when omitted. */
  port?: number;
  /** Seconds between blocks; null or undefined = automine. */
  blockTimeSeconds?: number | null;
  /** Mine only on `evm_mine` (bulk mode). Overrides blockTimeSeconds. */
  noMining?: boolean;
  /** Block gas limit; bulk mode raises it so one block carries thousands of transactions. */
  gasLimit?: bigint;
  startTimeoutMs?: number;
}

export interface RunningChain {
  name: string;
  chainId: number;
  rpcUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a crashing parent must not orphan its chains.
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** True when nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
}

const reserved = new Set<number>();

/** A random free port in [20000, 32000), below Linux's ephemeral range; never the same twice per process. */
export async function findFreePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (reserved.has(port)) continue;
    if (await isPortFree(port)) {
      reserved.add(port);
      return port;
    }
  }
  throw new AnvilStartError("no free port found in 20000–32000 after 200 tries", {});
}

/** Start one anvil and wait until it answers eth_chainId with the expected id. */
export async function startChain(opts: ChainOptions): Promise<RunningChain> {
  installExitHook();
  const port = opts.port ?? (await findFreePort());
  if (opts.port !== undefined && !(await isPortFree(port))) {
    throw new AnvilStartError(`port ${port} for chain '${opts.name}' is in use; stop what holds it or pick another port`, {
      chain: opts.name,
      port,
    });
  }
  const args = ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(opts.chainId), "--quiet"];
  if (opts.noMining) args.push("--no-mining");
  else if (opts.blockTimeSeconds) args.push("--block-time", String(opts.blockTimeSeconds));
  if (opts.gasLimit !== undefined) args.push("--gas-limit", opts.gasLimit.toString());

  const child = spawn(ANVIL_BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  if (child.pid !== undefined) registerChild({ pid: child.pid, group: false, label: `anvil:${opts.name}` });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: { code: number | null; signal: string | null } | undefined;
  const exitPromise = new Promise<void>((done) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      if (child.pid !== undefined) unregisterChild(child.pid);
      done();
    });
  });
  const rpcUrl = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) {
      throw new AnvilStartError(
        `anvil for chain '${opts.name}' exited (code ${exited.code}, signal ${exited.signal}) before answering on port ${port}: ${stderr.trim()}`,
        { chain: opts.name, port, stderr },
      );
    }
    try {
      const id = await rpc<string>(rpcUrl, "eth_chainId");
      if (BigInt(id) !== BigInt(opts.chainId)) {
        await stop();
        throw new AnvilStartError(`port ${port} answered chain id ${BigInt(id)}, expected ${opts.chainId}: another node holds it`, {
          chain: opts.name,
          port,
        });
      }
      break;
    } catch (e) {
      if (e instanceof AnvilStartError) throw e;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new AnvilStartError(`anvil for chain '${opts.name}' did not answer eth_chainId on port ${port} within the deadline`, {
        chain: opts.name,
        port,
        stderr,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: opts.name, chainId: opts.chainId, rpcUrl, port, pid: child.pid!, stop };
}

/** Start several chains in parallel; if one fails, the others are stopped before the error is thrown. */
export async function startChains(opts: ChainOptions[]): Promise<RunningChain[]> {
  const results = await Promise.allSettled(opts.map((o) => startChain(o)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(results.map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<RunningChain>).value);
}

/** Stop every chain; never throws. */
export async function stopChains(chains: readonly RunningChain[]): Promise<void> {
  await Promise.allSettled(chains.map((c) => c.stop()));
}
