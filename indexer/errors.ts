/** Errors of the indexing process, shared by every protocol adapter's handlers. */
import { XmarginError } from "../errors.js";
import type { EventMeta } from "./types.js";

/** The error for a broken invariant: says where, so the reader can find the log. */
export class IndexerInvariantError extends XmarginError {
  override name = "IndexerInvariantError";
  constructor(message: string, meta: Pick<EventMeta, "chainId" | "blockNumber" | "txHash" | "logIndex">) {
    super(
      "INDEXER_INVARIANT",
      `${message} (chainId ${meta.chainId}, blockNumber ${meta.blockNumber}, txHash ${meta.txHash}, logIndex ${meta.logIndex})`,
      { details: { chainId: meta.chainId, blockNumber: meta.blockNumber.toString(), txHash: meta.txHash, logIndex: meta.logIndex } },
    );
  }
}
