/** PriceFeed (Chainlink aggregator) handler: AnswerUpdated → price_round, latest_price, ledger. */
import { ponder } from "ponder:registry";
import { chainFor } from "../../indexer/chains.js";
import { eventMeta } from "../../indexer/meta.js";
import { mapAnswerUpdated } from "./mappers/prices.js";
import { applyOps } from "./write.js";

ponder.on("PriceFeed:AnswerUpdated", async ({ event, context }) => {
  const meta = eventMeta(event, context.chain.id);
  await applyOps(context.db, mapAnswerUpdated(event.log.address, event.args, meta, chainFor(meta)));
});
