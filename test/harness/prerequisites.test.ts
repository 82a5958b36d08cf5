import { describe, expect, it } from "vitest";
import { chromiumPath, missingPrerequisites, planPrerequisites, type Installer, type Probe } from "./prerequisites.js";

const present: Probe = { chromium: { path: "/usr/bin/chromium", found: true }, postgresBin: "/usr/lib/postgresql/17/bin" };
const root: Installer = { root: true, passwordlessSudo: false, aptGet: true };

describe("missingPrerequisites", () => {
  it("default: both present: nothing missing", () => {
    expect(missingPrerequisites(present)).toEqual([]);
  });

  it("behavior: each missing one names its Debian package and the path looked at", () => {
    const missing = missingPrerequisites({ chromium: { path: "/nonexistent", found: false }, postgresBin: undefined });
    expect(missing.map((m) => m.package)).toEqual(["chromium", "postgresql"]);
    expect(missing[0]!.what).toContain("/nonexistent");
    expect(missing[0]!.what).toContain("api/graphiql.test.ts");
    expect(missing[1]!.what).toContain("/usr/lib/postgresql/*/bin/initdb");
  });
});

describe("planPrerequisites", () => {
  const chromium = missingPrerequisites({ ...present, chromium: { path: "/usr/bin/chromium", found: false } });
  const both = missingPrerequisites({ chromium: { path: "/usr/bin/chromium", found: false }, postgresBin: undefined });

  it("default: nothing missing: ready, whoever runs it", () => {
    expect(planPrerequisites([], { root: false, passwordlessSudo: false, aptGet: false })).toEqual({ kind: "ready" });
  });

  it("behavior: root: apt-get update, then install only what is missing without recommends", () => {
    const plan = planPrerequisites(chromium, root);
    expect(plan).toMatchObject({
      kind: "install",
      packages: ["chromium"],
      commands: [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
      ],
    });
    expect(planPrerequisites(both, root)).toMatchObject({ packages: ["chromium", "postgresql"] });
  });

  it("behavior: passwordless sudo: the same commands through sudo -n", () => {
    const plan = planPrerequisites(both, { root: false, passwordlessSudo: true, aptGet: true });
    expect(plan.kind === "install" && plan.commands).toEqual([
      ["sudo", "-n", "apt-get", "update"],
      ["sudo", "-n", "apt-get", "install", "-y", "--no-install-recommends", "chromium", "postgresql"],
    ]);
  });

  it("behavior: neither root nor passwordless sudo: a stop naming each package and the command to run", () => {
    const plan = planPrerequisites(both, { root: false, passwordlessSudo: false, aptGet: true });
    expect(plan.kind).toBe("fail");
    const message = plan.kind === "fail" ? plan.message : "";
    expect(message).toContain("Debian package 'chromium'");
    expect(message).toContain("Debian package 'postgresql'");
    expect(message).toContain("sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium postgresql");
  });

  it("behavior: no apt-get: a stop naming the packages, with the Debian command as the example", () => {
    const plan = planPrerequisites(chromium, { root: true, passwordlessSudo: false, aptGet: false });
    expect(plan.kind).toBe("fail");
    expect(plan.kind === "fail" && plan.message).toMatch(/apt-get is not available here.*apt-get install -y --no-install-recommends chromium/s);
  });
});

describe("chromiumPath", () => {
  it("default: /usr/bin/chromium; XMARGIN_CHROMIUM overrides it, an empty one does not", () => {
    expect(chromiumPath({})).toBe("/usr/bin/chromium");
    expect(chromiumPath({ XMARGIN_CHROMIUM: "/opt/chromium/chrome" })).toBe("/opt/chromium/chrome");
    expect(chromiumPath({ XMARGIN_CHROMIUM: "" })).toBe("/usr/bin/chromium");
  });
});
