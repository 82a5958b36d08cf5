import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { redactUrl, redactUrlsInText } from "./redactUrl.js";

// Key shapes as the providers issue them (made-up values of the real length and alphabet).
const ALCHEMY_KEY = "Xk3-9fQz_T1mWb7Lp0sVhN2cRjY8eUaD"; // 32, base64url
const INFURA_KEY = "9aa3d95b3bc440fa88ea12eaa4456161"; // 32 hex
const QUICKNODE_TOKEN = "4f8a9c0d2e1b3a5c7d9e0f1a2b3c4d5e6f708192"; // 40 hex
const ANKR_KEY = "b1c3d5e7f90a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c"; // 64 hex
const ETHERSCAN_KEY = "YOURAPIKEYTOKENXYZ1234567890ABCD";

describe("redactUrl", () => {
  test("default: Alchemy /v2/<key>", () => {
    expect(redactUrl(`https://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`)).toBe("https://eth-mainnet.g.alchemy.com/v2/***");
    expect(redactUrl(`wss://base-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`)).toBe("wss://base-mainnet.g.alchemy.com/v2/***");
  });
  test("behavior: Infura /v3/<key>, also with a key secret in user info", () => {
    expect(redactUrl(`https://mainnet.infura.io/v3/${INFURA_KEY}`)).toBe("https://mainnet.infura.io/v3/***");
    expect(redactUrl(`https://:s3cr3tSecret@arbitrum-mainnet.infura.io/v3/${INFURA_KEY}`)).toBe("https://***@arbitrum-mainnet.infura.io/v3/***");
  });
  test("behavior: QuickNode endpoint subdomain shown, path token hidden", () => {
    expect(redactUrl(`https://falling-snowy-dawn.ethereum-mainnet.quiknode.pro/${QUICKNODE_TOKEN}/`)).toBe("https://falling-snowy-dawn.ethereum-mainnet.quiknode.pro/***/");
    expect(redactUrl(`wss://falling-snowy-dawn.base-mainnet.quiknode.pro/${QUICKNODE_TOKEN}`)).toBe("wss://falling-snowy-dawn.base-mainnet.quiknode.pro/***");
  });
  test("behavior: Ankr /<chain>/<key> keeps the chain segment", () => {
    expect(redactUrl(`https://rpc.ankr.com/eth/${ANKR_KEY}`)).toBe("https://rpc.ankr.com/eth/***");
  });
  test("behavior: basic auth user:pass@ hidden, host and port kept", () => {
    expect(redactUrl("https://rpcuser:hunter2@node.internal.example:8545/")).toBe("https://***@node.internal.example:8545/");
    expect(redactUrl("postgresql://xmargin:pa55word@db.example:5432/xmargin")).toBe("postgresql://***@db.example:5432/xmargin");
    expect(redactUrl("wss://user:s3cret@host.example/ws")).toBe("wss://***@host.example/ws");
  });
  test("behavior: ?apikey= and every other query value hidden, names kept; bare keys and fragments hidden", () => {
    expect(redactUrl(`https://api.etherscan.io/api?module=proxy&action=eth_blockNumber&apikey=${ETHERSCAN_KEY}`)).toBe("https://api.etherscan.io/api?module=***&action=***&apikey=***");
    expect(redactUrl("https://rpc.example/?apikey=abc")).toBe("https://rpc.example/?apikey=***");
    expect(redactUrl("https://rpc.example/rpc?abc")).toBe("https://rpc.example/rpc?***");
    expect(redactUrl("https://rpc.example/rpc#token=abc")).toBe("https://rpc.example/rpc#***");
  });
  test("behavior: local and keyless URLs are unchanged (no trailing slash added, no normalisation)", () => {
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("ws://localhost:8546/")).toBe("ws://localhost:8546/");
    expect(redactUrl("https://rpc.example/eth/mainnet")).toBe("https://rpc.example/eth/mainnet");
    expect(redactUrl("https://base-sepolia.public.example/arbitrum-mainnet")).toBe("https://base-sepolia.public.example/arbitrum-mainnet");
    expect(redactUrl("HTTPS://RPC.Example:443/V2")).toBe("HTTPS://RPC.Example:443/V2");
  });
  test("behavior: a percent-encoded key segment is judged decoded", () => {
    expect(redactUrl("https://h.example/v1/abc%2D123%2Ddef%2D456")).toBe("https://h.example/v1/***");
  });
  test("behavior: text that is not a URL still loses secret-looking runs", () => {
    expect(redactUrl(`eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`)).toBe("eth-mainnet.g.alchemy.com/v2/***");
    expect(redactUrl("localhost:8545")).toBe("localhost:8545");
  });
  test("property: a generated key never survives, wherever it sits in the URL", () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_-]{24,64}$/);
    fc.assert(
      fc.property(key, fc.constantFrom("https", "wss", "http"), fc.nat(5), (secret, scheme, where) => {
        const url = [
          `${scheme}://h.example/v2/${secret}`,
          `${scheme}://h.example/${secret}/`,
          `${scheme}://h.example/rpc?apikey=${secret}`,
          `${scheme}://user:${secret}@h.example/`,
          `${scheme}://${secret}@h.example`,
          `${scheme}://h.example/#${secret}`,
        ][where];
        const out = redactUrl(url);
        expect(out).not.toContain(secret);
        expect(out).toContain("h.example");
      }),
    );
  });
});

describe("redactUrlsInText", () => {
  test("default: every URL of a log line, the rest untouched", () => {
    const line = `HTTP request failed. URL: https://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY} Request body: {"method":"eth_getLogs"} then wss://u:p4ss@q.example/ws tx 0x${"ab".repeat(32)}`;
    expect(redactUrlsInText(line)).toBe(
      `HTTP request failed. URL: https://eth-mainnet.g.alchemy.com/v2/*** Request body: {"method":"eth_getLogs"} then wss://***@q.example/ws tx 0x${"ab".repeat(32)}`,
    );
  });
  test("behavior: URLs inside JSON log lines stop at the quote", () => {
    const line = JSON.stringify({ level: 50, msg: "rpc error", url: `https://mainnet.infura.io/v3/${INFURA_KEY}` });
    const out = redactUrlsInText(line);
    expect(out).toBe(JSON.stringify({ level: 50, msg: "rpc error", url: "https://mainnet.infura.io/v3/***" }));
    expect(JSON.parse(out).msg).toBe("rpc error");
  });
  test("behavior: prose punctuation after a URL stays prose", () => {
    expect(redactUrlsInText(`see https://mainnet.infura.io/v3/${INFURA_KEY}.`)).toBe("see https://mainnet.infura.io/v3/***.");
    expect(redactUrlsInText("(at http://127.0.0.1:8545)")).toBe("(at http://127.0.0.1:8545)");
  });
  test("behavior: text without URLs is unchanged, long hex included", () => {
    const text = `block 0x${"cd".repeat(32)} account 0x${"12".repeat(20)} no url here`;
    expect(redactUrlsInText(text)).toBe(text);
  });
});

describe("libpq keyword connection strings", () => {
  test("behavior: a non-URL DATABASE_URL loses its password, quoted or not; host, port and db stay", () => {
    expect(redactUrl("host=db.internal port=5432 dbname=xmargin user=app password=hunter2")).toBe("host=db.internal port=5432 dbname=xmargin user=app password=***");
    expect(redactUrl("host=db password = 'se cr\\'et' sslmode=require")).toBe("host=db password = *** sslmode=require");
    expect(redactUrl("PASSWORD=x sslpassword=y")).toBe("PASSWORD=*** sslpassword=***");
  });
  test("behavior: in free text (a config error quoting the value) too, quotes around it kept", () => {
    const message = `DATABASE_URL 'host=db password=hunter2' is not a Postgres URL; expected postgresql://user:password@host:port/db`;
    const out = redactUrlsInText(message);
    expect(out).not.toContain("hunter2");
    expect(out).toContain("'host=db password=***'");
  });
});
