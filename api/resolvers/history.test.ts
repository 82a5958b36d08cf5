import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApi, type XmarginApi } from "../createApi.js";
import { createWorld, standardScene, T0, type World } from "../testing/fixture.js";

let world: World;
let api: XmarginApi;
let calls = 0;

async function gql(query: string) {
  const response = await api.handle(new Request("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body: JSON.stringify({ query }) }));
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

beforeAll(async () => {
  world = createWorld();
  standardScene(world);
  await world.book.start();
  await world.book.ready;
  const original = world.book.systemHistory.bind(world.book);
  world.book.systemHistory = (...args) => {
    calls++;
    return original(...args);
  };
  api = createApi({ book: world.book, production: true });
});

afterAll(async () => {
  api?.close();
  await world?.book.stop();
});

describe("systemHistory sharing", () => {
  test("behavior: the same window is computed once for concurrent and later requests; another window is its own", async () => {
    const q = `{ systemHistory(from: ${T0}, to: ${T0 + 60}, bucketSeconds: 10) { time deficiencyUsd accountsPerTier { safe } } }`;
    const [a, b] = await Promise.all([gql(q), gql(q)]);
    const c = await gql(q);
    expect(a.errors).toBeUndefined();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(calls).toBe(1);
    await gql(`{ systemHistory(from: ${T0}, to: ${T0 + 60}, bucketSeconds: 20) { time } }`);
    expect(calls).toBe(2);
  });
});
