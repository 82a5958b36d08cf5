#!/usr/bin/env node
// Adds package-lock entries for other platforms' optional binaries (anvil, rollup) that the
// registry reachable here does not serve. Without them `npm ci` refuses the lock ("Missing: …
// from lock file"); with their os/cpu/libc constraints npm skips them on this platform.
// Run after `npm install` changes the lock: `node scripts/lock-platform-entries.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages = lock.packages;

const OS = ["darwin", "win32", "linux", "android", "freebsd", "openbsd", "openharmony"];
const CPU = { amd64: "x64", x64: "x64", arm64: "arm64", arm: "arm", ia32: "ia32", loong64: "loong64", ppc64: "ppc64", riscv64: "riscv64", s390x: "s390x" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  if (!os || !cpu) return null;
  const entry = { os: [os], cpu: [cpu] };
  if (os === "linux") entry.libc = [parts.includes("musl") || parts.includes("musleabihf") ? "musl" : "glibc"];
  return entry;
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `${path ? `${path}/` : ""}node_modules/${dep}`.replace(/^\//, "");
    const hoisted = `node_modules/${dep}`;
    if (packages[key] || packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    // npm's own field order: version first, then the rest alphabetically
    const fields = { optional: true, ...platform };
    packages[hoisted] = { version, ...Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]])) };
    added++;
  }
}
// npm keeps the entries sorted by path (root first); so must we, or the next `npm install` on a
// fresh clone rewrites the whole lock just to reorder it.
const sorted = Object.keys(packages).sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b, "en")));
lock.packages = Object.fromEntries(sorted.map((k) => [k, packages[k]]));
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} platform entries to package-lock.json`);
