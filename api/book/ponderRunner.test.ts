/**
 * The reader through Ponder's kind of handle: a Drizzle database over a real PGlite instance
 * (what "ponder:api" gives the API process with the default database), including the array
 * parameters, bigint parameters and numeric(78) columns the reader relies on.
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSqlReader } from "./reader.js";
import { ponderRunner } from "./ponderRunner.js";

let client: PGlite;
const schema = "ponder_runner_test";

beforeAll(async () => {
  client = new PGlite();
  await client.exec(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.collateral (chain_id integer, account text, token text, asset text, decimals integer, amount_raw numeric(78,0), flag text, updated_block numeric(78,0), updated_timestamp numeric(78,0));
    CREATE TABLE ${schema}.debt (LIKE ${schema}.collateral);
    CREATE TABLE ${schema}.cash (chain_id integer, account text, quote_token text, asset text, decimals integer, amount_raw numeric(78,0));
    CREATE TABLE ${schema}.position (chain_id integer, account text, market_id integer, asset text, size_raw numeric(78,0), entry_price_raw numeric(78,0), funding_index_x_18 numeric(78,0));
    INSERT INTO ${schema}.cash VALUES (1, '0xaa', '0xq', 'USDC', 6, -12);
    CREATE TABLE ${schema}.ledger (chain_id integer, block_number numeric(78,0), log_index integer, block_hash text, timestamp numeric(78,0), tx_hash text, kind text, account text, token text, market_id integer, asset text,
      amount_raw numeric(78,0), new_value_raw numeric(78,0), price_raw numeric(78,0), entry_price_raw numeric(78,0), funding_index_x_18 numeric(78,0), cash_raw numeric(78,0), realized_pnl_raw numeric(78,0), flag text);
    CREATE TABLE ${schema}._ponder_checkpoint (chain_name text, chain_id bigint, safe_checkpoint varchar(75), latest_checkpoint varchar(75), finalized_checkpoint varchar(75));
    INSERT INTO ${schema}.collateral VALUES (1, '0xaa', '0xt1', 'ETH', 18, 115792089237316195423570985008687907853269984665640564039457584007913129639935, null, 1, 1);
    INSERT INTO ${schema}.collateral VALUES (1, '0xbb', '0xt1', 'ETH', 18, 5, null, 1, 1);
    INSERT INTO ${schema}.ledger VALUES (1, 10, 0, '0xh10', 100, '0xtx', 'DEPOSIT', '0xaa', '0xt1', null, 'ETH', 1, 1, null, null, null, null, null, null);
    INSERT INTO ${schema}.ledger VALUES (1, 11, 3, '0xh11', 101, '0xtx', 'DEPOSIT', '0xbb', '0xt1', null, 'ETH', 5, 5, null, null, -7, null, null, null);
    INSERT INTO ${schema}._ponder_checkpoint VALUES ('l1', 1, '0', '${"0000000101" + "1".padStart(16, "0") + "11".padStart(16, "0") + "0".padStart(33, "0")}', '${"0".repeat(75)}');
  `);
});

afterAll(async () => {
  await client.close();
});

describe("ponderRunner over PGlite", () => {
  test("default: parameters (arrays, bigints) are bound and numeric(78) values come back exact", async () => {
    const reader = createSqlReader(ponderRunner(drizzle(client)), { schema });
    const rows = await reader.accountRows(["0xAA"]);
    expect(rows.collateral).toHaveLength(1);
    expect(rows.collateral[0].amountRaw).toBe(2n ** 256n - 1n);
    expect(rows.cash.map((r) => r.amountRaw)).toEqual([-12n]);
    expect((await reader.accountRows(['0x"quoted\\', "0xbb"])).collateral.map((r) => r.account)).toEqual(["0xbb"]);
    const after = await reader.ledgerAfter([{ chainId: 1, blockNumber: 10n, logIndex: 0 }], 10);
    expect(after.map((r) => [r.blockNumber, r.logIndex, r.fundingIndexX18])).toEqual([[11n, 3, -7n]]);
    const hashes = await reader.ledgerBlockHashes([{ chainId: 1, blockNumber: 11n }]);
    expect([...hashes]).toEqual([["1:11", "0xh11"]]);
    expect(await reader.checkpoints()).toEqual([{ chainName: "l1", chainId: 1, blockNumber: 11n, blockTimestamp: 101, finalizedBlockNumber: 0n }]);
    expect((await reader.ledgerUntil(100, { kinds: ["DEPOSIT"] })).map((r) => r.account)).toEqual(["0xaa"]);
  });
});
