// Ponder requires an API file; the baseline serves only Ponder's own /health, /ready, /status, /metrics.
import { Hono } from "hono";

export default new Hono();
