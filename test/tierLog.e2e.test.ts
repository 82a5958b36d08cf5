/**
 * Tier changes survive a crash of the indexing process (issue: serving isolation, part 6): the real
 * xmargin Ponder app on PGlite over three anvil chains, trading and a price crash, `kill -9` of the
 * Ponder process, a restart on the same directory and schema. The restarted API answers the same
 * tier changes under the same sequence numbers (a client's `after:` cursor still points at the same
 * change), the first start recorded every account's first tier, and the system action is the one
 * the first process reached.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPonder, type PonderProcess } from "../devnet/ponderProcess.js";
import { createSimulator, type Simulator } from "../devnet/simulator.js";
import { tierLogAccess } from "../api/serving/fromPonder.js";
import { Cleanup, uniqueSchema } from "./harness/cleanup.js";
import { withDevnet, type DevnetFixture } from "./harness/devnet.js";
import { freePort } from "./harness/ports.js";
import { apiGraphql, pollUntil } from "./harness/storeGraphql.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const cleanup = new Cleanup();
let devnet: DevnetFixture;
let sim: Simulator;

const CHANGES = `query($after: String) { tierChanges(first: 500, after: $after) { nodes { seq address from to chainId blockNumber timestamp } pageInfo { hasNextPage endCursor } } }`;

interface Change {
  seq: number;
  address: string;
  from: string | null;
  to: string;
}

async function allChanges(url: string): Promise<Change[]> {
  const out: Change[] = [];
  let after: string | null = null;
  for (;;) {
    const d: { tierChanges: { nodes: Change[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await apiGraphql(url, CHANGES, { after });
    out.push(...d.tierChanges.nodes);
    if (!d.tierChanges.pageInfo.hasNextPage) return out;
    after = d.tierChanges.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  devnet = cleanup.add(await withDevnet({ pollingIntervalMs: 200 }), (d) => d.stop(), "devnet");
  sim = createSimulator({ deployment: devnet.deployment, chains: devnet.chains, accounts: 30, seed: 11 });
  await sim.run({ steps: 10 });
}, 300_000);

afterAll(async () => {
  await cleanup.run();
});

describe("tier log across kill -9 (PGlite)", () => {
  it("the restarted API answers the same changes under the same seqs, then goes on numbering", async () => {
    const schema = uniqueSchema("tier_log");
    const pgliteDir = devnet.pgliteDir("tier-log");
    const start = async (): Promise<PonderProcess> =>
      cleanup.add(await startPonder({ cwd: ROOT, configPath: devnet.configPath, schema, port: await freePort(), pgliteDir, startTimeoutMs: 180_000 }), (p) => p.kill9(), "ponder");

    const first = await start();
    await first.waitCaughtUp(devnet.caughtUp, 300_000);
    const accounts = await pollUntil(async () => {
      const d = await apiGraphql(first.url, `{ accounts(first: 1) { totalCount } }`).catch(() => undefined);
      return d && d.accounts.totalCount > 0 ? d.accounts.totalCount : undefined;
    }, 60_000, "the risk API's book");
    // The first start ever: every account's first tier is recorded.
    const initial = await pollUntil(async () => {
      const c = await allChanges(first.url);
      return c.filter((x) => x.from === null).length >= accounts ? c : undefined;
    }, 30_000, "first tiers recorded");
    // each account's first change is its first tier (from null), seqs ascending from 1
    const firstOf = new Map<string, Change>();
    for (const c of initial) if (!firstOf.has(c.address)) firstOf.set(c.address, c);
    expect(firstOf.size).toBeGreaterThanOrEqual(accounts);
    expect([...firstOf.values()].every((c) => c.from === null)).toBe(true);
    expect(initial[0]!.seq).toBe(1);
    expect(initial.every((c, i) => i === 0 || c.seq > initial[i - 1]!.seq)).toBe(true);

    // A crash: tiers change.
    await sim.crash({ pct: 0.45 });
    await sim.run({ steps: 3 });
    await first.waitCaughtUp(devnet.caughtUp, 120_000);
    // Settled: the crash's changes are in, and two reads a second apart agree (no trading now).
    let previous: Change[] = [];
    const before = await pollUntil(async () => {
      const c = await allChanges(first.url);
      const same = c.some((x) => x.from !== null) && JSON.stringify(c) === JSON.stringify(previous);
      previous = c;
      return same ? c : undefined;
    }, 90_000, "tier changes after the crash, settled", 1000);
    const action = (await apiGraphql(first.url, `{ system { action } }`)).system.action;
    // The log file is where fromPonder.ts puts it, beside the PGlite directory.
    const access = tierLogAccess({ kind: "pglite" }, pgliteDir, schema, "start");
    expect(access.kind === "file" && existsSync(access.path)).toBe(true);
    await first.kill9();

    const second = await start();
    await second.waitCaughtUp(devnet.caughtUp, 300_000);
    const after = await pollUntil(async () => {
      const c = await allChanges(second.url).catch(() => undefined);
      return c && c.length >= before.length ? c : undefined;
    }, 120_000, "the restarted risk API's tier changes");
    expect(after.slice(0, before.length)).toEqual(before);
    // No account is recorded as first seen again. (The restarted book may record transitions while
    // the store catches up from Ponder's last checkpoint: those are states it really served.)
    const known = new Set(before.map((c) => c.address));
    const since = after.slice(before.length);
    expect(since.filter((c) => c.from === null && known.has(c.address))).toEqual([]);
    expect(since.every((c, i) => c.seq === before.at(-1)!.seq + 1 + i)).toBe(true);
    const cursor = String(after.at(-1)!.seq);
    // The same action once the restarted book has caught up (while it catches up it may serve the
    // older checkpoints' action; a lost hysteresis state would never come back and time out here).
    await pollUntil(async () => ((await apiGraphql(second.url, `{ system { action } }`)).system.action === action ? true : undefined), 60_000, `the restarted API's system action (${action})`);

    // Trading on: new changes continue the numbering.
    await sim.crash({ pct: 0.3 });
    await second.waitCaughtUp(devnet.caughtUp, 120_000);
    const more = await pollUntil(async () => {
      const d = await apiGraphql(second.url, CHANGES, { after: cursor });
      return d.tierChanges.nodes.length > 0 ? (d.tierChanges.nodes as Change[]) : undefined;
    }, 60_000, "changes after the restart");
    expect(more[0]!.seq).toBe(after.at(-1)!.seq + 1);
    await second.stop();
  }, 900_000);
});
