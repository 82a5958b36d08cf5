/**
 * RPC and database URLs often embed credentials, so every URL that reaches a log or an error goes
 * through here first. One policy for the whole project:
 *
 * - hidden: user info (`user:pass@` → `***@`), every query value (`?apikey=…` → `?apikey=***`, a
 *   bare `?KEY` → `?***`), the fragment (`#***`), and every path segment that looks like a key
 *   (Alchemy `/v2/<key>`, Infura `/v3/<key>`, QuickNode `/<token>/`, Ankr `/eth/<key>`);
 * - shown: scheme, host (subdomains included: they name an endpoint, they do not authenticate),
 *   port, query parameter names and ordinary path segments (`/v2`, `/eth/mainnet`, `/rpc`), so a
 *   reader can still tell which provider and network failed.
 *
 * The caller's spelling is kept (no URL normalisation, no trailing slash added).
 */

/**
 * A path segment that looks like a credential: ≥ 24 characters; or ≥ 8 mixing letters and digits;
 * or ≥ 16 with no word separator (`-` or `.`). Words such as `mainnet`, `eth-mainnet` or
 * `base-sepolia` and short version segments (`v2`) are not.
 */
function looksLikeSecret(segment: string): boolean {
  if (segment.length >= 24) return true;
  if (segment.length >= 8 && /[a-z]/i.test(segment) && /[0-9]/.test(segment)) return true;
  return segment.length >= 16 && !/[-.]/.test(segment);
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Secret-looking runs of key characters in text that is not a URL (`eth-mainnet/abc123def` → `eth-mainnet/***`). */
function redactRuns(text: string): string {
  return text.replace(/[A-Za-z0-9_-]{8,}/g, (run) => (looksLikeSecret(run) ? "***" : run));
}

/**
 * A libpq keyword/value connection string's secrets (`host=db password=hunter2`,
 * `password='a b\\'c'`): the value of `password` and `sslpassword`, quoted or not.
 */
const KEYWORD_SECRET = /\b(password|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'"]+)/gi;

function redactKeywordSecrets(text: string): string {
  return text.replace(KEYWORD_SECRET, (_m, key: string, eq: string) => `${key}${eq}***`);
}

const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is;

/**
 * Hides the credentials of one URL (the policy above). Text that is not a `scheme://` URL (e.g. a
 * config value missing its scheme, or a libpq `host=… password=…` connection string) loses its
 * password values and its secret-looking runs instead.
 *
 * Examples:
 * `redactUrl("https://eth-mainnet.g.alchemy.com/v2/AbCdEf123456")` → `"https://eth-mainnet.g.alchemy.com/v2/***"`;
 * `redactUrl("wss://u:p@host:8546/ws?apikey=k&chain=1")` → `"wss://***@host:8546/ws?apikey=***&chain=***"`;
 * `redactUrl("http://127.0.0.1:8545")` → unchanged.
 */
export function redactUrl(url: string): string {
  const parts = URL_PARTS.exec(url);
  if (parts === null) return redactRuns(redactKeywordSecrets(url));
  const [, scheme, authority, path, query, fragment] = parts;
  const at = authority.lastIndexOf("@");
  const host = at === -1 ? authority : `***@${authority.slice(at + 1)}`;
  const shownPath = path
    .split("/")
    .map((segment) => (looksLikeSecret(decoded(segment)) ? "***" : segment))
    .join("/");
  const shownQuery =
    query === undefined
      ? ""
      : "?" +
        query
          .slice(1)
          .split("&")
          .map((pair) => {
            const eq = pair.indexOf("=");
            return eq === -1 ? (pair.length > 0 ? "***" : pair) : `${pair.slice(0, eq)}=***`;
          })
          .join("&");
  return `${scheme}${host}${shownPath}${shownQuery}${fragment === undefined ? "" : "#***"}`;
}

/** A `scheme://…` URL in free text: up to whitespace, a quote or an angle bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Sentence punctuation right after a URL in prose (`see http://host:8545.`) belongs to the prose. */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/**
 * Every `scheme://` URL inside a text (a log line, an error message, a stack) through
 * {@link redactUrl}, and every libpq `password=…` value hidden; the rest of the text is left alone
 * (addresses and hashes stay readable).
 * Example: `redactUrlsInText("fetch failed: https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161.")`
 * → `"fetch failed: https://mainnet.infura.io/v3/***."`.
 */
export function redactUrlsInText(text: string): string {
  return redactKeywordSecrets(text).replace(URL_IN_TEXT, (match) => {
    const tail = TRAILING_PUNCTUATION.exec(match)?.[0] ?? "";
    return redactUrl(match.slice(0, match.length - tail.length)) + tail;
  });
}
