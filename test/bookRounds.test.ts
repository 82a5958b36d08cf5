/**
 * The risk book reads new price rounds incrementally. Chains are indexed independently, so a round
 * of a chain that is behind (stalled RPC, slower backfill) reaches the store after rounds of other
 * chains with later timestamps; reading from the newest round held (as the book once did) never
 * returns it, and the live book's volatility (so every haircut) came from fewer rounds than a fresh
 * book's over the same store. The book now resumes each read at the oldest of the per-chain newest
 * rounds of the chains whose prices moved (api/book/book.ts roundsReadFrom).
 * Plain data (the book over the in-memory store), one clock for both books.
 */
import { describe, expect, it } from "vitest";
import { createRiskBook } from "../api/book/book.js";
import { appendLedger, createMemoryReader } from "../api/book/memoryReader.js";
import { CHAIN_L1, CHAIN_L2B, T0, bookTestConfig, priceRows, seededStore } from "../api/book/testing.js";

describe("risk book: price rounds of a chain that is behind", () => {
  it("a round indexed after later rounds of another chain is in the live book's volatility", async () => {
    const store = seededStore(T0);
    const config = bookTestConfig();
    const clock = () => (T0 + 600) * 1000;
    const book = createRiskBook({ reader: createMemoryReader(store), config, clock, pollIntervalMs: 3_600_000, volatilityIntervalMs: 0 });
    await book.start();
    // l1 is ahead: its ETH answer of T0+300 is indexed first.
    appendLedger(store, priceRows({ ETH: 3300 }, T0 + 300, [CHAIN_L1]));
    await book.sync();
    // l2b catches up: its ETH answer of T0+200 lands in the store after l1's T0+300.
    appendLedger(store, priceRows({ ETH: 2400 }, T0 + 200, [CHAIN_L2B]));
    await book.sync();
    await book.stop();

    const fresh = createRiskBook({ reader: createMemoryReader(store), config, clock, pollIntervalMs: 3_600_000, volatilityIntervalMs: 0 });
    await fresh.start();
    await fresh.stop();
    // Same store, same instant: the same price history behind the estimate.
    expect(book.volatility().samples).toEqual(fresh.volatility().samples);
    expect(book.volatility().sigmaAnnual).toEqual(fresh.volatility().sigmaAnnual);
  });
});
