import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { coalesce, listenPglite, liveQueryChannel } from "./commitFeed.js";

// A real PGlite with the same kind of trigger Ponder keeps on _ponder_checkpoint once live:
// a statement trigger that calls pg_notify('<schema>_live_query', …).
let db: PGlite;
const schema = "Feed_Test";

beforeAll(async () => {
  db = new PGlite();
  await db.exec(`
    CREATE TABLE checkpoint (chain text PRIMARY KEY, latest text);
    INSERT INTO checkpoint VALUES ('l1', '0');
    CREATE FUNCTION notify_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${liveQueryChannel(schema)}', '[]'); RETURN NULL; END; $$;
    CREATE TRIGGER live AFTER UPDATE ON checkpoint FOR EACH STATEMENT EXECUTE PROCEDURE notify_commit();
  `);
});
afterAll(async () => {
  await db.close();
});

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("listenPglite", () => {
  test("behavior: one call per committed checkpoint, none for a rolled-back one, none for other channels", async () => {
    let commits = 0;
    const off = await listenPglite(db, schema, () => void commits++);
    await db.transaction(async (tx) => {
      await tx.query("UPDATE checkpoint SET latest = '1'");
      await settle();
      expect(commits, "not before the commit").toBe(0);
    });
    await settle();
    expect(commits).toBe(1);

    await db
      .transaction(async (tx) => {
        await tx.query("UPDATE checkpoint SET latest = '2'");
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await settle();
    expect(commits, "a rolled-back transaction notifies nobody").toBe(1);

    await db.query("SELECT pg_notify('other_live_query', '[]')");
    await db.query("UPDATE checkpoint SET latest = '3'");
    await settle();
    expect(commits).toBe(2);
    await off();
    await db.query("UPDATE checkpoint SET latest = '4'");
    await settle();
    expect(commits, "after unlisten").toBe(2);
  });
});

describe("coalesce", () => {
  test("behavior: calls during a run give exactly one more run", async () => {
    let runs = 0;
    let release!: () => void;
    const run = coalesce(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    run();
    run();
    run();
    run();
    expect(runs).toBe(1);
    release();
    await settle();
    expect(runs).toBe(2);
    run();
    await settle();
    expect(runs).toBe(3);
  });
});
