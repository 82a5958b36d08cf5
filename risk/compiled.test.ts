import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { D } from "./decimal.js";
import { prepareEnvironment, type PreparedEnvironment } from "./environment.js";
import { accountHealth, evaluateAccount } from "./evaluateAccount.js";
import {
  accountAt,
  addressAt,
  AddressIndex,
  assetIndexOf,
  compileBook,
  holderCount,
  holderSlots,
  HolderList,
  ITEM_COLLATERAL,
  ITEM_DEBT,
  itemColumns,
  marketFundingIndex,
  positionColumns,
  screenAccount,
  screenAll,
  screenHolders,
  slotCount,
  slotOf,
  updateCompiledAccount,
} from "./compiled.js";
import { address, CHAIN_L1, CHAINS, envInput, freshChains, generateAccounts, NOW, testConfig } from "./testing.js";
import type { AccountState, VolatilityEstimate } from "./types.js";

const vol: VolatilityEstimate = {
  assets: ["BTC", "ETH"],
  sigmaEwmaAnnual: { BTC: 0.6, ETH: 0.8 },
  sigmaAnnual: { BTC: 0.6, ETH: 0.8 },
  covarianceAnnual: [[0.36, 0.384], [0.384, 0.64]],
  correlation: [[1, 0.8], [0.8, 1]],
  samples: { BTC: 500, ETH: 500 },
  asOf: NOW,
};

/**
 * Adds quote debt on chain L1 so that healthM lands within a micro-dollar of 0 (right at the
 * MARGIN_CALL/LIQUIDATABLE edge). A few fixed-point steps, since in portfolio mode the debt also moves PMR.
 */
function atMaintenanceEdge(account: AccountState, env: PreparedEnvironment): AccountState {
  if (!accountHealth(account, env).maintenanceHealthUsd.isPos()) return account;
  const markup = env.haircuts.USDC[CHAIN_L1].debtMaintenance.plus(1);
  const usdc = env.assets.USDC.band.high!;
  let raw = 0n;
  const withDebt = (r: bigint) => ({ ...account, debt: [...account.debt, { chainId: CHAIN_L1, asset: "USDC", amountRaw: r, decimals: 6 }] });
  for (let step = 0; step < 6; step++) {
    const h = accountHealth(withDebt(raw), env).maintenanceHealthUsd;
    const delta = BigInt(h.div(markup.times(usdc)).times(1e6).toDecimalPlaces(0, D.ROUND_DOWN).toFixed());
    if (delta === 0n) break;
    raw = raw + delta > 0n ? raw + delta : 0n;
  }
  return withDebt(raw);
}

describe("screenAccount", () => {
  test("default: float numbers match the exact report, tiers equal", () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput({ chains: freshChains(NOW, 15) }));
    const accounts = generateAccounts(500, 21);
    const book = compileBook(accounts, config);
    const screens = screenAll(book, env);
    accounts.forEach((a, i) => {
      const r = evaluateAccount(a, env);
      const s = screens[i]!;
      expect(s.tier).toBe(r.tier);
      const scale = accountHealth(a, env).grossScaleUsd.toNumber();
      expect(Math.abs(s.healthMUsd - r.maintenanceHealthUsd.toNumber())).toBeLessThanOrEqual(1e-12 * scale + 1e-9);
      expect(Math.abs(s.healthIUsd - r.initialHealthUsd.toNumber())).toBeLessThanOrEqual(1e-12 * scale + 1e-9);
      expect(Math.abs(s.equityUsd - r.equityUsd.toNumber())).toBeLessThanOrEqual(1e-12 * scale + 1e-9);
      expect(s.healthFactor === null).toBe(r.healthFactor === null);
      if (s.healthFactor !== null) expect(Math.abs(s.healthFactor - r.healthFactor!.toNumber())).toBeLessThanOrEqual(1e-9 * Math.max(1, s.healthFactor));
      expect(s.degraded).toBe(r.degraded);
    });
  });

  test("boundary: accounts placed exactly at tier edges are re-checked exactly and get evaluateAccount's tier", () => {
    const config = testConfig({ latency: [0, 0, 0], assets: { USDC: { cfMaintenance: "0.9", cfInitial: "0.8" } } });
    const env = prepareEnvironment(config, envInput());
    const usdc = (n: bigint) => ({ chainId: CHAIN_L1, asset: "USDC", amountRaw: n * 1_000000n, decimals: 6 });
    const edges: AccountState[] = [
      { address: address(1), collateral: [usdc(100n)], debt: [usdc(80n)], positions: [] },
      { address: address(2), collateral: [usdc(100n)], debt: [usdc(90n)], positions: [] },
      { address: address(3), collateral: [usdc(100n)], debt: [usdc(100n)], positions: [] },
      { address: address(4), collateral: [usdc(100n)], debt: [{ ...usdc(0n), amountRaw: 100_000001n }], positions: [] },
    ];
    const book = compileBook(edges, config);
    const screens = screenAll(book, env);
    expect(screens.map((s) => s!.tier)).toEqual(["SAFE", "MARGIN_CALL", "LIQUIDATABLE", "INSOLVENT"]);
    // the three exact zeros are confirmed by decimal math; −1e-6 USD is outside the band (2e-7 USD here)
    expect(book.exactChecks).toBe(3);
  });

  for (const mode of ["standard", "portfolio"] as const) {
    test(`property (${mode}): screenAccount's tier always equals evaluateAccount's — random shocks, lags, stale and unreachable chains, accounts at the edge`, () => {
      const config = testConfig({ params: { marginMode: mode } });
      let exactChecks = 0;
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1e9 }),
          fc.record({ BTC: fc.double({ min: 0.3, max: 1.5, noNaN: true }), ETH: fc.double({ min: 0.3, max: 1.5, noNaN: true }), SOL: fc.double({ min: 0.3, max: 1.5, noNaN: true }) }),
          fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 3, maxLength: 3 }),
          fc.subarray(CHAINS, { maxLength: 1 }),
          fc.boolean(),
          (seed, shocks, lags, unreachable, withVol) => {
            const chains = CHAINS.map((chainId, i) => ({ chainId, blockNumber: 1n, blockTimestamp: NOW - lags[i] }));
            const env = prepareEnvironment(config, envInput({ chains, volatility: withVol ? vol : null }), {
              priceMultipliers: shocks,
              unreachableChains: unreachable,
            });
            const generated = generateAccounts(6, seed);
            const accounts = [...generated, ...generated.map((a, i) => ({ ...atMaintenanceEdge(a, env), address: address(1000 + i) }))];
            const book = compileBook(accounts, config);
            accounts.forEach((a, i) => {
              expect(screenAccount(book, i, env).tier).toBe(evaluateAccount(a, env).tier);
            });
            exactChecks += book.exactChecks;
          },
        ),
        { numRuns: 60 },
      );
      // the edge accounts really went through the exact re-check
      expect(exactChecks).toBeGreaterThan(60);
    });
  }
});

describe("compiled book maintenance", () => {
  const config = testConfig();
  const env = prepareEnvironment(config, envInput());

  test("updateCompiledAccount replaces, removes, keeps holders and survives compaction", () => {
    const accounts = generateAccounts(200, 4);
    const book = compileBook(accounts.slice(0, 100), config);
    // replace every account many times over (forces compaction), then add the rest
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 100; i++) updateCompiledAccount(book, accounts[i].address, accounts[(i + round) % 200]);
    }
    for (let i = 0; i < 100; i++) updateCompiledAccount(book, accounts[i].address, { ...accounts[i] });
    for (let i = 100; i < 200; i++) updateCompiledAccount(book, accounts[i].address, accounts[i]);
    expect(book.itemUsed + book.posUsed).toBeLessThan(200 * 10);
    const screens = screenAll(book, env);
    accounts.forEach((a) => expect(screens[slotOf(book, a.address)!]!.tier).toBe(evaluateAccount(a, env).tier));
    // holders: exactly the accounts holding the asset
    const eth = assetIndexOf(book, "ETH");
    const expected = accounts
      .filter((a) => [...a.collateral, ...a.debt].some((b) => b.asset === "ETH") || a.positions.some((p) => p.marketId === 1))
      .map((a) => slotOf(book, a.address)!)
      .sort((x, y) => x - y);
    expect([...book.holders[eth]].sort((x, y) => x - y)).toEqual(expected);
    // remove
    updateCompiledAccount(book, accounts[0].address, null);
    expect(slotOf(book, accounts[0].address)).toBeUndefined();
    expect(screenAll(book, env)[0]).toBeNull();
    expect([...book.holders[eth]].includes(0)).toBe(false);
  });

  test("screenHolders re-screens only the holders of the moved asset", () => {
    const accounts = generateAccounts(300, 8);
    const book = compileBook(accounts, config);
    const screens = screenAll(book, env);
    const moved = prepareEnvironment(config, envInput(), { priceMultipliers: { SOL: "0.5" } });
    const touched = screenHolders(book, assetIndexOf(book, "SOL"), moved, screens);
    expect(touched.length).toBe(book.holders[assetIndexOf(book, "SOL")].size);
    expect(touched.length).toBeLessThan(accounts.length);
    accounts.forEach((a, i) => expect(screens[i]!.tier).toBe(evaluateAccount(a, moved).tier));
  });

  test("boundary: an unknown asset is rejected and leaves the book unchanged", () => {
    const book = compileBook(generateAccounts(3, 1), config);
    const bad: AccountState = { address: address(99), collateral: [{ chainId: CHAIN_L1, asset: "DOGE", amountRaw: 1n, decimals: 0 }], debt: [], positions: [] };
    expect(() => updateCompiledAccount(book, bad.address, bad)).toThrow(/'DOGE'.*expected one of/);
    expect(slotOf(book, bad.address)).toBeUndefined();
    expect(screenAll(book, env).filter(Boolean).length).toBe(3);
  });

  test("boundary: a position in an unknown market is rejected, names the key, and leaves a replaced account out", () => {
    const accounts = generateAccounts(3, 2);
    const book = compileBook(accounts, config);
    const bad: AccountState = {
      ...accounts[1],
      positions: [{ chainId: CHAIN_L1, marketId: 99, asset: "ETH", sizeRaw: 10n ** 18n, entryPriceRaw: 3000n * 10n ** 8n, priceDecimals: 8, fundingIndexX18: 0n }],
    };
    expect(() => updateCompiledAccount(book, bad.address, bad)).toThrow(new RegExp(`market '${CHAIN_L1}:99'.*expected one of`));
    expect(slotOf(book, bad.address)).toBeUndefined();
    const screens = screenAll(book, env);
    expect(screens.filter(Boolean).length).toBe(2);
    expect(screens[0]!.tier).toBe(evaluateAccount(accounts[0], env).tier);
    expect(screens[2]!.tier).toBe(evaluateAccount(accounts[2], env).tier);
  });

  test("boundary: an environment from another config is refused", () => {
    const book = compileBook([], config);
    const other = prepareEnvironment({ ...config, chains: { [CHAIN_L1]: config.chains[CHAIN_L1] } }, envInput());
    expect(() => screenAll(book, other).length + screenAccount(book, 0, other).tier.length).toThrow(/another config/);
  });

  test("boundary: 2^256 − 1 amounts screen without overflow and agree with the exact tier", () => {
    const max = 2n ** 256n - 1n;
    const a: AccountState = { address: address(5), collateral: [{ chainId: CHAIN_L1, asset: "ETH", amountRaw: max, decimals: 18 }], debt: [{ chainId: CHAIN_L1, asset: "USDC", amountRaw: max, decimals: 6 }], positions: [] };
    const book = compileBook([a], config);
    const s = screenAll(book, env)[0]!;
    expect(Number.isFinite(s.healthMUsd)).toBe(true);
    expect(s.tier).toBe(evaluateAccount(a, env).tier);
  });
});

describe("compiled book indexes", () => {
  test("property: AddressIndex answers like a Map under sets, replacements, deletes and growth", () => {
    const op = fc.record({ kind: fc.constantFrom("set", "set", "delete"), key: fc.integer({ min: 0, max: 300 }), slot: fc.integer({ min: 0, max: 400 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const index = new AddressIndex(2); // starts small: many rehashes and long probe runs
        const truth = new Map<string, number>();
        const key = (k: number) => address(k).toLowerCase();
        for (const o of ops) {
          if (o.kind === "set") {
            // a slot belongs to one key at a time, as in the book
            for (const [k, v] of truth) {
              if (v === o.slot && k !== key(o.key)) {
                index.delete(k);
                truth.delete(k);
              }
            }
            index.set(key(o.key), o.slot);
            truth.set(key(o.key), o.slot);
          } else {
            expect(index.delete(key(o.key))).toBe(truth.delete(key(o.key)));
          }
        }
        expect(index.size).toBe(truth.size);
        for (let k = 0; k <= 300; k++) expect(index.get(key(k))).toBe(truth.get(key(k)));
      }),
    );
  });

  test("property: HolderList holds exactly the slots a Set would", () => {
    const op = fc.record({ add: fc.boolean(), slot: fc.integer({ min: 0, max: 100 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const list = new HolderList(4);
        const truth = new Set<number>();
        for (const o of ops) {
          if (o.add) {
            list.add(o.slot);
            truth.add(o.slot);
          } else {
            expect(list.delete(o.slot)).toBe(truth.delete(o.slot));
          }
        }
        expect(list.size).toBe(truth.size);
        expect([...list].sort((a, b) => a - b)).toEqual([...truth].sort((a, b) => a - b));
        expect([...list.slots()].sort((a, b) => a - b)).toEqual([...truth].sort((a, b) => a - b));
        for (let s = 0; s <= 100; s++) expect(list.has(s)).toBe(truth.has(s));
      }),
    );
  });

  test("behavior: compileBook with a repeated address keeps the last state, as updateCompiledAccount would", () => {
    const config = testConfig();
    const env = prepareEnvironment(config, envInput());
    const [a, b, c] = generateAccounts(3, 17);
    const again = { ...c, address: a.address.toUpperCase().replace("0X", "0x") as typeof a.address };
    const book = compileBook([a, b, again], config);
    expect(book.size).toBe(2);
    expect(slotOf(book, a.address)).toBe(0);
    expect(book.states[0]).toBe(again);
    const incremental = compileBook([a, b], config);
    updateCompiledAccount(incremental, again.address, again);
    expect(screenAll(book, env)).toEqual(screenAll(incremental, env));
  });
});

describe("read accessors", () => {
  test("default: columns, slots and holders read back every account after replacements, compaction and a removal", () => {
    const config = testConfig();
    const accounts = generateAccounts(150, 23);
    const book = compileBook(accounts.slice(0, 100), config);
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 100; i++) updateCompiledAccount(book, accounts[i].address, accounts[(i + round) % 150]);
    }
    const finalState = new Map<number, AccountState>();
    for (let i = 0; i < 150; i++) finalState.set(updateCompiledAccount(book, accounts[i].address, accounts[i])!, accounts[i]);
    const removed = slotOf(book, accounts[7].address)!;
    updateCompiledAccount(book, accounts[7].address, null);
    finalState.delete(removed);

    expect(slotCount(book)).toBe(150);
    expect(accountAt(book, removed)).toBeNull();
    expect(addressAt(book, removed)).toBeNull();
    const items = itemColumns(book);
    const pos = positionColumns(book);
    for (const [slot, state] of finalState) {
      expect(accountAt(book, slot)).toBe(state);
      expect(addressAt(book, slot)).toBe(state.address);
      const balances = [...state.collateral.map((b) => [ITEM_COLLATERAL, b] as const), ...state.debt.map((b) => [ITEM_DEBT, b] as const)];
      expect(items.count[slot]).toBe(balances.length);
      balances.forEach(([kind, b], j) => {
        const k = items.start[slot] + j;
        expect([items.kind[k], items.asset[k], items.amount[k]]).toEqual([kind, assetIndexOf(book, b.asset), Number(b.amountRaw) / 10 ** b.decimals]);
      });
      expect(pos.count[slot]).toBe(state.positions.length);
      state.positions.forEach((p, j) => {
        const k = pos.start[slot] + j;
        expect([pos.market[k], pos.size[k]]).toEqual([book.marketKeys.indexOf(`${p.chainId}:${p.marketId}`), Number(p.sizeRaw) / 1e18]);
        expect(pos.asset[k]).toBe(assetIndexOf(book, config.markets[`${p.chainId}:${p.marketId}`].asset));
      });
    }
    for (const asset of book.assetOrder) {
      const a = assetIndexOf(book, asset);
      const expected = [...finalState]
        .filter(([, s]) => [...s.collateral, ...s.debt].some((b) => b.asset === asset) || s.positions.some((p) => config.markets[`${p.chainId}:${p.marketId}`].asset === asset))
        .map(([slot]) => slot)
        .sort((x, y) => x - y);
      expect([...holderSlots(book, a)].sort((x, y) => x - y)).toEqual(expected);
      expect(holderCount(book, a)).toBe(expected.length);
    }
    expect(holderSlots(book, assetIndexOf(book, "NOPE")).length).toBe(0);
    expect(holderCount(book, -1)).toBe(0);
  });

  test("behavior: marketFundingIndex is env's index / 1e18 per market in book order, NaN where env has none", () => {
    const config = testConfig();
    const book = compileBook(generateAccounts(5, 3), config);
    const [first, second] = book.marketKeys;
    const env = prepareEnvironment(config, envInput({ fundingIndexX18: { [first]: 25n * 10n ** 16n } }));
    const funding = marketFundingIndex(book, env);
    expect(funding.length).toBe(book.marketKeys.length);
    expect(funding[0]).toBe(0.25);
    expect(Number.isNaN(funding[book.marketKeys.indexOf(second)])).toBe(true);
    expect(marketFundingIndex(book, env)).toBe(funding); // cached per (book, env)
  });
});
