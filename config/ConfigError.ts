import { XmarginError } from "../errors.js";

/** One bad key: where it is (`chains.l1.vault`) and what is wrong with it. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Every problem found in a config at once, one per line, Ponder style:
 * `chains.l1.vault: '0x12' is not an address; expected 0x + 40 hex digits`.
 */
export class ConfigError extends XmarginError {
  override name = "ConfigError";
  readonly issues: ConfigIssue[];

  constructor(header: string, issues: ConfigIssue[], options: { code?: string; details?: Record<string, unknown> } = {}) {
    const lines = issues.map((issue) => (issue.path ? `  - ${issue.path}: ${issue.message}` : `  - ${issue.message}`));
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(options.code ?? "CONFIG_INVALID", `${header} (${count}):\n${lines.join("\n")}`, {
      details: { ...options.details, issues },
    });
    this.issues = issues;
  }
}
