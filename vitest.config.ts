import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".ponder/**", ".xmargin/**"],
    // Integration suites spawn anvil chains and Ponder processes; they run one file at a time
    // so that two suites never compete for the same two cores.
    fileParallelism: false,
    // Chromium and the PostgreSQL server binaries: found, or installed with apt-get, or a clear stop.
    globalSetup: ["test/harness/prerequisites.ts"],
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
