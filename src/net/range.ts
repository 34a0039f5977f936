// Spiderpool's IP range grammar (pkg/ip/iprange.go IsIPRange): a single address, or exactly two
// addresses of the same family joined by one "-" with nothing around it, start ≤ end. No spaces
// ("10.0.0.1 - 10.0.0.9" is refused), no third part, no CIDR, no mixed families.
import { type Family, IpSyntaxError, parseIp, parseIpOf } from './ip.js';

interface IpRange {
  family: Family;
  start: bigint;
  end: bigint;
}

function parseAs(s: string, family: Family): IpRange | string {
  const parts = s.split('-');
  const a = parts.length > 2 ? undefined : parseIpOf(parts[0] ?? '', family);
  const b = parts.length === 2 ? parseIpOf(parts[1] ?? '', family) : a;
  if (a === undefined || b === undefined) {
    return /\s/.test(s) ? ` (no spaces allowed, e.g. "10.0.0.1-10.0.0.9")` : '';
  }
  if (a.value > b.value) return `"${s}": range start is after its end`;
  return { family, start: a.value, end: b.value };
}

/**
 * One `ips`/`excludeIPs` entry. With `family` it must be of that family (Spiderpool always knows the
 * pool's version); without, the family is the first one the text fits.
 */
export function parseRange(s: string, family?: Family): IpRange {
  const reasons: string[] = [];
  for (const f of family !== undefined ? [family] : ([4, 6] as const)) {
    const r = parseAs(s, f);
    if (typeof r !== 'string') return r;
    reasons.push(r);
  }
  const ordered = reasons.find((r) => r.startsWith('"'));
  if (ordered !== undefined) throw new IpSyntaxError(ordered);
  const [a, b] = s.split('-').map(parseIp);
  if (a !== undefined && b !== undefined && a.family !== b.family)
    throw new IpSyntaxError(`"${s}" mixes IPv4 and IPv6`);
  const what = family === undefined ? 'an IP address' : `an IPv${family} address`;
  throw new IpSyntaxError(`"${s}" is not ${what} or an "a-b" range${reasons[0] ?? ''}`);
}
