import { describe, expect, test } from "vitest";
import { apiError } from "./errors.js";
import { redactUrlsInText as redactText } from "../config/redactUrl.js";
import { createApiLogger } from "./logger.js";

function sink() {
  const lines: string[] = [];
  const push = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  return { lines, console: { debug: push, info: push, warn: push, error: push } };
}

describe("createApiLogger", () => {
  test("default: server errors are logged with URLs redacted", () => {
    const s = sink();
    createApiLogger("warn", s.console).error(new Error("RPC https://user:pw@eth.example/v2/abcdef1234567890 refused"));
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]).toContain("eth.example");
    expect(s.lines[0]).not.toContain("abcdef1234567890");
    expect(s.lines[0]).not.toContain("pw@");
  });

  test("behavior: coded client errors are not logged; levels below the threshold are dropped", () => {
    const s = sink();
    const log = createApiLogger("warn", s.console);
    log.error(apiError("BAD_ADDRESS", "Address x is invalid."));
    log.error(Object.assign(new Error("bad scenario"), { code: "BAD_SCENARIO" }));
    log.info("hello");
    expect(s.lines).toEqual([]);
  });

  test("behavior: redactText leaves text without URLs alone", () => {
    expect(redactText("no url here")).toBe("no url here");
  });
});
