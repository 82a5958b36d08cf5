/** The resolver map of api/schema/typeDefs.ts. */
import { BigIntScalar, DecimalScalar } from "../scalars.js";
import { accountResolver } from "./account.js";
import { accountsResolver, reportResolver } from "./accounts.js";
import { aaveEndangeredResolver, badDebtResolver, exposureResolver, scenarioDomainsResolver } from "./domains.js";
import { endangeredResolver, seizableResolver } from "./endangered.js";
import { accountHistoryResolver, systemHistoryResolver, tierChangesResolver } from "./history.js";
import { liquidationCurveResolver, shortfallsResolver, stressLibraryResolver, stressResolver } from "./stress.js";
import { subscriptionResolvers } from "./subscriptions.js";
import { asOfResolver, bookStatsResolver, systemResolver } from "./system.js";

/**
 * Account fields FormattedAccount (api/format.ts) computes only when selected, as methods.
 * graphql-js calls a function-valued property by itself; compiled execution (graphql-jit) reads
 * plain properties, so these are explicit resolvers for both.
 */
const ACCOUNT_LAZY_FIELDS = ["degradedReasons", "chains", "items", "positions", "liquidationPrices", "portfolioRequirementUsd", "marginEfficiency", "asOf"] as const;

function lazyField(field: string) {
  return (parent: Record<string, unknown>) => {
    const value = parent[field];
    return typeof value === "function" ? (value as () => unknown).call(parent) : value;
  };
}

export const resolvers = {
  Decimal: DecimalScalar,
  BigInt: BigIntScalar,
  Query: {
    account: accountResolver,
    accounts: accountsResolver,
    endangeredAccounts: endangeredResolver,
    system: systemResolver,
    stress: stressResolver,
    stressLibrary: stressLibraryResolver,
    liquidationCurve: liquidationCurveResolver,
    tierChanges: tierChangesResolver,
    accountHistory: accountHistoryResolver,
    systemHistory: systemHistoryResolver,
    asOf: asOfResolver,
    bookStats: bookStatsResolver,
    exposure: exposureResolver,
    badDebt: badDebtResolver,
    aaveEndangered: aaveEndangeredResolver,
  },
  Subscription: subscriptionResolvers,
  Account: Object.fromEntries(ACCOUNT_LAZY_FIELDS.map((field) => [field, lazyField(field)])),
  AccountSummary: { report: reportResolver },
  EndangeredAccount: { report: reportResolver, seizable: seizableResolver },
  ScenarioResult: { shortfalls: shortfallsResolver, domainStress: scenarioDomainsResolver },
  DomainStress: { shortfalls: shortfallsResolver },
  System: { badDebt: badDebtResolver },
};
