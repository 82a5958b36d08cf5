/**
 * The normalized store: every protocol adapter's tables (protocols/registry.ts), one line each.
 * Ponder reads its tables from this file only; each adapter's schema module documents its own.
 * Every key starts with `chainId` (and, for protocols with several deployments per chain, the
 * deployment's address), so the protocols' rows never collide.
 */
export * from "./protocols/marginVault/schema.js";
export * from "./protocols/aaveV3/schema.js";
