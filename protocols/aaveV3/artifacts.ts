/**
 * The compiled Aave v3.0 contracts, read from the Hardhat artifacts that `@aave/core-v3` ships
 * (Aave's own bytecode; nothing is copied into this repository), and library linking for them.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Abi, Address, Hex } from "viem";
import { AaveArtifactError } from "./errors.js";

/** Artifact path (under node_modules/@aave/core-v3/artifacts/contracts) of every contract a market needs. */
export const AAVE_ARTIFACT_PATHS = {
  SupplyLogic: "protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json",
  BorrowLogic: "protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json",
  LiquidationLogic: "protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json",
  EModeLogic: "protocol/libraries/logic/EModeLogic.sol/EModeLogic.json",
  BridgeLogic: "protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json",
  ConfiguratorLogic: "protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json",
  PoolLogic: "protocol/libraries/logic/PoolLogic.sol/PoolLogic.json",
  FlashLoanLogic: "protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json",
  PoolAddressesProvider: "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
  ACLManager: "protocol/configuration/ACLManager.sol/ACLManager.json",
  Pool: "protocol/pool/Pool.sol/Pool.json",
  PoolConfigurator: "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json",
  AaveOracle: "misc/AaveOracle.sol/AaveOracle.json",
  AaveProtocolDataProvider: "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json",
  AToken: "protocol/tokenization/AToken.sol/AToken.json",
  StableDebtToken: "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json",
  VariableDebtToken: "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json",
  DefaultReserveInterestRateStrategy:
    "protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json",
  ReservesSetupHelper: "deployments/ReservesSetupHelper.sol/ReservesSetupHelper.json",
  MintableERC20: "mocks/tokens/MintableERC20.sol/MintableERC20.json",
} as const;

export type AaveArtifactName = keyof typeof AAVE_ARTIFACT_PATHS;

/** Byte ranges (offsets into the creation bytecode, without 0x) where a library's address goes. */
export type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

export interface AaveArtifact {
  name: AaveArtifactName;
  abi: Abi;
  /** Creation bytecode as shipped: may hold `__$…$__` library placeholders. */
  bytecode: Hex;
  linkReferences: LinkReferences;
}

/** The installed `@aave/core-v3` package directory (throws a clear error when it is not installed). */
export function aaveCorePackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("@aave/core-v3/package.json"));
  } catch (cause) {
    throw new AaveArtifactError(
      "@aave/core-v3 is not installed; run `npm ci` (package.json pins @aave/core-v3 1.19.3)",
      {},
      { cause },
    );
  }
}

const cache = new Map<AaveArtifactName, AaveArtifact>();

/** Load one artifact (cached per process); throws AaveArtifactError if it is missing or malformed. */
export function loadAaveArtifact(name: AaveArtifactName): AaveArtifact {
  const hit = cache.get(name);
  if (hit) return hit;
  const rel = AAVE_ARTIFACT_PATHS[name];
  if (rel === undefined) {
    throw new AaveArtifactError(`unknown Aave artifact '${String(name)}'; expected one of ${Object.keys(AAVE_ARTIFACT_PATHS).join(", ")}`, { name });
  }
  const path = join(aaveCorePackageDir(), "artifacts", "contracts", rel);
  let json: { abi?: unknown; bytecode?: unknown; linkReferences?: unknown };
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new AaveArtifactError(`cannot read the Aave artifact ${name} at ${path}; reinstall @aave/core-v3@1.19.3`, { name, path }, { cause });
  }
  if (!Array.isArray(json.abi) || typeof json.bytecode !== "string" || !json.bytecode.startsWith("0x") || json.bytecode.length < 4) {
    throw new AaveArtifactError(`the Aave artifact ${name} at ${path} has no abi or creation bytecode; expected a Hardhat artifact`, { name, path });
  }
  const artifact: AaveArtifact = {
    name,
    abi: json.abi as Abi,
    bytecode: json.bytecode as Hex,
    linkReferences: (json.linkReferences ?? {}) as LinkReferences,
  };
  cache.set(name, artifact);
  return artifact;
}

/** Names of the libraries an artifact's creation bytecode must be linked against. */
export function requiredLibraries(artifact: Pick<AaveArtifact, "linkReferences">): string[] {
  return Object.values(artifact.linkReferences).flatMap((libs) => Object.keys(libs)).sort();
}

/**
 * Creation bytecode with every library placeholder replaced by its address. Placeholders are
 * written at the artifact's `linkReferences` offsets (20 bytes each); a library that is not given,
 * a range that does not hold a placeholder, or a `__$` left anywhere afterwards is an error.
 *
 * @example linkBytecode(loadAaveArtifact("FlashLoanLogic"), { BorrowLogic: "0x5FbD…" })
 */
export function linkBytecode(artifact: Pick<AaveArtifact, "name" | "bytecode" | "linkReferences">, libraries: Record<string, Address>): Hex {
  const missing = requiredLibraries(artifact).filter((lib) => libraries[lib] === undefined);
  if (missing.length > 0) {
    throw new AaveArtifactError(`${artifact.name} needs the addresses of ${missing.join(", ")} to be linked; deploy them first and pass them in`, {
      name: artifact.name,
      missing,
    });
  }
  let code = artifact.bytecode.slice(2);
  for (const libs of Object.values(artifact.linkReferences)) {
    for (const [lib, refs] of Object.entries(libs)) {
      const address = libraries[lib]!;
      if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
        throw new AaveArtifactError(`library address for ${lib} is '${address}'; expected 0x and 40 hex digits`, { name: artifact.name, lib });
      }
      for (const { start, length } of refs) {
        const from = start * 2;
        const to = from + length * 2;
        const current = code.slice(from, to);
        if (length !== 20 || !current.startsWith("__$")) {
          throw new AaveArtifactError(
            `${artifact.name}: bytes ${start}..${start + length} should hold the placeholder of ${lib}, found '${current}'`,
            { name: artifact.name, lib, start },
          );
        }
        code = code.slice(0, from) + address.slice(2).toLowerCase() + code.slice(to);
      }
    }
  }
  const left = code.indexOf("__$");
  if (left !== -1) {
    throw new AaveArtifactError(
      `${artifact.name}: an unlinked library placeholder remains at byte ${left / 2} ('${code.slice(left, left + 40)}'); its linkReferences are incomplete`,
      { name: artifact.name, offset: left / 2 },
    );
  }
  return `0x${code}`;
}
