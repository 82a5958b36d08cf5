import { MessageChannel } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";
import { answerSql, bridgeRunner } from "./sqlBridge.js";

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function pair() {
  const c = new MessageChannel();
  channels.push(c);
  return c;
}

describe("SQL bridge", () => {
  test("default: statements and parameters cross the port; rows come back with bigint and Date intact", async () => {
    const { port1, port2 } = pair();
    const seen: unknown[][] = [];
    answerSql(port2, async (text, params) => {
      seen.push([text, ...params]);
      return [{ text, big: 2n ** 70n, at: new Date(0) }];
    });
    const run = bridgeRunner(port1);
    const rows = await run("SELECT $1, $2", [1n, "a"]);
    expect(rows).toEqual([{ text: "SELECT $1, $2", big: 2n ** 70n, at: new Date(0) }]);
    expect(seen).toEqual([["SELECT $1, $2", 1n, "a"]]);
    run.close();
  });

  test("behavior: concurrent statements get their own answers, in any order", async () => {
    const { port1, port2 } = pair();
    answerSql(port2, async (_text, params) => {
      await new Promise((r) => setTimeout(r, Number(params[0])));
      return [{ n: params[0] }];
    });
    const run = bridgeRunner(port1);
    const [slow, fast] = await Promise.all([run("x", [30]), run("y", [1])]);
    expect(slow).toEqual([{ n: 30 }]);
    expect(fast).toEqual([{ n: 1 }]);
    run.close();
  });

  test("behavior: a failing statement rejects with SERVING_SQL_FAILED and the store's message", async () => {
    const { port1, port2 } = pair();
    answerSql(port2, async () => {
      throw Object.assign(new Error('relation "nope" does not exist'), { code: "42P01" });
    });
    const run = bridgeRunner(port1);
    await expect(run("SELECT * FROM nope", [])).rejects.toMatchObject({ code: "SERVING_SQL_FAILED", message: expect.stringContaining('relation "nope" does not exist') });
    run.close();
  });

  test("behavior: no answer within the timeout rejects with SERVING_SQL_TIMEOUT (a stuck indexing thread never hangs the book)", async () => {
    const { port1 } = pair();
    const run = bridgeRunner(port1, { timeoutMs: 50 });
    const t0 = Date.now();
    await expect(run("SELECT 1", [])).rejects.toMatchObject({ code: "SERVING_SQL_TIMEOUT" });
    expect(Date.now() - t0).toBeLessThan(1000);
    run.close();
  });
});
