/**
 * What `npm test` needs beyond node_modules, found or installed before any suite runs (vitest
 * globalSetup): Chromium (api/graphiql.test.ts drives it) and the PostgreSQL server binaries
 * (initdb, pg_ctl: the Postgres suites start their own throwaway server). When one is missing it is
 * installed with apt-get as root or with passwordless sudo; otherwise the run stops with the
 * package to install and the command that does it. A suite is never skipped for want of either.
 *
 * XMARGIN_CHROMIUM overrides the Chromium path (default /usr/bin/chromium).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { XmarginError } from "../../errors.js";

export class PrerequisiteError extends XmarginError {
  override name = "PrerequisiteError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("TEST_PREREQUISITE_MISSING", message, { details });
  }
}

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const POSTGRES_ROOT = "/usr/lib/postgresql";

/** The Chromium executable the browser test launches. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.XMARGIN_CHROMIUM || DEFAULT_CHROMIUM;
}

/** What was looked for on this machine (plain data, so that the decisions below are testable). */
export interface Probe {
  chromium: { path: string; found: boolean };
  /** The highest /usr/lib/postgresql/<version>/bin holding initdb, if any. */
  postgresBin: string | undefined;
}

export interface Missing {
  /** The Debian package that provides it. */
  package: string;
  /** What is missing and what needs it, for people. */
  what: string;
}

/** Who may install packages here. */
export interface Installer {
  root: boolean;
  passwordlessSudo: boolean;
  /** apt-get is on the PATH (a Debian or Ubuntu machine). */
  aptGet: boolean;
}

export type Plan =
  | { kind: "ready" }
  | { kind: "install"; packages: string[]; commands: string[][]; message: string }
  | { kind: "fail"; message: string };

/** What is missing, from a probe (pure). */
export function missingPrerequisites(probe: Probe): Missing[] {
  const missing: Missing[] = [];
  if (!probe.chromium.found) {
    missing.push({ package: "chromium", what: `Chromium (${probe.chromium.path}), for the GraphiQL browser test api/graphiql.test.ts` });
  }
  if (probe.postgresBin === undefined) {
    missing.push({ package: "postgresql", what: `the PostgreSQL server binaries (${POSTGRES_ROOT}/*/bin/initdb, pg_ctl), for the Postgres suites` });
  }
  return missing;
}

const installCommand = (packages: string[]) => ["apt-get", "install", "-y", "--no-install-recommends", ...packages];

/** What to do about what is missing (pure): nothing, apt-get (as root or through `sudo -n`), or stop with the command to run. */
export function planPrerequisites(missing: readonly Missing[], installer: Installer): Plan {
  if (missing.length === 0) return { kind: "ready" };
  const packages = [...new Set(missing.map((m) => m.package))];
  const list = missing.map((m) => `  - ${m.what}: Debian package '${m.package}'`).join("\n");
  if (!installer.aptGet) {
    return {
      kind: "fail",
      message: `npm test needs:\n${list}\napt-get is not available here; install the equivalent packages with this system's package manager (on Debian or Ubuntu: \`${installCommand(packages).join(" ")}\`), then run npm test again.`,
    };
  }
  if (!installer.root && !installer.passwordlessSudo) {
    const sudo = (c: string[]) => ["sudo", ...c].join(" ");
    return {
      kind: "fail",
      message: `npm test needs:\n${list}\nInstalling them needs root (this is not root, and there is no passwordless sudo). Run:\n  ${sudo(["apt-get", "update"])} && ${sudo(installCommand(packages))}\nthen run npm test again.`,
    };
  }
  const prefix = installer.root ? [] : ["sudo", "-n"];
  return {
    kind: "install",
    packages,
    commands: [
      [...prefix, "apt-get", "update"],
      [...prefix, ...installCommand(packages)],
    ],
    message: `npm test needs:\n${list}\nInstalling ${packages.join(", ")} with apt-get${installer.root ? " (as root)" : " (through sudo)"}…`,
  };
}

/** Look on this machine. */
export function probeMachine(env: NodeJS.ProcessEnv = process.env): Probe {
  const chromium = chromiumPath(env);
  return { chromium: { path: chromium, found: existsSync(chromium) }, postgresBin: findPostgresBinDir() };
}

/** The highest /usr/lib/postgresql/<version>/bin with initdb, or undefined. */
export function findPostgresBinDir(root = POSTGRES_ROOT): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(root, versions[0], "bin") : undefined;
}

function succeeds(cmd: string, args: string[]): boolean {
  const res = spawnSync(cmd, args, { stdio: "ignore" });
  return res.status === 0;
}

/** Who may install here. */
export function probeInstaller(): Installer {
  const root = process.getuid?.() === 0;
  return {
    root,
    passwordlessSudo: !root && succeeds("sudo", ["-n", "true"]),
    aptGet: succeeds("sh", ["-c", "command -v apt-get"]),
  };
}

/**
 * Find or install; throws PrerequisiteError (which stops the run) when something stays missing.
 * apt-get's own output is shown as it runs.
 */
export function ensurePrerequisites(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => console.log(l)): void {
  const missing = missingPrerequisites(probeMachine(env));
  const plan = planPrerequisites(missing, missing.length > 0 ? probeInstaller() : { root: false, passwordlessSudo: false, aptGet: false });
  if (plan.kind === "ready") return;
  if (plan.kind === "fail") throw new PrerequisiteError(plan.message, { missing: missing.map((m) => m.package) });
  log(plan.message);
  for (const command of plan.commands) {
    log(`$ ${command.join(" ")}`);
    const res = spawnSync(command[0]!, command.slice(1), {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (res.status !== 0) {
      throw new PrerequisiteError(
        `\`${command.join(" ")}\` failed (${res.error ? res.error.message : `exit ${res.status}`}); npm test needs the Debian packages ${plan.packages.join(", ")}: install them, then run npm test again.`,
        { command, status: res.status },
      );
    }
  }
  const still = missingPrerequisites(probeMachine(env));
  if (still.length > 0) {
    throw new PrerequisiteError(
      `apt-get installed ${plan.packages.join(", ")}, but still missing:\n${still.map((m) => `  - ${m.what}`).join("\n")}` +
        (env.XMARGIN_CHROMIUM && still.some((m) => m.package === "chromium") ? `\nXMARGIN_CHROMIUM is '${env.XMARGIN_CHROMIUM}': point it at the Chromium executable, or unset it for ${DEFAULT_CHROMIUM}.` : ""),
      { missing: still.map((m) => m.package) },
    );
  }
  log(`installed ${plan.packages.join(", ")}`);
}

/** vitest globalSetup: runs once, before any test file. */
export default function setup(): void {
  ensurePrerequisites();
}
