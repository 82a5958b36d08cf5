/**
 * Collateral and debt events: each carries the account's new balance, so the row is written
 * from the event alone (no read). Unknown tokens are stored with asset null and UNKNOWN_TOKEN.
 */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { accountOp, joinFlags, ledgerOp, tokenRef } from "./common.js";
import type { EventMeta, Hex, LedgerKind, StoreOp } from "./types.js";

export interface CollateralMovedArgs {
  account: Hex;
  token: Hex;
  amount: bigint;
  newBalance: bigint;
}

export interface CollateralSeizedArgs extends CollateralMovedArgs {
  liquidator: Hex;
}

export interface DebtMovedArgs {
  account: Hex;
  token: Hex;
  amount: bigint;
  newDebt: bigint;
}

export interface DebtRepaidArgs extends DebtMovedArgs {
  payer: Hex;
}

function collateralOps(kind: LedgerKind, args: CollateralMovedArgs, meta: EventMeta, chain: ChainLookup, counterparty: Hex | null): StoreOp[] {
  const ref = tokenRef(chain, args.token);
  const token = args.token;
  const account = args.account;
  const state = {
    asset: ref.asset,
    decimals: ref.decimals,
    amountRaw: args.newBalance,
    flag: joinFlags(ref.flag),
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
  return [
    accountOp(meta, account),
    { kind: "upsert", table: "collateral", values: { chainId: meta.chainId, account, token, ...state }, set: state },
    ledgerOp(meta, kind, {
      account,
      counterparty,
      token,
      asset: ref.asset,
      decimals: ref.decimals,
      amountRaw: args.amount,
      newValueRaw: args.newBalance,
      flag: state.flag,
    }),
  ];
}

/** CollateralDeposited → account, collateral = newBalance, ledger DEPOSIT. */
export function mapCollateralDeposited(args: CollateralMovedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  return collateralOps("DEPOSIT", args, meta, chain, null);
}

/** CollateralWithdrawn → account, collateral = newBalance, ledger WITHDRAW. */
export function mapCollateralWithdrawn(args: CollateralMovedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  return collateralOps("WITHDRAW", args, meta, chain, null);
}

/** CollateralSeized → account, collateral = newBalance, liquidation row, ledger SEIZE. */
export function mapCollateralSeized(args: CollateralSeizedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const liquidator = args.liquidator;
  const ops = collateralOps("SEIZE", args, meta, chain, liquidator);
  const ref = tokenRef(chain, args.token);
  ops.push({
    kind: "insert",
    table: "liquidation",
    values: {
      chainId: meta.chainId,
      id: liquidationId(meta),
      kind: "collateral",
      account: args.account,
      liquidator,
      token: args.token,
      marketId: null,
      asset: ref.asset,
      amountRaw: args.amount,
      priceRaw: null,
      realizedPnlRaw: null,
      blockNumber: meta.blockNumber,
      timestamp: meta.timestamp,
      txHash: meta.txHash,
      logIndex: meta.logIndex,
    },
  });
  return ops;
}

/** `${blockNumber}-${logIndex}`: unique per chain, and sorts with the chain's history. */
export function liquidationId(meta: EventMeta): string {
  return `${meta.blockNumber}-${meta.logIndex}`;
}

function debtOps(kind: LedgerKind, args: DebtMovedArgs, meta: EventMeta, chain: ChainLookup, counterparty: Hex | null): StoreOp[] {
  const ref = tokenRef(chain, args.token);
  const token = args.token;
  const account = args.account;
  const state = {
    asset: ref.asset,
    decimals: ref.decimals,
    amountRaw: args.newDebt,
    flag: joinFlags(ref.flag),
    updatedBlock: meta.blockNumber,
    updatedTimestamp: meta.timestamp,
  };
  return [
    accountOp(meta, account),
    { kind: "upsert", table: "debt", values: { chainId: meta.chainId, account, token, ...state }, set: state },
    ledgerOp(meta, kind, {
      account,
      counterparty,
      token,
      asset: ref.asset,
      decimals: ref.decimals,
      amountRaw: args.amount,
      newValueRaw: args.newDebt,
      flag: state.flag,
    }),
  ];
}

/** DebtBorrowed → account, debt = newDebt, ledger BORROW. */
export function mapDebtBorrowed(args: DebtMovedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  return debtOps("BORROW", args, meta, chain, null);
}

/** DebtRepaid → account, debt = newDebt, ledger REPAY (counterparty = payer). */
export function mapDebtRepaid(args: DebtRepaidArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  return debtOps("REPAY", args, meta, chain, args.payer);
}
