/** Tiny flag parser for the devnet CLIs: `--name value`, `--flag`, `--no-flag`. */
import { DevnetError } from "./errors.js";

export type Flags = Record<string, string | boolean>;

export function parseFlags(argv: readonly string[], spec: { booleans?: readonly string[]; values?: readonly string[] }): Flags {
  const flags: Flags = {};
  const bools = new Set(spec.booleans ?? []);
  const values = new Set(spec.values ?? []);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new DevnetError("BAD_FLAG", `unexpected argument '${arg}'; flags look like --name value`, { arg });
    const name = arg.slice(2);
    if (name.startsWith("no-") && bools.has(name.slice(3))) flags[name.slice(3)] = false;
    else if (bools.has(name)) flags[name] = true;
    else if (values.has(name)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new DevnetError("BAD_FLAG", `--${name} needs a value`, { flag: name });
      flags[name] = flags[name] === undefined ? v : `${flags[name]},${v}`;
    } else {
      const known = [...values, ...bools].map((f) => `--${f}`).join(", ");
      throw new DevnetError("BAD_FLAG", `unknown flag '${arg}'; expected one of ${known}`, { flag: name });
    }
  }
  return flags;
}

export function intFlag(flags: Flags, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new DevnetError("BAD_FLAG", `--${name} must be a non-negative number; got '${String(v)}'`, { flag: name });
  return n;
}
