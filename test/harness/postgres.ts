/**
 * A throwaway Postgres server for one test run: initdb as the `postgres` user into a temp dir,
 * a random port below 32768, unix sockets inside the temp dir, `pg_ctl -w start`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, appendFileSync, chownSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { XmarginError } from "../../errors.js";
import { freePort } from "./ports.js";
import { findPostgresBinDir } from "./prerequisites.js";
import { track, untrack } from "./processes.js";

export class PostgresHarnessError extends XmarginError {
  override name = "PostgresHarnessError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("POSTGRES_HARNESS", message, { details });
  }
}

export interface TestPostgres {
  /** postgresql://xmargin@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** A new database on this server, for one Ponder run; returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The PostgreSQL server binaries directory (highest version in /usr/lib/postgresql/*\/bin). */
export function findPostgresBin(): string {
  const bin = findPostgresBinDir();
  if (!bin) {
    throw new PostgresHarnessError(
      "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (initdb, pg_ctl). Install them: `apt-get install -y --no-install-recommends postgresql` (npm test does when it runs as root or with passwordless sudo).",
    );
  }
  return bin;
}

function asPostgres(bin: string, args: string[]): string {
  const isRoot = process.getuid?.() === 0;
  const cmd = isRoot ? "runuser" : bin;
  const fullArgs = isRoot ? ["-u", "postgres", "--", bin, ...args] : args;
  const res = spawnSync(cmd, fullArgs, { encoding: "utf8" });
  if (res.status !== 0) {
    throw new PostgresHarnessError(`${path.basename(bin)} failed (exit ${res.status}): ${res.stderr || res.stdout}`, { args });
  }
  return res.stdout;
}

/** Start a fresh Postgres server; call `stop()` in afterAll (it also removes the data dir). */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const base = mkdtempSync(path.join(os.tmpdir(), "xmargin-pg-"));
  const dataDir = path.join(base, "data");
  const logFile = path.join(base, "postgres.log");
  chmodSync(base, 0o755);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(base, uid, gid);
  }
  asPostgres(path.join(bin, "initdb"), ["-D", dataDir, "-U", "xmargin", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"]);
  const port = await freePort();
  appendFileSync(
    path.join(dataDir, "postgresql.conf"),
    [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${base}'`,
      `max_connections = 200`,
      `fsync = off`,
      `synchronous_commit = off`,
      `full_page_writes = off`,
      `shared_buffers = 128MB`,
      "",
    ].join("\n"),
  );
  // pg_ctl -w returns once the server accepts connections; postgres is a daemon outside our group.
  asPostgres(path.join(bin, "pg_ctl"), ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"]);
  const pidLine = asPostgres(path.join(bin, "pg_ctl"), ["-D", dataDir, "status"]);
  const pid = Number(/PID: (\d+)/.exec(pidLine)?.[1] ?? 0);
  if (pid) track(pid, `postgres:${port}`, false, "SIGQUIT");
  const url = `postgresql://xmargin@127.0.0.1:${port}/postgres`;

  let stopped = false;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new PostgresHarnessError(`Invalid database name "${name}": use [a-z0-9_].`);
      const pg = await import("pg");
      const client = new pg.default.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgresql://xmargin@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPostgres(path.join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"]);
      } catch {
        if (pid) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
      }
      if (pid) untrack(pid);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
