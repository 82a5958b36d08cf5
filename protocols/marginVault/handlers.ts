/** MarginVault handlers: decode (Ponder) → pure mapper → write. No risk math, no reads. */
import { ponder } from "ponder:registry";
import { chainFor } from "../../indexer/chains.js";
import { eventMeta } from "../../indexer/meta.js";
import { mapCollateralDeposited, mapCollateralSeized, mapCollateralWithdrawn, mapDebtBorrowed, mapDebtRepaid } from "./mappers/balances.js";
import { mapInsuranceFunded, mapInsurancePaidOut, mapLiquidatorSet } from "./mappers/insurance.js";
import { mapFundingUpdated, mapMarketListed, mapMarketModeChanged, mapMaxLeverageChanged } from "./mappers/markets.js";
import { mapPositionLiquidated, mapPositionUpdated } from "./mappers/positions.js";
import type { EventMeta, StoreOp } from "./mappers/types.js";
import type { ChainLookup } from "../../config/index.js";
import { applyOps } from "./write.js";

type Mapper<A> = (args: A, meta: EventMeta, chain: ChainLookup) => StoreOp[];

/** One handler: the same three steps for every vault event. */
function handle<A>(map: Mapper<A>) {
  return async ({ event, context }: { event: Parameters<typeof eventMeta>[0] & { args: A }; context: { chain: { id: number }; db: Parameters<typeof applyOps>[0] } }) => {
    const meta = eventMeta(event, context.chain.id);
    await applyOps(context.db, map(event.args, meta, chainFor(meta)));
  };
}

ponder.on("MarginVault:CollateralDeposited", handle(mapCollateralDeposited));
ponder.on("MarginVault:CollateralWithdrawn", handle(mapCollateralWithdrawn));
ponder.on("MarginVault:CollateralSeized", handle(mapCollateralSeized));
ponder.on("MarginVault:DebtBorrowed", handle(mapDebtBorrowed));
ponder.on("MarginVault:DebtRepaid", handle(mapDebtRepaid));
ponder.on("MarginVault:MarketListed", handle(mapMarketListed));
ponder.on("MarginVault:MarketModeChanged", handle(mapMarketModeChanged));
ponder.on("MarginVault:MaxLeverageChanged", handle(mapMaxLeverageChanged));
ponder.on("MarginVault:FundingUpdated", handle(mapFundingUpdated));
ponder.on("MarginVault:PositionUpdated", handle(mapPositionUpdated));
ponder.on("MarginVault:PositionLiquidated", handle(mapPositionLiquidated));
ponder.on("MarginVault:LiquidatorSet", handle(mapLiquidatorSet));
ponder.on("MarginVault:InsuranceFunded", handle(mapInsuranceFunded));
ponder.on("MarginVault:InsurancePaidOut", handle(mapInsurancePaidOut));
