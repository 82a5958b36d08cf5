/** Number formatting for people (the API's numbers are exact decimal strings). */
export function usd(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  const abs = Math.abs(n);
  if (abs >= 1e9) return `$${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `$${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `$${(n / 1e3).toFixed(1)}k`;
  return `$${n.toFixed(2)}`;
}

export function ratio(value: string | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return "∞";
  return Number(value).toFixed(digits);
}

export function pct(value: string | number): string {
  return `${(Number(value) * 100).toFixed(0)}%`;
}

export function short(address: string): string {
  return `${address.slice(0, 8)}…${address.slice(-6)}`;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

export function time(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(11, 19);
}
