/**
 * The HTTP app Ponder serves (src/api/index.ts re-exports it), in the indexing thread. It keeps
 * only what must live there: Ponder's built-in store GraphQL at /store/graphql (beside /health,
 * /ready, /status and /metrics, which Ponder adds). The risk API runs in the serving worker
 * (api/serving/): its own thread and heap cap, its own HTTP listener on XMARGIN_API_PORT
 * (default 4000, bound to 127.0.0.1), which also forwards Ponder's routes, so one URL serves all.
 *
 * Ponder runs this file through vite-node; the supervisor is imported natively with tsx's
 * `tsImport` (its worker loads the risk API natively too). Only this file touches Ponder's
 * virtual modules (`ponder:api`, `ponder:schema`).
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { graphql } from "ponder";
import { Hono } from "hono";
import { tsImport } from "tsx/esm/api";

type FromPonder = typeof import("./serving/fromPonder.js");

const app = new Hono();

// The raw store: Ponder's built-in GraphQL over the store tables. `/graphql` is the risk API's.
app.use("/store/graphql", graphql({ db, schema }));

const serving = (await tsImport("./serving/fromPonder.ts", import.meta.url)) as FromPonder;
await serving.startServingInPonder(db);

export default app;
