// Address sets of SpiderIPPool manifests as sorted disjoint intervals (bigint, so IPv6 /64s and
// IPv4 /8s cost the same as a /24). Parse errors are RangeSyntaxError; validate.ts names pool/field.
import type { SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { BITS, type Family, formatIp, type Interval, parseIp } from '../store/ip.js';

export type { Family, Interval } from '../store/ip.js';
export { formatIp, intervalsContain, parseIp } from '../store/ip.js';

export class RangeSyntaxError extends Error {
  override name = 'RangeSyntaxError';
}

export interface Cidr {
  family: Family;
  prefix: number;
  /** The address as written (may have host bits set). */
  addr: bigint;
  network: bigint;
  broadcast: bigint;
  /** True when the host bits are zero, i.e. it is written as a network. */
  isNetwork: boolean;
}

export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  const ip = slash < 0 ? undefined : parseIp(s.slice(0, slash));
  const p = slash < 0 ? '' : s.slice(slash + 1);
  if (ip === undefined || !/^(0|[1-9]\d{0,2})$/.test(p)) {
    throw new RangeSyntaxError(`"${s}" is not a CIDR (expected e.g. 10.1.0.0/24 or fd00::/64)`);
  }
  const prefix = Number(p);
  const bits = BITS[ip.family];
  if (prefix > bits) throw new RangeSyntaxError(`"${s}": prefix length ${prefix} exceeds ${bits}`);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = ip.value & ~hostMask;
  return {
    family: ip.family,
    prefix,
    addr: ip.value,
    network,
    broadcast: network | hostMask,
    isNetwork: network === ip.value,
  };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

/** One `ips`/`excludeIPs` entry: "a" or "a-b" (same family, a ≤ b). */
export function parseRangeEntry(s: string): Interval & { family: Family } {
  const dash = s.indexOf('-');
  const a = parseIp(dash < 0 ? s.trim() : s.slice(0, dash).trim());
  const b = dash < 0 ? a : parseIp(s.slice(dash + 1).trim());
  if (a === undefined || b === undefined) {
    throw new RangeSyntaxError(`"${s}" is not an IP address or an "a-b" range`);
  }
  if (a.family !== b.family) throw new RangeSyntaxError(`"${s}" mixes IPv4 and IPv6`);
  if (a.value > b.value) throw new RangeSyntaxError(`"${s}": range start is after its end`);
  return { family: a.family, start: a.value, end: b.value };
}

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
    const iv = parseRangeEntry(e);
    if (iv.family !== family) throw new RangeSyntaxError(`"${e}" is not an IPv${family} address or range`);
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
      const iv = parseRangeEntry(e);
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
