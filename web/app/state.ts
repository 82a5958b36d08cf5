/** What the page has received, exposed as window.__xmargin for the end-to-end tests. */
import { traffic } from "./api.js";
import { chartData } from "./charts.js";

export const state = {
  charts: chartData,
  traffic,
  systemUpdates: 0,
  systemPushes: 0,
  lastSystem: null as null | { asOf: { now: number } },
  historyLoads: 0,
  curveLoads: 0,
  endangeredEvents: 0,
  endangeredCount: 0,
  aaveEndangeredCount: 0,
  aaveMarkets: 0,
  historyBucketSeconds: 0,
  accountUpdates: 0,
  account: null as null | Record<string, unknown>,
};
