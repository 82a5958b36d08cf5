/**
 * Liquidation curves of the book: a curve is computed once per (version, environment, request)
 * and answered from memory until the book changes; with `maxAgeMs` > 0, a curve computed less
 * than that long ago is answered even after the book changed (a curve over 100k accounts costs
 * ~0.4 s, and a book that updates several times a second would otherwise never hit), together
 * with the freshness stamp it was computed at. Bounded: a caller cycling request shapes clears it
 * rather than growing it.
 */
import type { LiquidationCurve, LiquidationCurveRequest } from "../../risk/liquidationCurve.js";

interface Entry<S> {
  version: number;
  env: unknown;
  at: number;
  curve: LiquidationCurve;
  stamp: S;
}

export class CurveCache<S = unknown> {
  private readonly byRequest = new Map<string, Entry<S>>();
  /** `clock`: ms, for the age of an entry (default performance.now). */
  constructor(
    private readonly maxEntries = 64,
    private readonly maxAgeMs = 0,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The cached curve of `request` for (`version`, `env`) or younger than maxAgeMs, else undefined. */
  peek(version: number, env: unknown, request: LiquidationCurveRequest): { curve: LiquidationCurve; stamp: S } | undefined {
    const hit = this.byRequest.get(CurveCache.key(request));
    return hit && ((hit.version === version && hit.env === env) || this.clock() - hit.at < this.maxAgeMs) ? hit : undefined;
  }

  /** Stores a curve computed elsewhere (for example in slices) for (`version`, `env`). */
  put(version: number, env: unknown, request: LiquidationCurveRequest, value: { curve: LiquidationCurve; stamp: S }): void {
    const key = CurveCache.key(request);
    if (!this.byRequest.has(key) && this.byRequest.size >= this.maxEntries) this.byRequest.clear();
    this.byRequest.set(key, { version, env, at: this.clock(), ...value });
  }

  static key(request: LiquidationCurveRequest): string {
    return `${request.asset}|${request.maxShockPct}|${request.steps}`;
  }

  /** The curve of `request` at (`version`, `env`), or one younger than maxAgeMs, with its stamp; `compute` on a miss. */
  get(version: number, env: unknown, request: LiquidationCurveRequest, compute: () => { curve: LiquidationCurve; stamp: S }): { curve: LiquidationCurve; stamp: S } {
    const key = CurveCache.key(request);
    const now = this.clock();
    const hit = this.byRequest.get(key);
    if (hit && ((hit.version === version && hit.env === env) || now - hit.at < this.maxAgeMs)) return hit;
    const fresh = compute();
    if (!this.byRequest.has(key) && this.byRequest.size >= this.maxEntries) this.byRequest.clear();
    this.byRequest.set(key, { version, env, at: now, ...fresh });
    return fresh;
  }
}
