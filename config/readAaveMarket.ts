/**
 * Reads a chain's optional `aaveV3` market (docs/config.md) with the adapter's own schema
 * (protocols/aaveV3/config.ts), recording each of its problems as a config issue at its key, so
 * the one ConfigError lists them beside every other mistake. `protocol`, `chain` and `chainId`
 * may be left out (they default to the chain's); given, they must agree with it.
 */
import { AaveConfigError, parseAaveMarketConfig, type AaveMarketConfig } from "../protocols/aaveV3/config.js";
import { isPlainObject, show, type IssueList } from "./readers.js";

/** The chain's Aave v3 market config, undefined when absent or invalid (issues recorded). */
export function readAaveMarket(issues: IssueList, value: unknown, path: string, chainName: string, chainId: number | undefined): AaveMarketConfig | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    issues.add(path, `${show(value)} is not an Aave v3 market; expected an object { pool, poolAddressesProvider, poolConfigurator, oracle, startBlock, reserves }`);
    return undefined;
  }
  const before = issues.issues.length;
  if (value.chain !== undefined && value.chain !== chainName) issues.add(`${path}.chain`, `${show(value.chain)} is not this chain; expected '${chainName}' or no 'chain' key`);
  if (value.chainId !== undefined && chainId !== undefined && value.chainId !== chainId) {
    issues.add(`${path}.chainId`, `${show(value.chainId)} is not this chain's id; expected ${chainId} or no 'chainId' key`);
  }
  let parsed: AaveMarketConfig | undefined;
  try {
    parsed = parseAaveMarketConfig({ protocol: "aaveV3", chain: chainName, chainId: chainId ?? 1, ...value }, path);
  } catch (error) {
    if (!(error instanceof AaveConfigError)) throw error;
    for (const problem of error.problems) {
      // Problems read "'key' is …" or "unknown key 'key'; …": file each under its key.
      const at = /^'([^']+)' (.*)$/s.exec(problem);
      if (at) issues.add(`${path}.${at[1]}`, at[2]!);
      else issues.add(path, problem);
    }
  }
  return issues.issues.length === before ? parsed : undefined;
}
