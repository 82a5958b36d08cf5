import { describe, expect, test } from "vitest";
import { corsFor, parseOrigins } from "./origins.js";

describe("parseOrigins", () => {
  test("default: unset or empty is same-origin only", () => {
    expect(parseOrigins(undefined)).toEqual([]);
    expect(parseOrigins("  ")).toEqual([]);
  });
  test("behavior: a list is trimmed, normalised (case, default port) and de-duplicated", () => {
    expect(parseOrigins(" https://Dash.Example.com , http://127.0.0.1:5173,https://dash.example.com:443")).toEqual([
      "https://dash.example.com",
      "http://127.0.0.1:5173",
    ]);
  });
  test("behavior: every malformed entry is named in one clear error", () => {
    expect(() => parseOrigins("https://ok.example,*,https://a.example/path,ftp://x.example,dash.example.com")).toThrow(
      /XMARGIN_API_ORIGINS: '\*', 'https:\/\/a.example\/path', 'ftp:\/\/x.example', 'dash.example.com' are not origins; expected a comma-separated list of scheme:\/\/host\[:port\]/,
    );
    expect(() => parseOrigins("https://a.example/")).toThrow(/'https:\/\/a.example\/' is not an origin/);
    expect(() => parseOrigins("https://u:p@a.example")).toThrow(/is not an origin/);
  });
});

describe("corsFor", () => {
  const request = (origin?: string) => new Request("http://api.local/graphql", { headers: origin ? { origin } : {} });
  test("behavior: only an allow-listed origin gets CORS (with credentials); others and no Origin get none", () => {
    const cors = corsFor(["https://dash.example.com"]);
    expect(cors(request("https://dash.example.com"))).toMatchObject({ origin: ["https://dash.example.com"], credentials: true });
    expect(cors(request("https://evil.example"))).toBe(false);
    expect(cors(request())).toBe(false);
    expect(corsFor([])(request("https://dash.example.com"))).toBe(false);
  });
});
