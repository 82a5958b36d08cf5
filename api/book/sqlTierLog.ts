/**
 * The tier log over Postgres: the indexing process (`ponder start`) writes, `ponder serve`
 * replicas follow, so every replica answers `tierChanges` with the same changes under the same
 * sequence numbers. Tables live in their own schema, `<ponder schema>_xmargin`, which Ponder never
 * touches (dropping Ponder's schema to re-index keeps the log; the first load then records what
 * differs).
 *
 *   tier_change (seq PK, address, from_tier, to_tier, chain_id, block_number, timestamp, health_factor)
 *   account_tier (address PK, tier, seq)       each account's last tier (a load reads this, not the log)
 *   system_state (key PK, value)               'action': the system action's hysteresis state
 */
import type { Hex, SystemAction, Tier } from "../../risk/types.js";
import type { SqlRunner } from "./reader.js";
import { TierLogError, type TierLog, type TierLogState } from "./tierLog.js";
import type { TierChange } from "./types.js";

/** Rows per INSERT (the first load ever records one change per account). */
const BATCH = 500;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function tierLogSchema(ponderSchema: string): string {
  const name = `${ponderSchema}_xmargin`;
  if (name.length > 63) throw new TierLogError(`The tier log's schema name '${name}' is longer than Postgres's 63 characters; use a Ponder --schema of at most 55 characters.`);
  return name;
}

function fromRow(r: Record<string, unknown>): TierChange {
  return {
    seq: Number(r.seq),
    address: String(r.address) as Hex,
    from: r.from_tier === null ? null : (String(r.from_tier) as Tier),
    to: String(r.to_tier) as Tier,
    chainId: r.chain_id === null ? null : Number(r.chain_id),
    blockNumber: r.block_number === null ? null : BigInt(String(r.block_number)),
    timestamp: Number(r.timestamp),
    healthFactor: r.health_factor === null ? null : Number(r.health_factor),
  };
}

export function createSqlTierLog(run: SqlRunner, options: { ponderSchema: string; mode: "write" | "follow" }): TierLog {
  const s = quoteIdent(tierLogSchema(options.ponderSchema));
  let ensured: Promise<void> | null = null;
  let lastAction: SystemAction | null = null;

  /** The writer creates the tables; a replica waits for them (reads answer empty until then). */
  function ensure(): Promise<void> {
    if (options.mode === "follow") return Promise.resolve();
    ensured ??= (async () => {
      await run(`CREATE SCHEMA IF NOT EXISTS ${s}`, []);
      await run(
        `CREATE TABLE IF NOT EXISTS ${s}.tier_change (seq BIGINT PRIMARY KEY, address TEXT NOT NULL, from_tier TEXT, to_tier TEXT NOT NULL,
         chain_id INTEGER, block_number NUMERIC(78,0), timestamp BIGINT NOT NULL, health_factor DOUBLE PRECISION)`,
        [],
      );
      await run(`CREATE TABLE IF NOT EXISTS ${s}.account_tier (address TEXT PRIMARY KEY, tier TEXT NOT NULL, seq BIGINT NOT NULL)`, []);
      await run(`CREATE TABLE IF NOT EXISTS ${s}.system_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)`, []);
    })();
    return ensured;
  }

  async function exists(): Promise<boolean> {
    const rows = await run(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tier_change'`, [tierLogSchema(options.ponderSchema)]);
    return rows.length > 0;
  }

  async function readAction(): Promise<SystemAction | null> {
    const rows = await run(`SELECT value FROM ${s}.system_state WHERE key = 'action'`, []);
    return rows.length === 0 ? null : (String(rows[0]!.value) as SystemAction);
  }

  return {
    mode: options.mode,
    async load(maxRecent) {
      await ensure();
      if (!(await exists())) return { lastSeq: 0, tiers: new Map(), action: null, recent: [] };
      const [seqRows, tierRows, recentRows, action] = await Promise.all([
        run(`SELECT COALESCE(MAX(seq), 0) AS seq FROM ${s}.tier_change`, []),
        run(`SELECT address, tier FROM ${s}.account_tier`, []),
        run(`SELECT * FROM (SELECT * FROM ${s}.tier_change ORDER BY seq DESC LIMIT $1) r ORDER BY seq`, [maxRecent]),
        readAction(),
      ]);
      lastAction = action;
      const state: TierLogState = {
        lastSeq: Number(seqRows[0]?.seq ?? 0),
        tiers: new Map(tierRows.map((r) => [String(r.address) as Hex, String(r.tier) as Tier])),
        action,
        recent: recentRows.map(fromRow),
      };
      return state;
    },
    async append(changes, action) {
      if (options.mode === "follow") throw new TierLogError("A replica's tier log is read-only: only the indexing process (ponder start) records tier changes.");
      await ensure();
      for (let i = 0; i < changes.length; i += BATCH) {
        const batch = changes.slice(i, i + BATCH);
        const params: unknown[] = [];
        const values = batch.map((c) => {
          const base = params.length;
          params.push(c.seq, c.address, c.from, c.to, c.chainId, c.blockNumber === null ? null : c.blockNumber.toString(), c.timestamp, c.healthFactor === null || !Number.isFinite(c.healthFactor) ? null : c.healthFactor);
          return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}::integer, $${base + 6}::numeric, $${base + 7}, $${base + 8}::double precision)`;
        });
        // ON CONFLICT: a retried append after a failed one is harmless
        await run(`INSERT INTO ${s}.tier_change (seq, address, from_tier, to_tier, chain_id, block_number, timestamp, health_factor) VALUES ${values.join(", ")} ON CONFLICT (seq) DO NOTHING`, params);
        // each account's last tier in this batch
        const last = new Map<Hex, TierChange>();
        for (const c of batch) last.set(c.address, c);
        const tp: unknown[] = [];
        const tv = [...last.values()].map((c) => {
          const base = tp.length;
          tp.push(c.address, c.to, c.seq);
          return `($${base + 1}, $${base + 2}, $${base + 3})`;
        });
        await run(`INSERT INTO ${s}.account_tier (address, tier, seq) VALUES ${tv.join(", ")} ON CONFLICT (address) DO UPDATE SET tier = EXCLUDED.tier, seq = EXCLUDED.seq WHERE ${s}.account_tier.seq < EXCLUDED.seq`, tp);
      }
      if (action !== null && action !== lastAction) {
        await run(`INSERT INTO ${s}.system_state (key, value) VALUES ('action', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [action]);
        lastAction = action;
      }
    },
    async since(afterSeq, limit) {
      if (options.mode === "follow" && !(await exists())) return [];
      const rows = await run(`SELECT * FROM ${s}.tier_change WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
      return rows.map(fromRow);
    },
    async action() {
      if (options.mode === "follow" && !(await exists())) return null;
      return readAction();
    },
    async close() {},
  };
}
