/**
 * Aave markets evaluated at one read and environment, at scale: the float screen (aaveScreen.ts)
 * gives every account's tier and a health-factor lower bound; the exact path (snapshot → rule and
 * view, domain.ts aaveDomainAccount) runs only for the accounts the screen cannot decide (near a
 * tier boundary, possibly in bad debt, or with a problem), and, on demand, for the accounts asked
 * for (one address, an endangered list). Exact results are memoised for the evaluation's life.
 *
 * What is exact: tier counts, bad debt (Σ max(0, D − C) of the rule, per domain), every account
 * returned. What is a compensated float sum: the domains' Σ collateral and Σ debt (as the vault
 * book's system totals from its screen). Pure.
 */
import type { Address } from "viem";
import { getAddress } from "viem";
import { AaveError } from "../../protocols/aaveV3/errors.js";
import type { AaveMarketState } from "../../protocols/aaveV3/ledger.js";
import { MixedSum } from "../systemic.js";
import { TIERS } from "../types.js";
import { aaveAccountSnapshot, snapshotAccountData } from "./aaveSnapshot.js";
import { compileAaveScreen, SCREEN_EXACT, screenAaveMarket, type AaveScreen, type AaveScreenBook } from "./aaveScreen.js";
import { aaveAccountView, type AaveViewContext } from "./aaveView.js";
import { aaveDomainAccount, aaveDomainRef, baseToUsd, emptyDomainTotals, type AaveDomainAccount, type DomainTotals } from "./domain.js";
import { DomainInputError } from "./errors.js";

/** One market to evaluate: its folded state, the block time its balances are taken at, the view's context. */
export interface AaveEvaluationMarket {
  chainId: number;
  pool: Address;
  domainId: string;
  state: AaveMarketState;
  /** unix seconds the indexes are applied at (the indexed block's) */
  timestamp: bigint;
  ctx: AaveViewContext;
  /** the state compiled for the screen (compileAaveScreen); compiled here when absent */
  book?: AaveScreenBook;
}

/** What could not be evaluated in a domain, and why. */
export interface DomainProblem {
  domainId: string;
  /** the account concerned; absent when the whole domain is */
  address?: Address;
  message: string;
}

/**
 * A protocol's domains at one read and environment (protocols/types.ts DomainSource.evaluate). The
 * totals are computed up front (from the float screen: tier counts and bad debt exact, collateral
 * and debt sums compensated floats); accounts are evaluated exactly when asked for, and memoised.
 */
export interface DomainEvaluation {
  /** per domain with accounts: count, Σ collateral, Σ debt, Σ bad debt, tiers (xmargin's view) */
  totals: DomainTotals[];
  /** what could not be evaluated, and why (an unmapped asset, a missing price): the rest still is */
  problems: DomainProblem[];
  /** `address`'s accounts in every domain of the source, exact */
  account(address: Address): AaveDomainAccount[];
  /** accounts whose protocol health factor is below `limitWad`, exact, lowest first (then by address), at most `first` */
  endangered(limitWad: bigint, first: number): AaveDomainAccount[];
  /** every account exact, by market then address (slow at scale: for checks and small books) */
  all(): AaveDomainAccount[];
}

export interface AaveEvaluation extends DomainEvaluation {
  /** how many accounts took the exact path so far (the screen's cost report) */
  exactCount(): number;
}

const byHealth = (a: AaveDomainAccount, b: AaveDomainAccount): number => {
  const x = a.rule.healthFactorWad!;
  const y = b.rule.healthFactorWad!;
  return x < y ? -1 : x > y ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
};

/**
 * Screens every market, computes the totals, and returns the lazily exact accessors.
 * Example: `evaluateAaveMarkets([{ chainId, pool, domainId, state, timestamp, ctx }]).totals[0].badDebtUsd`.
 */
export function evaluateAaveMarkets(markets: readonly AaveEvaluationMarket[]): AaveEvaluation {
  const problems: DomainProblem[] = [];
  const screens: AaveScreen[] = markets.map((m) => screenAaveMarket(m.book ?? compileAaveScreen(m.state), m.timestamp, m.ctx));
  const memo: Map<number, AaveDomainAccount | null>[] = markets.map(() => new Map());
  let exactCount = 0;

  /** the exact account at a slot; null when it cannot be evaluated (recorded as a problem once) */
  function exactAt(mi: number, slot: number): AaveDomainAccount | null {
    const cached = memo[mi].get(slot);
    if (cached !== undefined) return cached;
    const m = markets[mi];
    const address = screens[mi].book.addresses[slot];
    let out: AaveDomainAccount | null = null;
    exactCount++;
    try {
      const s = aaveAccountSnapshot(m.state, address, m.timestamp);
      out = aaveDomainAccount(m.chainId, m.pool, s, m.ctx, { exactLiquidationPrices: false });
    } catch (error) {
      if (!(error instanceof AaveError || error instanceof DomainInputError)) throw error;
      problems.push({ domainId: m.domainId, address, message: error.message });
    }
    memo[mi].set(slot, out);
    return out;
  }

  const totals: DomainTotals[] = [];
  markets.forEach((m, mi) => {
    const screen = screens[mi];
    const t = emptyDomainTotals(aaveDomainRef(m.chainId, m.pool));
    const collateral = new MixedSum();
    const debt = new MixedSum();
    const unit = Number(m.ctx.baseCurrencyUnit);
    /** the whole exact path, which records why an account cannot be evaluated */
    const addExact = (slot: number): void => {
      const a = exactAt(mi, slot);
      if (a === null) return;
      t.accounts++;
      t.accountsPerTier[a.view.tier]++;
      collateral.add(a.collateralUsd);
      debt.add(a.debtUsd);
      t.badDebtUsd = t.badDebtUsd.plus(a.badDebtUsd);
    };
    for (let slot = 0; slot < screen.book.addresses.length; slot++) {
      const flags = screen.exact[slot];
      if ((flags & SCREEN_EXACT.PROBLEM) !== 0) {
        addExact(slot);
      } else if (flags !== 0) {
        // only what the screen could not decide: the rule's totals (bad debt) and/or the view's tier
        exactCount++;
        let s: ReturnType<typeof aaveAccountSnapshot>;
        let tier: (typeof TIERS)[number];
        try {
          s = aaveAccountSnapshot(m.state, screen.book.addresses[slot], m.timestamp);
          tier = (flags & SCREEN_EXACT.TIER) !== 0 ? aaveAccountView(s, m.ctx).tier : TIERS[screen.tier[slot]];
        } catch (error) {
          if (!(error instanceof AaveError || error instanceof DomainInputError)) throw error;
          addExact(slot); // a problem the screen did not foresee: the exact path records it
          continue;
        }
        t.accounts++;
        t.accountsPerTier[tier]++;
        if ((flags & SCREEN_EXACT.BAD_DEBT) !== 0) {
          const data = snapshotAccountData(s);
          collateral.add(baseToUsd(data.totalCollateralBase, m.ctx.baseCurrencyUnit, false));
          debt.add(baseToUsd(data.totalDebtBase, m.ctx.baseCurrencyUnit, true));
          if (data.totalDebtBase > data.totalCollateralBase) t.badDebtUsd = t.badDebtUsd.plus(baseToUsd(data.totalDebtBase - data.totalCollateralBase, m.ctx.baseCurrencyUnit, true));
        } else {
          collateral.add(screen.collateralBase[slot] / unit);
          debt.add(screen.debtBase[slot] / unit);
        }
      } else {
        t.accounts++;
        t.accountsPerTier[TIERS[screen.tier[slot]]]++;
        collateral.add(screen.collateralBase[slot] / unit);
        debt.add(screen.debtBase[slot] / unit);
      }
    }
    t.collateralUsd = collateral.value();
    t.debtUsd = debt.value();
    if (t.accounts > 0) totals.push(t);
  });

  return {
    totals,
    problems,
    exactCount: () => exactCount,
    account(address) {
      const who = getAddress(address);
      const out: AaveDomainAccount[] = [];
      screens.forEach((s, mi) => {
        const slot = s.book.slotOf.get(who);
        if (slot === undefined) return;
        const a = exactAt(mi, slot);
        if (a !== null) out.push(a);
      });
      return out;
    },
    endangered(limitWad, first) {
      if (first <= 0) return [];
      const limit = Number(limitWad) / 1e18;
      // candidates whose exact health factor may be below the limit, by their lower bound
      const candidates: { mi: number; slot: number; low: number }[] = [];
      screens.forEach((s, mi) => {
        for (let slot = 0; slot < s.hfLow.length; slot++) if (s.hfLow[slot] < limit) candidates.push({ mi, slot, low: s.hfLow[slot] });
      });
      candidates.sort((a, b) => a.low - b.low);
      const accepted: AaveDomainAccount[] = [];
      let kth = Infinity; // the first-th smallest exact HF accepted so far (as a number)
      for (const c of candidates) {
        if (c.low > kth) break; // every later candidate's exact HF is above the first-th accepted
        const a = exactAt(c.mi, c.slot);
        if (a === null || a.rule.healthFactorWad === null || a.rule.healthFactorWad >= limitWad) continue;
        accepted.push(a);
        if (accepted.length >= first) {
          accepted.sort(byHealth);
          accepted.length = first;
          kth = Number(accepted[first - 1].rule.healthFactorWad) / 1e18;
        }
      }
      return accepted.sort(byHealth).slice(0, first);
    },
    all() {
      const out: AaveDomainAccount[] = [];
      screens.forEach((s, mi) => {
        const part: AaveDomainAccount[] = [];
        for (let slot = 0; slot < s.book.addresses.length; slot++) {
          const a = exactAt(mi, slot);
          if (a !== null) part.push(a);
        }
        out.push(...part.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)));
      });
      return out;
    },
  };
}
