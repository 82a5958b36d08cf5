/**
 * Liquidation curves per book version: a curve is computed once per (version, environment,
 * request) and answered from memory until the book changes. Bounded: a caller cycling request
 * shapes clears it rather than growing it.
 */
import type { LiquidationCurve, LiquidationCurveRequest } from "../../risk/liquidationCurve.js";

export class CurveCache {
  private version = -1;
  private env: unknown = null;
  private readonly byRequest = new Map<string, LiquidationCurve>();
  constructor(private readonly maxEntries = 64) {}

  /** The curve of `request` at (`version`, `env`), computed by `compute` on a miss. */
  get(version: number, env: unknown, request: LiquidationCurveRequest, compute: () => LiquidationCurve): LiquidationCurve {
    if (version !== this.version || env !== this.env) {
      this.byRequest.clear();
      this.version = version;
      this.env = env;
    }
    const key = `${request.asset}|${request.maxShockPct}|${request.steps}`;
    let curve = this.byRequest.get(key);
    if (curve === undefined) {
      curve = compute();
      if (this.byRequest.size >= this.maxEntries) this.byRequest.clear();
      this.byRequest.set(key, curve);
    }
    return curve;
  }
}
