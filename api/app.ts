/**
 * The HTTP app Ponder serves (src/api/index.ts re-exports it). Ponder adds /health, /ready,
 * /status and /metrics itself.
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { graphql } from "ponder";
import { Hono } from "hono";

const app = new Hono();

// The raw store: Ponder's built-in GraphQL over the store tables. `/graphql` is the risk API's.
app.use("/store/graphql", graphql({ db, schema }));

export default app;
