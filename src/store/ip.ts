// Addresses as (family, bigint) plus the fixed-width key the stores index on. The key sorts like the
// number it encodes (within one family), which is what lets a store find free addresses with an
// ordered index lookup instead of walking a pool address by address.

export type Family = 4 | 6;

export interface Addr {
  family: Family;
  value: bigint;
}

/** Inclusive address interval; both ends belong to the same family as the pool that owns it. */
export interface Interval {
  start: bigint;
  end: bigint;
}

export const BITS: Record<Family, number> = { 4: 32, 6: 128 };
const HEX_WIDTH: Record<Family, number> = { 4: 8, 6: 32 };
export const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are rejected (as Go's net.ParseIP does) because some tools read them as octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] ?? '';
      if (g.includes('.')) {
        if (i !== items.length - 1) return undefined;
        const v4 = parseV4(g);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses a textual IPv4/IPv6 address (no prefix, no zone); undefined when it is not one. */
export function parseIp(s: string): Addr | undefined {
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { family: 4, value };
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run compressed). */
export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Store key: "<family>:<fixed-width lowercase hex>". */
export function addrKey(family: Family, value: bigint): string {
  return `${family}:${value.toString(16).padStart(HEX_WIDTH[family], '0')}`;
}

export function keyAddr(key: string): Addr {
  const family = key.charCodeAt(0) === 0x34 ? 4 : 6;
  return { family, value: BigInt(`0x${key.slice(2)}`) };
}

export function keyToIp(key: string): string {
  const a = keyAddr(key);
  return formatIp(a.family, a.value);
}

/** Binary search over sorted disjoint intervals. */
export function intervalsContain(intervals: readonly Interval[], v: bigint): boolean {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = intervals[mid]!;
    if (v < iv.start) hi = mid - 1;
    else if (v > iv.end) lo = mid + 1;
    else return true;
  }
  return false;
}
