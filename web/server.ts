/**
 * The dashboard, served by the API's own HTTP app: `/` (system, history, liquidation curves,
 * endangered accounts), `/account/0x…` (one account) and `/dashboard/assets/*`. The browser code
 * (web/app/*.ts) is bundled with esbuild once per process, on the first request (~100 ms), and kept
 * in memory; uPlot's stylesheet comes from node_modules. Nothing is loaded from another origin.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface DashboardOptions {
  /** where the page sends GraphQL queries and subscriptions (default "/graphql") */
  graphqlPath?: string;
}

export const ASSET_PREFIX = "/dashboard/assets";

interface Bundle {
  js: string;
  css: string;
}

let bundle: Promise<Bundle> | null = null;

/** Bundles web/app/main.ts (esbuild, ES2020, minified) and the stylesheets; cached for the process. */
export function buildDashboard(): Promise<Bundle> {
  bundle ??= (async () => {
    const { build } = await import("esbuild");
    const result = await build({
      entryPoints: [path.join(HERE, "app", "main.ts")],
      bundle: true,
      format: "esm",
      target: "es2020",
      minify: true,
      write: false,
      logLevel: "silent",
      legalComments: "none",
    });
    const js = result.outputFiles[0]!.text;
    const uplotCss = await readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
    const ownCss = await readFile(path.join(HERE, "app", "style.css"), "utf8");
    return { js, css: `${uplotCss}\n${ownCss}` };
  })();
  bundle.catch(() => (bundle = null)); // a failed build is retried on the next request
  return bundle;
}

function page(title: string, graphqlPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSET_PREFIX}/app.css">
</head>
<body data-graphql="${graphqlPath}">
<div id="app"><p class="muted">Loading…</p></div>
<script type="module" src="${ASSET_PREFIX}/app.js"></script>
</body>
</html>`;
}

const HTML = { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" };

/** Mounts the dashboard routes on `app`. */
export function mountDashboard(app: Hono, options: DashboardOptions = {}): void {
  const graphqlPath = options.graphqlPath ?? "/graphql";
  app.get("/", () => new Response(page("xmargin risk dashboard", graphqlPath), { headers: HTML }));
  app.get("/account/:address", (c) => {
    const address = c.req.param("address");
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
      return new Response(`'${address.slice(0, 60)}' is not an address; expected /account/0x followed by 40 hex digits.`, {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    return new Response(page(`xmargin account ${address}`, graphqlPath), { headers: HTML });
  });
  app.get(`${ASSET_PREFIX}/app.js`, async () => {
    const { js } = await buildDashboard();
    return new Response(js, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } });
  });
  app.get(`${ASSET_PREFIX}/app.css`, async () => {
    const { css } = await buildDashboard();
    return new Response(css, { headers: { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" } });
  });
}
