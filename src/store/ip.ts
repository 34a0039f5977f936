// Store keys for addresses: "<family>:<fixed-width lowercase hex>". The key sorts like the number it
// encodes (within one family), which is what lets a store find free addresses with an ordered index
// lookup instead of walking a pool address by address. Parsing and formatting are src/net's.
import { type Addr, type Family, formatIp } from '../net/ip.js';

export type { Addr, Family } from '../net/ip.js';
export { BITS, formatIp, MAX, parseIp } from '../net/ip.js';

/** Inclusive address interval; both ends belong to the same family as the pool that owns it. */
export interface Interval {
  start: bigint;
  end: bigint;
}

const HEX_WIDTH: Record<Family, number> = { 4: 8, 6: 32 };

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
