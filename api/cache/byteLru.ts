/**
 * A least-recently-used map bounded by estimated bytes and by entries: the parse and compiled
 * query caches hold objects whose size varies by three orders of magnitude (a compiled document
 * is ~3 KB per field it expands to), so an entry count alone does not bound memory.
 */
export interface ByteLruOptions<K, V> {
  maxBytes: number;
  maxEntries: number;
  /** estimated retained bytes of one entry */
  sizeOf(value: V, key: K): number;
}

export class ByteLru<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private total = 0;

  constructor(private readonly options: ByteLruOptions<K, V>) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // re-insert: Map iteration order is insertion order, so the first key is the least recent
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value unless it alone is larger than the budget (then it is not kept at all). */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = Math.max(0, this.options.sizeOf(value, key));
    if (bytes > this.options.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    while (this.total > this.options.maxBytes || this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.total -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  /** estimated bytes held */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
