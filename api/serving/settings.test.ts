import { describe, expect, test } from "vitest";
import { DEFAULT_SERVING, servingSettings } from "./settings.js";

describe("servingSettings", () => {
  test("default: 127.0.0.1:4000, 768 MB, moves on when the port is taken", () => {
    expect(servingSettings({})).toEqual(DEFAULT_SERVING);
    expect(DEFAULT_SERVING).toMatchObject({ host: "127.0.0.1", port: 4000, heapMb: 768, strictPort: false });
  });

  test("behavior: every setting read", () => {
    expect(servingSettings({ XMARGIN_API_HOST: "0.0.0.0", XMARGIN_API_PORT: "4100", XMARGIN_API_STRICT_PORT: "true", XMARGIN_API_HEAP_MB: "512", XMARGIN_API_RESTART_MS: "200" })).toEqual({
      host: "0.0.0.0",
      port: 4100,
      strictPort: true,
      heapMb: 512,
      restartMs: 200,
    });
  });

  test("behavior: the config's api.port is the default, the environment overrides it", () => {
    expect(servingSettings({}, { port: 4100 }).port).toBe(4100);
    expect(servingSettings({ XMARGIN_API_PORT: "4200" }, { port: 4100 }).port).toBe(4200);
  });

  test("behavior: every bad variable reported at once, with what would be accepted", () => {
    let message = "";
    try {
      servingSettings({ XMARGIN_API_HOST: "my host", XMARGIN_API_PORT: "70000", XMARGIN_API_STRICT_PORT: "yes", XMARGIN_API_HEAP_MB: "12" });
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code: string }).code).toBe("SERVING_BAD_SETTING");
    }
    expect(message).toContain("(4 problems)");
    expect(message).toContain("XMARGIN_API_HOST is 'my host'; expected an IP address");
    expect(message).toContain("XMARGIN_API_PORT is '70000'; expected a whole number from 1 to 65535");
    expect(message).toContain("XMARGIN_API_STRICT_PORT is 'yes'; expected true or false");
    expect(message).toContain("XMARGIN_API_HEAP_MB is '12'; expected a whole number from 64 to 65536");
  });
});
