/**
 * Which browser origins may call the API cross-origin (CORS), from `XMARGIN_API_ORIGINS`: a
 * comma-separated list of origins (`https://dash.example.com,http://127.0.0.1:5173`). Empty or
 * unset: same-origin only, no CORS headers for any foreign origin. An allowed origin gets
 * credentials; nothing else is ever reflected.
 */
import type { CORSOptions } from "graphql-yoga";
import { XmarginError } from "../errors.js";

export class OriginListError extends XmarginError {
  override name = "OriginListError";
}

/** Parses and validates the list; every malformed entry is named in one error. */
export function parseOrigins(value: string | undefined, envName = "XMARGIN_API_ORIGINS"): string[] {
  if (value === undefined || value.trim() === "") return [];
  const out: string[] = [];
  const bad: string[] = [];
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const origin = originOf(entry);
    if (origin === null) bad.push(entry);
    else if (!out.includes(origin)) out.push(origin);
  }
  if (bad.length > 0) {
    throw new OriginListError(
      "BAD_ORIGIN",
      `${envName}: ${bad.map((b) => `'${b.slice(0, 100)}'`).join(", ")} ${bad.length === 1 ? "is not an origin" : "are not origins"}; expected a comma-separated list of scheme://host[:port] with http or https, no path, no trailing slash, no '*' (e.g. https://dash.example.com,http://127.0.0.1:5173).`,
      { details: { bad } },
    );
  }
  return out;
}

/** `https://Dash.Example.com:443` → `https://dash.example.com`; null when it is not exactly an origin. */
function originOf(entry: string): string | null {
  // only what an Origin header can hold: no user info, path, query, fragment or trailing slash
  if (!/^https?:\/\/[^/?#@*\s]+$/i.test(entry)) return null;
  try {
    return new URL(entry).origin;
  } catch {
    return null;
  }
}

/** yoga's CORS option: the allow-listed origin gets CORS headers with credentials, any other none. */
export function corsFor(origins: readonly string[]): (request: Request) => CORSOptions {
  const allowed = new Set(origins);
  return (request) => {
    const origin = request.headers.get("origin");
    if (origin === null || !allowed.has(origin)) return false;
    return { origin: [origin], credentials: true, methods: ["GET", "POST"], allowedHeaders: ["content-type", "accept"], maxAge: 600 };
  };
}
