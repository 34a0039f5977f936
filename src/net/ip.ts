// The one textual-address grammar of the project, below every other layer (CNI core, kernel layer,
// stores and IPAM all read addresses through it). It accepts exactly what Go's net.ParseIP accepts,
// because Spiderpool, the CNI reference plugins and Multus all validate with it: dotted quads without
// leading zeros, RFC 4291 IPv6 text (one "::", an embedded IPv4 tail), no zone, no whitespace.

export type Family = 4 | 6;

export interface Addr {
  family: Family;
  value: bigint;
}

export const BITS: Record<Family, number> = { 4: 32, 6: 128 };
export const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** Text that is not an address, CIDR or range; the message quotes the input and says what was expected. */
export class IpSyntaxError extends Error {
  override name = 'IpSyntaxError';
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are refused (as Go's parser does since 1.17): some tools read them as octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function groupsOf(part: string, last: boolean): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  const items = part.split(':');
  for (let i = 0; i < items.length; i++) {
    const g = items[i] ?? '';
    if (g.includes('.')) {
      if (!last || i !== items.length - 1) return undefined;
      const v4 = parseV4(g);
      if (v4 === undefined) return undefined;
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
  }
  return out;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    // "::" stands for at least one zero group.
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** An address as written: dotted quad → IPv4, anything with a colon → IPv6 (v4-mapped stays IPv6). */
export function parseIp(s: string): Addr | undefined {
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { family: 4, value };
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** True for ::ffff:a.b.c.d, which Go's To4() turns into the IPv4 address a.b.c.d. */
export function isV4Mapped(a: Addr): boolean {
  return a.family === 6 && a.value >> 32n === 0xffffn;
}

/**
 * An address of the given family, as Spiderpool's `IsIP(version, s)` decides it: IPv4 is text with a
 * dot that parses (so "::ffff:10.0.0.1" counts as 10.0.0.1); IPv6 is text with a colon that parses and
 * is not IPv4-mapped (Spiderpool's validator lets those through but its arithmetic then treats them as
 * IPv4 and the pool's subnet check fails; refusing them here says so up front).
 */
export function parseIpOf(s: string, family: Family): Addr | undefined {
  const a = parseIp(s);
  if (a === undefined) return undefined;
  if (family === 4) {
    if (a.family === 4) return a;
    return s.includes('.') && isV4Mapped(a) ? { family: 4, value: a.value - MAPPED_PREFIX } : undefined;
  }
  return a.family === 6 && !isV4Mapped(a) ? a : undefined;
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run of two or more compressed). */
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

/**
 * The family of an address or CIDR already known to be valid, as written: a colon means IPv6 (so an
 * IPv4-mapped address is IPv6 here, as parseIp reads it). For untrusted text use parseIp.
 */
export const familyOf = (text: string): Family => (text.includes(':') ? 6 : 4);

/** Network byte order, 4 or 16 bytes (the kernel's form); an IPv4-mapped IPv6 address stays 16. */
export function ipToBytes(text: string): Buffer {
  const a = parseIp(text);
  if (a === undefined) throw new IpSyntaxError(`"${text}" is not an IP address`);
  const out = Buffer.alloc(a.family === 4 ? 4 : 16);
  let v = a.value;
  for (let i = out.length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** Canonical text of 4 or 16 bytes; an IPv4-mapped address keeps its dotted tail, as iproute2 prints it. */
export function bytesToIp(b: Uint8Array): string {
  const value = b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  if (b.length === 4) return formatIp(4, value);
  if (isV4Mapped({ family: 6, value })) return `::ffff:${formatIp(4, value & 0xffffffffn)}`;
  return formatIp(6, value);
}
