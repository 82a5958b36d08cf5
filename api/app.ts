/**
 * The HTTP app Ponder serves (src/api/index.ts re-exports it). Ponder adds /health, /ready,
 * /status and /metrics itself; this adds Ponder's built-in store GraphQL at /store/graphql and the
 * risk API (api/riskApp.ts): /graphql (GraphiQL on GET, SSE subscriptions) and /metrics/risk.
 *
 * Ponder runs this file through vite-node, which rewrites every import into a property lookup on
 * a module proxy. The risk API (book, risk core, resolvers) is imported natively instead, with
 * tsx's `tsImport`: the same code answers an `account` query ~20% faster that way (bench/results/
 * api.md). Only this file touches Ponder's virtual modules (`ponder:api`, `ponder:schema`); it
 * hands `db` over. Each call of `tsImport` loads fresh modules, so `ponder dev` reloads still work.
 * If the native import fails (an unsupported Node version), the API is loaded through vite-node
 * like any other module, with a warning.
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { graphql } from "ponder";
import { Hono } from "hono";
import { tsImport } from "tsx/esm/api";

type RiskAppModule = typeof import("./riskApp.js");

async function loadRiskApp(): Promise<{ module: RiskAppModule; loadedBy: "node" | "vite-node" }> {
  try {
    return { module: (await tsImport("./riskApp.ts", import.meta.url)) as RiskAppModule, loadedBy: "node" };
  } catch (error) {
    console.warn(`[xmargin] loading the risk API natively failed (${error instanceof Error ? error.message : String(error)}); loading it through vite-node instead.`);
    return { module: await import("./riskApp.js"), loadedBy: "vite-node" };
  }
}

const app = new Hono();

// The raw store: Ponder's built-in GraphQL over the store tables. `/graphql` is the risk API's.
app.use("/store/graphql", graphql({ db, schema }));

const { module, loadedBy } = await loadRiskApp();
module.mountRiskApi(app, db, { loadedBy });

export default app;
