/**
 * RPC URLs often embed API keys (Alchemy `/v2/<key>`, Infura `/v3/<key>`, `?apikey=`), so every
 * URL that reaches a log or an error goes through `redactUrl` first.
 */

/** A path segment that looks like a credential: long, or mixing letters and digits. */
function looksLikeSecret(segment: string): boolean {
  if (segment.length >= 24) return true;
  return segment.length >= 8 && /[a-z]/i.test(segment) && /[0-9]/.test(segment);
}

/**
 * Hides credentials in a URL: user info → `***@`, API-key-looking path segments and every query
 * value → `***`. Scheme, host, port and ordinary path segments stay readable.
 *
 * Example: `redactUrl("https://eth-mainnet.example/v2/abcdef123456")` → `"https://eth-mainnet.example/v2/***"`;
 * `redactUrl("wss://u:p@host/ws?key=k")` → `"wss://***@host/ws?key=***"`.
 * Text that is not a URL gets the same treatment for its secret-looking runs.
 */
export function redactUrl(url: string): string {
  const redactRuns = (text: string) => text.replace(/[A-Za-z0-9_-]{8,}/g, (run) => (looksLikeSecret(run) ? "***" : run));
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return redactRuns(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactRuns(url);
  }
  const userInfo = parsed.username || parsed.password ? "***@" : "";
  // keep the caller's spelling: no trailing slash added to "http://host:8545"
  const afterHost = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const path = afterHost.startsWith("/")
    ? parsed.pathname
        .split("/")
        .map((segment) => (looksLikeSecret(decodeURIComponent(segment)) ? "***" : segment))
        .join("/")
    : "";
  const query = parsed.search
    ? "?" +
      parsed.search
        .slice(1)
        .split("&")
        .map((pair) => {
          const eq = pair.indexOf("=");
          return eq === -1 ? (pair.length > 0 ? "***" : pair) : `${pair.slice(0, eq)}=***`;
        })
        .join("&")
    : "";
  const hash = parsed.hash ? "#***" : "";
  return `${parsed.protocol}//${userInfo}${parsed.host}${path}${query}${hash}`;
}
