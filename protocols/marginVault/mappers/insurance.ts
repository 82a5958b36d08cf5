/** Insurance fund and liquidator-authorization events. */
import type { ChainLookup } from "../../../config/chainLookup.js";
import { accountOp, joinFlags, ledgerOp, quoteRef, tokenRef } from "./common.js";
import type { EventMeta, Hex, StoreOp } from "./types.js";

export interface InsuranceFundedArgs {
  token: Hex;
  from: Hex;
  amount: bigint;
  newBalance: bigint;
}
export interface InsurancePaidOutArgs {
  account: Hex;
  token: Hex;
  amount: bigint;
  newFundBalance: bigint;
  newCash: bigint;
}
export interface LiquidatorSetArgs {
  liquidator: Hex;
  allowed: boolean;
}

function fundOp(meta: EventMeta, chain: ChainLookup, token: Hex, balance: bigint): StoreOp {
  const ref = tokenRef(chain, token);
  const state = { asset: ref.asset, decimals: ref.decimals, balanceRaw: balance, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  return { kind: "upsert", table: "insuranceFund", values: { chainId: meta.chainId, token: token, ...state }, set: state };
}

/** InsuranceFunded → insurance_fund = newBalance, ledger INSURANCE_FUNDED (counterparty = funder; no account). */
export function mapInsuranceFunded(args: InsuranceFundedArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const ref = tokenRef(chain, args.token);
  return [
    fundOp(meta, chain, args.token, args.newBalance),
    ledgerOp(meta, "INSURANCE_FUNDED", {
      counterparty: args.from,
      token: args.token,
      asset: ref.asset,
      decimals: ref.decimals,
      amountRaw: args.amount,
      newValueRaw: args.newBalance,
      flag: joinFlags(ref.flag),
    }),
  ];
}

/** InsurancePaidOut → account, insurance_fund = newFundBalance, cash = newCash, ledger INSURANCE_PAID. */
export function mapInsurancePaidOut(args: InsurancePaidOutArgs, meta: EventMeta, chain: ChainLookup): StoreOp[] {
  const account = args.account;
  const ref = tokenRef(chain, args.token);
  const quote = quoteRef(chain);
  const cash = { quoteToken: quote.quoteToken, asset: quote.asset, decimals: quote.decimals, amountRaw: args.newCash, updatedBlock: meta.blockNumber, updatedTimestamp: meta.timestamp };
  return [
    accountOp(meta, account),
    fundOp(meta, chain, args.token, args.newFundBalance),
    { kind: "upsert", table: "cash", values: { chainId: meta.chainId, account, ...cash }, set: cash },
    ledgerOp(meta, "INSURANCE_PAID", {
      account,
      token: args.token,
      asset: ref.asset,
      decimals: ref.decimals,
      amountRaw: args.amount,
      newValueRaw: args.newFundBalance,
      cashRaw: args.newCash,
      flag: joinFlags(ref.flag),
    }),
  ];
}

/** LiquidatorSet → liquidator.allowed, ledger LIQUIDATOR_SET (newValueRaw 1 allowed, 0 revoked). */
export function mapLiquidatorSet(args: LiquidatorSetArgs, meta: EventMeta): StoreOp[] {
  const address = args.liquidator;
  const state = { allowed: args.allowed, updatedBlock: meta.blockNumber };
  return [
    { kind: "upsert", table: "liquidator", values: { chainId: meta.chainId, address, ...state }, set: state },
    ledgerOp(meta, "LIQUIDATOR_SET", { counterparty: address, newValueRaw: args.allowed ? 1n : 0n }),
  ];
}
