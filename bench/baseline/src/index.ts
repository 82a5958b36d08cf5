import { ponder } from "ponder:registry";
// Imported by path, not "ponder:schema": the repository's ponder-env.d.ts types that name for xmargin's schema.
import { AAVE_INDEXED_EVENTS } from "../../../protocols/aaveV3/indexedEvents.js";
import { readFileSync } from "node:fs";
import { validateConfig } from "../../../config/validateConfig.js";
import { aaveOracleAbi } from "../../../protocols/aaveV3/abis.js";
import { aaveEvent, event, priceRead } from "../ponder.schema.js";

type Args = Record<string, unknown>;

const amountOf = (args: Args): bigint | null => {
  for (const k of ["amount", "sizeDelta", "sizeClosed", "fundingRate", "current", "maxLeverage"]) {
    if (typeof args[k] === "bigint") return args[k] as bigint;
  }
  return null;
};

const names = [
  "MarginVault:CollateralDeposited",
  "MarginVault:CollateralWithdrawn",
  "MarginVault:DebtBorrowed",
  "MarginVault:DebtRepaid",
  "MarginVault:CollateralSeized",
  "MarginVault:PositionUpdated",
  "MarginVault:PositionLiquidated",
  "MarginVault:FundingUpdated",
  "MarginVault:MarketListed",
  "MarginVault:MarketModeChanged",
  "MarginVault:MaxLeverageChanged",
  "MarginVault:InsuranceFunded",
  "MarginVault:InsurancePaidOut",
  "MarginVault:LiquidatorSet",
  "PriceFeed:AnswerUpdated",
] as const;

for (const name of names) {
  ponder.on(name as any, async ({ event: e, context }: any) => {
    const args = e.args as Args;
    await context.db.insert(event).values({
      chainId: context.chain.id,
      blockNumber: e.block.number,
      logIndex: e.log.logIndex,
      name,
      timestamp: e.block.timestamp,
      txHash: e.transaction.hash,
      account: typeof args.account === "string" ? (args.account as `0x${string}`) : null,
      amountRaw: amountOf(args),
    });
  });
}

// Aave: the events xmargin's Aave handlers register (protocols/aaveV3/indexedEvents.ts), one insert each.
const aaveAccountOf = (args: Args): `0x${string}` | null => {
  for (const k of ["user", "onBehalfOf", "from", "asset"]) {
    if (typeof args[k] === "string") return args[k] as `0x${string}`;
  }
  return null;
};
const aaveAmountOf = (args: Args): bigint | null => {
  for (const k of ["value", "amount", "current", "liquidityIndex", "debtToCover"]) {
    if (typeof args[k] === "bigint") return args[k] as bigint;
  }
  return null;
};

for (const [contract, { events }] of Object.entries(AAVE_INDEXED_EVENTS)) {
  for (const eventName of events) {
    const name = `${contract}:${eventName}`;
    ponder.on(name as any, async ({ event: e, context }: any) => {
      const args = e.args as Args;
      await context.db.insert(aaveEvent).values({
        chainId: context.chain.id,
        blockNumber: e.block.number,
        logIndex: e.log.logIndex,
        name,
        timestamp: e.block.timestamp,
        txHash: e.transaction.hash,
        emitter: e.log.address,
        account: aaveAccountOf(args),
        amountRaw: aaveAmountOf(args),
      });
    });
  }
}

// The price reads xmargin does (protocols/aaveV3/handlers.ts AavePriceReads): getAssetPrice at the
// block for each `priceReads` asset, one insert each (a read before the oracle names a source reverts: skipped).
const config = validateConfig(JSON.parse(readFileSync(process.env.XMARGIN_CONFIG!, "utf8")));
const marketByChain = new Map(Object.values(config.chains).flatMap((c) => (c.aaveV3?.priceReads ? [[c.chainId, c.aaveV3] as const] : [])));
ponder.on("AavePriceReads:block" as any, async ({ event: e, context }: any) => {
  const market = marketByChain.get(context.chain.id);
  if (!market?.priceReads) return;
  for (const asset of market.priceReads.assets) {
    let price: bigint;
    try {
      price = await context.client.readContract({ abi: aaveOracleAbi, address: market.oracle, functionName: "getAssetPrice", args: [asset], blockNumber: e.block.number, retryEmptyResponse: false });
    } catch {
      continue;
    }
    await context.db.insert(priceRead).values({ chainId: context.chain.id, blockNumber: e.block.number, asset, price });
  }
});
