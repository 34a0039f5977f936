// Address sets of SpiderIPPool manifests as sorted disjoint intervals (bigint, so IPv6 /64s and
// IPv4 /8s cost the same as a /24). Addresses, CIDRs and range entries are read by src/net (one
// grammar: Spiderpool's); parse errors are its IpSyntaxError, which validate.ts names pool/field for.
import type { SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { parseCidr } from '../net/cidr.js';
import { BITS, type Family, formatIp, IpSyntaxError, parseIp } from '../net/ip.js';
import { parseRange } from '../net/range.js';
import type { Interval } from '../store/ip.js';

export type { Cidr } from '../net/cidr.js';
export { formatCidr, parseCidr } from '../net/cidr.js';
export type { Family } from '../net/ip.js';
export { formatIp, IpSyntaxError as RangeSyntaxError, parseIp } from '../net/ip.js';
export { parseRange } from '../net/range.js';
export type { Interval } from '../store/ip.js';
export { intervalsContain } from '../store/ip.js';

/** Sorts and merges overlapping or adjacent intervals. */
export function normalize(list: readonly Interval[]): Interval[] {
  const sorted = [...list].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && iv.start <= last.end + 1n) {
      if (iv.end > last.end) last.end = iv.end;
    } else {
      out.push({ start: iv.start, end: iv.end });
    }
  }
  return out;
}

/** a − b for normalized inputs; linear in the number of intervals. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const iv of a) {
    let start = iv.start;
    while (j < b.length && b[j]!.end < start) j++;
    let k = j;
    while (k < b.length && b[k]!.start <= iv.end) {
      const cut = b[k]!;
      if (cut.start > start) out.push({ start, end: cut.start - 1n });
      if (cut.end >= start) start = cut.end + 1n;
      k++;
    }
    if (start <= iv.end) out.push({ start, end: iv.end });
  }
  return out;
}

/** a ∩ b for normalized inputs. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    // Math.max/min do not take bigint.
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const start = x.start > y.start ? x.start : y.start;
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const end = x.end < y.end ? x.end : y.end;
    if (start <= end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

export function count(list: readonly Interval[]): bigint {
  return list.reduce((n, iv) => n + (iv.end - iv.start + 1n), 0n);
}

/** Display form: "10.0.0.1-10.0.0.9", "10.0.0.20". */
export function formatIntervals(family: Family, list: readonly Interval[]): string[] {
  return list.map((iv) =>
    iv.start === iv.end
      ? formatIp(family, iv.start)
      : `${formatIp(family, iv.start)}-${formatIp(family, iv.end)}`,
  );
}

/** Parses a list of entries of one family; throws on the first bad one (validate.ts reports all). */
export function parseEntries(entries: readonly string[] | undefined, family: Family): Interval[] {
  const out: Interval[] = [];
  for (const e of entries ?? []) {
    if (typeof e !== 'string') throw new IpSyntaxError(`${JSON.stringify(e)} is not a string`);
    const iv = parseRange(e, family);
    out.push({ start: iv.start, end: iv.end });
  }
  return normalize(out);
}

/** The pool's family: spec.ipVersion, else derived from the subnet (as Spiderpool's webhook does). */
export function poolFamily(pool: SpiderIPPool): Family {
  const v = pool.spec.ipVersion;
  if (v === 4 || v === 6) return v;
  return parseCidr(pool.spec.subnet).family;
}

/** Spiderpool's totalIPCount: (ips ∩ subnet) − excludeIPs. */
export function poolTotalIntervals(pool: SpiderIPPool): Interval[] {
  const subnet = parseCidr(pool.spec.subnet);
  const ips = intersect(parseEntries(pool.spec.ips, subnet.family), [
    { start: subnet.network, end: subnet.broadcast },
  ]);
  return subtract(ips, parseEntries(pool.spec.excludeIPs, subnet.family));
}

/** Reserved addresses of one family across all SpiderReservedIP objects. */
export function reservedIntervals(reserved: readonly SpiderReservedIP[], family: Family): Interval[] {
  const out: Interval[] = [];
  for (const r of reserved) {
    for (const e of r.spec.ips ?? []) {
      const iv = parseRange(e);
      if (iv.family === family) out.push({ start: iv.start, end: iv.end });
    }
  }
  return normalize(out);
}

/**
 * What the pool may hand out: (ips ∩ subnet) − excludeIPs − reserved − gateway, and never the
 * subnet's own network address or the IPv4 broadcast address (for prefixes that have them).
 */
export function poolIntervals(pool: SpiderIPPool, reserved: readonly Interval[]): Interval[] {
  const subnet = parseCidr(pool.spec.subnet);
  const cut: Interval[] = [...reserved];
  if (pool.spec.gateway) {
    const gw = parseIp(pool.spec.gateway);
    if (gw !== undefined && gw.family === subnet.family) cut.push({ start: gw.value, end: gw.value });
  }
  const bits = BITS[subnet.family];
  if (subnet.prefix <= bits - 2) {
    cut.push({ start: subnet.network, end: subnet.network });
    if (subnet.family === 4) cut.push({ start: subnet.broadcast, end: subnet.broadcast });
  }
  return subtract(poolTotalIntervals(pool), normalize(cut));
}
