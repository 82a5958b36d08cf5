/**
 * The reference Aave liquidator: follows the API's Aave accounts below health factor 1
 * (the `aaveEndangered` subscription, pushed after every new read of the markets, polled while it
 * is down; each entry carries the liquidationCall Aave's rule allows: close factor, bonus and
 * protocol fee applied) and sends `Pool.liquidationCall(collateralAsset, debtAsset, user,
 * debtToCover, false)` for each, from its own devnet account funded with every reserve's token.
 * A call that reverts (the account recovered, or someone else liquidated first) is counted, never
 * fatal. An account is called again only after the API's numbers moved past the block it acted on.
 */
import { encodeAbiParameters, encodeFunctionData, encodePacked, getAddress, keccak256, type Abi, type Address, type Hex } from "viem";
import { loadAaveArtifact } from "../protocols/aaveV3/artifacts.js";
import type { DevnetDeployment } from "./deploy.js";
import { createClient, type Client } from "graphql-sse";
import { rpcBatchStrict } from "./rpc.js";
import { TxSender } from "./txSender.js";

const ENDANGERED_NODE = "nodes { address chainId pool blockNumber rule { healthFactor bestLiquidation { collateralAsset debtAsset debtToCoverRaw collateralToLiquidatorRaw } } }";

export const AAVE_ENDANGERED_QUERY = /* GraphQL */ `
  query AaveEndangered($first: Int) {
    aaveEndangered(maxHealthFactor: "1", first: $first) { ${ENDANGERED_NODE} }
  }
`;

/** The same list, pushed after every new read of the Aave markets. */
export const AAVE_ENDANGERED_SUBSCRIPTION = /* GraphQL */ `
  subscription AaveEndangered($first: Int) {
    aaveEndangered(maxHealthFactor: "1", first: $first) { ${ENDANGERED_NODE} }
  }
`;

const LIQUIDATION_GAS = 2_500_000n;
const TOKEN_BALANCE_SLOT = 3n;
const TOKEN_ALLOWANCE_SLOT = 4n;
const MAX_UINT256 = 2n ** 256n - 1n;
/** Enough of every reserve's token for any devnet liquidation (raw units). */
const FUNDING_RAW = 10n ** 40n;

export interface AaveLiquidatorStats {
  /** liquidationCalls mined without revert */
  liquidations: number;
  /** reverted or failed to send */
  failedTxs: number;
  /** API or RPC errors of a round */
  errors: number;
}

export interface AaveLiquidator {
  /** The account that liquidates (same address on every chain). */
  readonly address: Address;
  stats(): AaveLiquidatorStats;
  /** One round now: read the list, liquidate; resolves with the calls mined. */
  round(): Promise<number>;
  stop(): Promise<void>;
}

export interface AaveLiquidatorOptions {
  apiUrl: string;
  deployment: DevnetDeployment;
  /**
   * Act on the API's `aaveEndangered` subscription (default true): a round per push, i.e. per new
   * read of the markets. The poll below then runs only while the subscription is down.
   */
  subscribe?: boolean;
  /** Rounds every this many ms (default 1000); 0: only when `round()` is called (or pushed). */
  intervalMs?: number;
  log?: (message: string) => void;
}

const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}`;
const mappingSlot = (key: Address, slot: bigint | Hex): Hex =>
  keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [key, typeof slot === "bigint" ? word(slot) : slot]));

interface EndangeredNode {
  address: Address;
  chainId: number;
  pool: Address;
  blockNumber: string | null;
  rule: { healthFactor: string | null; bestLiquidation: { collateralAsset: Address; debtAsset: Address; debtToCoverRaw: string; collateralToLiquidatorRaw: string } | null };
}

export async function startAaveLiquidator(opts: AaveLiquidatorOptions): Promise<AaveLiquidator> {
  const address = getAddress(`0x${keccak256(encodePacked(["string"], ["xmargin-aave-liquidator"])).slice(26)}`);
  const poolAbi = loadAaveArtifact("Pool").abi as Abi;
  const log = opts.log ?? (() => {});
  const stats: AaveLiquidatorStats = { liquidations: 0, failedTxs: 0, errors: 0 };
  const chains = opts.deployment.chains.filter((c) => c.aaveV3 !== undefined);
  const senders = new Map(chains.map((c) => [c.chainId, new TxSender<string>(c.rpcUrl, false, 500, undefined, { log })]));
  /** per (chain, user): the block the last call acted on; the next waits for newer numbers */
  const actedAt = new Map<string, bigint>();

  /** Gas, every reserve's token and the Pool's allowance, by storage writes (devnet only). */
  async function fund(): Promise<void> {
    await Promise.all(
      chains.map(async (c) => {
        const calls: { method: string; params: unknown[] }[] = [
          { method: "anvil_impersonateAccount", params: [address] },
          { method: "anvil_setBalance", params: [address, "0x3635c9adc5dea00000"] },
        ];
        for (const r of c.aaveV3!.reserves) {
          calls.push({ method: "anvil_setStorageAt", params: [r.underlying, mappingSlot(address, TOKEN_BALANCE_SLOT), word(FUNDING_RAW)] });
          calls.push({ method: "anvil_setStorageAt", params: [r.underlying, mappingSlot(c.aaveV3!.pool, mappingSlot(address, TOKEN_ALLOWANCE_SLOT)), word(MAX_UINT256)] });
        }
        await rpcBatchStrict(c.rpcUrl, calls);
      }),
    );
  }
  await fund();

  async function endangered(): Promise<EndangeredNode[]> {
    const res = await fetch(`${opts.apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: AAVE_ENDANGERED_QUERY, variables: { first: 50 } }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { data?: { aaveEndangered: { nodes: EndangeredNode[] } }; errors?: { message: string; extensions?: { code?: string } }[] };
    if (!body.data) throw new Error(`aaveEndangered: ${body.errors?.map((e) => e.extensions?.code ?? e.message).join(", ") ?? `HTTP ${res.status}`}`);
    return body.data.aaveEndangered.nodes;
  }

  let running: Promise<number> | null = null;
  /** nodes pushed while a round ran: the next round acts on them */
  let pushed: EndangeredNode[] | null = null;
  async function doRound(given: EndangeredNode[] | null): Promise<number> {
    let nodes: EndangeredNode[];
    try {
      nodes = given ?? (await endangered());
    } catch (error) {
      stats.errors++;
      if (stats.errors === 1 || stats.errors % 60 === 0) log(`aave: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
    let mined = 0;
    const byChain = new Map<number, EndangeredNode[]>();
    for (const n of nodes) {
      const plan = n.rule.bestLiquidation;
      if (plan === null || !senders.has(n.chainId)) continue;
      const key = `${n.chainId}:${n.address}`;
      const at = n.blockNumber === null ? 0n : BigInt(n.blockNumber);
      const last = actedAt.get(key);
      if (last !== undefined && at <= last) continue; // the numbers do not show our last call yet
      actedAt.set(key, at);
      byChain.set(n.chainId, [...(byChain.get(n.chainId) ?? []), n]);
    }
    if (byChain.size > 0) await fund().catch(() => undefined); // top up: the balance is spent by liquidations
    await Promise.all(
      [...byChain].map(async ([chainId, list]) => {
        const sender = senders.get(chainId)!;
        const txs = list.map((n) => {
          const p = n.rule.bestLiquidation!;
          return {
            from: address,
            to: n.pool,
            gas: LIQUIDATION_GAS,
            data: encodeFunctionData({ abi: poolAbi, functionName: "liquidationCall", args: [p.collateralAsset, p.debtAsset, n.address, BigInt(p.debtToCoverRaw), false] } as never),
            meta: `liquidationCall ${n.address} on ${chainId} (HF ${n.rule.healthFactor})`,
          };
        });
        for (const o of await sender.submit(txs)) {
          if (o.error === null && o.blockNumber !== null) {
            stats.liquidations++;
            mined++;
            log(`aave: ${o.meta} mined in block ${o.blockNumber}`);
          } else stats.failedTxs++;
        }
      }),
    );
    return mined;
  }

  const round = (given: EndangeredNode[] | null = null): Promise<number> => {
    if (running) {
      if (given !== null) pushed = given;
      return running;
    }
    running = doRound(given).finally(() => {
      running = null;
      const next = pushed;
      pushed = null;
      if (next !== null && !stopped) void round(next);
    });
    return running;
  };

  const intervalMs = opts.intervalMs ?? 1000;
  let stopped = false;
  let subscribed = false;
  const timer = intervalMs > 0 ? setInterval(() => void (stopped || subscribed ? undefined : round()), intervalMs) : null;

  let client: Client | undefined;
  let lastProblem = "";
  const note = (problem: string) => {
    if (problem !== lastProblem) log(`aave: ${problem}`);
    lastProblem = problem;
  };
  const loop =
    opts.subscribe === false
      ? Promise.resolve()
      : (async () => {
          let backoffMs = 1000;
          while (!stopped) {
            client = createClient({ url: `${opts.apiUrl.replace(/\/$/, "")}/graphql`, singleConnection: false, retryAttempts: 0 });
            try {
              for await (const result of client.iterate<{ aaveEndangered: { nodes: EndangeredNode[] } }>({ query: AAVE_ENDANGERED_SUBSCRIPTION, variables: { first: 50 } })) {
                if (stopped) break;
                if (result.errors?.length || !result.data) {
                  subscribed = false;
                  note(`subscription error: ${result.errors?.map((e) => e.message).join("; ") ?? "no data"} (polling meanwhile)`);
                  continue;
                }
                if (!subscribed) note(`subscribed to aaveEndangered at ${opts.apiUrl}/graphql`);
                subscribed = true;
                backoffMs = 1000;
                void round(result.data.aaveEndangered.nodes);
              }
            } catch (e) {
              if (!stopped) note(`subscription dropped: ${e instanceof Error ? e.message : String(e)} (polling meanwhile, reconnecting)`);
            } finally {
              subscribed = false;
              client.dispose();
            }
            if (!stopped) await new Promise((r) => setTimeout(r, backoffMs));
            backoffMs = Math.min(backoffMs * 2, 10_000);
          }
        })();
  return {
    address,
    stats: () => ({ ...stats }),
    round: () => round(),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      client?.dispose();
      await Promise.race([loop, new Promise((r) => setTimeout(r, 3000))]);
      await running?.catch(() => undefined);
    },
  };
}
