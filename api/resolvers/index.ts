/** The resolver map of api/schema/typeDefs.ts. */
import { BigIntScalar, DecimalScalar } from "../scalars.js";
import { accountResolver } from "./account.js";
import { accountsResolver, reportResolver } from "./accounts.js";
import { endangeredResolver, seizableResolver } from "./endangered.js";
import { accountHistoryResolver, systemHistoryResolver, tierChangesResolver } from "./history.js";
import { shortfallsResolver, stressLibraryResolver, stressResolver } from "./stress.js";
import { subscriptionResolvers } from "./subscriptions.js";
import { asOfResolver, bookStatsResolver, systemResolver } from "./system.js";

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
    tierChanges: tierChangesResolver,
    accountHistory: accountHistoryResolver,
    systemHistory: systemHistoryResolver,
    asOf: asOfResolver,
    bookStats: bookStatsResolver,
  },
  Subscription: subscriptionResolvers,
  AccountSummary: { report: reportResolver },
  EndangeredAccount: { report: reportResolver, seizable: seizableResolver },
  ScenarioResult: { shortfalls: shortfallsResolver },
};
