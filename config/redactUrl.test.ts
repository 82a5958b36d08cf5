import { describe, expect, test } from "vitest";
import { redactUrl } from "./redactUrl.js";

describe("redactUrl", () => {
  test("default: API key path segment", () => {
    expect(redactUrl("https://eth-mainnet.example/v2/abcdef123456")).toBe("https://eth-mainnet.example/v2/***");
  });
  test("behavior: local URLs are unchanged (no trailing slash added)", () => {
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("ws://localhost:8546/")).toBe("ws://localhost:8546/");
    expect(redactUrl("https://rpc.example/eth/mainnet")).toBe("https://rpc.example/eth/mainnet");
  });
  test("behavior: user info hidden", () => {
    expect(redactUrl("wss://user:s3cret@host.example/ws")).toBe("wss://***@host.example/ws");
  });
  test("behavior: every query value hidden, names kept", () => {
    expect(redactUrl("https://rpc.example/?apikey=abc&network=1")).toBe("https://rpc.example/?apikey=***&network=***");
  });
  test("behavior: long tokens and infura-style hex keys", () => {
    expect(redactUrl("https://mainnet.infura.example/v3/9aa3d95b3bc440fa88ea12eaa4456161")).toBe("https://mainnet.infura.example/v3/***");
    expect(redactUrl("https://x.quiknode.example/abcdefghijklmnopqrstuvwxyz/")).toBe("https://x.quiknode.example/***/");
  });
  test("behavior: text that is not a URL still loses secret-looking runs", () => {
    expect(redactUrl("eth-mainnet/abcdef123456")).toBe("eth-mainnet/***");
    expect(redactUrl("localhost:8545")).toBe("localhost:8545");
  });
  test("behavior: the secret never survives", () => {
    const secret = "Zx9Qw8Er7Ty6";
    for (const url of [`https://h.example/${secret}`, `https://h.example/v1/${secret}/rpc`, `https://h.example/?k=${secret}`, `https://${secret}:p@h.example`, `h.example/${secret}`]) {
      expect(redactUrl(url)).not.toContain(secret);
    }
  });
});
