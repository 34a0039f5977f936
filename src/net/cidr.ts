// CIDR notation as Go's net.ParseCIDR reads it (what Spiderpool validates subnets and route
// destinations with): an address without zone, "/", and a decimal prefix length (leading zeros
// allowed, as Go's dtoi allows them) no longer than the family's bits. An IPv4-mapped IPv6 prefix of
// at least /96 is the IPv4 prefix it denotes (Go classifies it as IPv4 through To4()).
import {
  type Addr,
  BITS,
  type Family,
  familyOf,
  formatIp,
  IpSyntaxError,
  isV4Mapped,
  parseIp,
} from './ip.js';

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

function bad(s: string, why: string): IpSyntaxError {
  return new IpSyntaxError(`"${s}" is not a CIDR (expected e.g. 10.1.0.0/24 or fd00::/64): ${why}`);
}

export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw bad(s, 'no "/prefix"');
  const parsed = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (parsed === undefined) throw bad(s, 'the address part does not parse');
  if (!/^\d{1,5}$/.test(p)) throw bad(s, 'the prefix length is not a decimal number');
  let prefix = Number(p);
  if (prefix > BITS[parsed.family]) {
    throw new IpSyntaxError(`"${s}": prefix length ${prefix} exceeds ${BITS[parsed.family]}`);
  }
  let ip: Addr = parsed;
  if (isV4Mapped(parsed)) {
    if (prefix < 96) throw bad(s, 'an IPv4-mapped prefix shorter than /96 is neither IPv4 nor IPv6');
    ip = { family: 4, value: parsed.value & 0xffffffffn };
    prefix -= 96;
  }
  const bits = BITS[ip.family];
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

/** Like parseCidr, but undefined instead of an error. */
export function tryCidr(s: string): Cidr | undefined {
  try {
    return parseCidr(s);
  } catch {
    return undefined;
  }
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

export function cidrContains(c: Cidr, a: Addr): boolean {
  return a.family === c.family && a.value >= c.network && a.value <= c.broadcast;
}

/** "10.0.0.5/24" → the address text and the prefix; without a prefix, the family's full length. */
export function splitCidr(text: string): { ip: string; prefix: number } {
  const slash = text.indexOf('/');
  if (slash < 0) return { ip: text, prefix: BITS[familyOf(text)] };
  return { ip: text.slice(0, slash), prefix: Number(text.slice(slash + 1)) };
}

/** The address alone: 10.0.0.5/24 → 10.0.0.5. */
export const addrOf = (text: string): string => splitCidr(text).ip;

/** A single-host prefix: 10.0.0.5 (or 10.0.0.5/24) → 10.0.0.5/32. */
export const hostCidr = (text: string): string => `${addrOf(text)}/${BITS[familyOf(text)]}`;

/** The CIDR with its host bits cleared, as the kernel stores a route destination. */
export function networkCidr(text: string): string {
  const c = parseCidr(text.includes('/') ? text : hostCidr(text));
  return formatCidr(c);
}

/** A comparable key for a CIDR or address, independent of how IPv6 is spelled. */
export function cidrKey(text: string): string {
  const { ip, prefix } = splitCidr(text);
  const a = parseIp(ip);
  if (a === undefined) throw new IpSyntaxError(`"${text}" is not an address or CIDR`);
  return `${a.family}:${a.value}/${prefix}`;
}

/** True when address `ip` lies inside `cidr` (same family): both as text. */
export function cidrHas(cidr: string, ip: string): boolean {
  const a = parseIp(ip);
  const c = tryCidr(cidr);
  return a !== undefined && c !== undefined && cidrContains(c, a);
}
