/** Plain-data helpers for the domain view's tests (no store): a source over given Aave market states. */
import type { AaveMarketState } from "../../protocols/aaveV3/ledger.js";
import type { DomainCheckpoint, DomainSource } from "../../protocols/types.js";
import { aaveAccountSnapshot, aaveDomainId, aaveViewContext, evaluateAaveMarkets, type AaveStressMarket } from "../../risk/domains/index.js";
import { addr, USDC, WBTC, WETH } from "../../risk/domains/testing.js";

export const symbols = new Map([
  [USDC, "USDC"],
  [WETH, "ETH"],
  [WBTC, "BTC"],
]);
export const POOL = addr(0x9001);
export const CHAIN = 1;

/** A source over plain market states: `states[i]` is what the i-th read finds. */
export function plainSource(states: AaveMarketState[], onRead: () => void = () => {}) {
  let reads = 0;
  let current = states[0]!;
  const source: DomainSource & { reads(): number } = {
    adapterId: "aaveV3",
    chainIds: [CHAIN],
    reads: () => reads,
    domains: () => [{ kind: "aaveV3", id: aaveDomainId(CHAIN, POOL), chainId: CHAIN, pool: POOL }],
    async read() {
      current = states[Math.min(reads, states.length - 1)]!;
      reads++;
      onRead();
    },
    evaluate(e, checkpoints: ReadonlyMap<number, DomainCheckpoint>) {
      const ts = checkpoints.get(CHAIN)!.blockTimestamp;
      const ctx = aaveViewContext(e, { chainId: CHAIN, blockTimestamp: ts, finalitySeconds: 60, maxDataLagSeconds: 120, symbols });
      return evaluateAaveMarkets([{ chainId: CHAIN, pool: POOL, domainId: aaveDomainId(CHAIN, POOL), state: current, timestamp: BigInt(ts), ctx }]);
    },
    stressMarkets: (checkpoints: ReadonlyMap<number, DomainCheckpoint>): AaveStressMarket[] => {
      const ts = BigInt(checkpoints.get(CHAIN)?.blockTimestamp ?? 0);
      return [{ chainId: CHAIN, pool: POOL, symbols, baseCurrencyUnit: 100_000_000n, accounts: [...current.accounts].sort().map((u) => aaveAccountSnapshot(current, u, ts)) }];
    },
  };
  return source;
}

