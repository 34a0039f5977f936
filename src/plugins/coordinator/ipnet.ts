// Address arithmetic the coordinator needs: subnet membership, host prefixes, MAC derivation.
import { ipFamily, splitCidr } from '../../cni/ip.js';
import { parseIp } from '../../net/ip.js';

export function ipToBigInt(ip: string): bigint {
  const a = parseIp(ip);
  if (a === undefined) throw new Error(`not an IP address: ${ip}`);
  return a.value;
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/** True when `ip` lies inside `cidr` (same family). */
export function cidrContains(cidr: string, ip: string): boolean {
  const { ip: net, prefix } = splitCidr(cidr);
  const fam = ipFamily(net);
  if (ipFamily(ip) !== fam) return false;
  const shift = BigInt(bits(fam) - prefix);
  return ipToBigInt(net) >> shift === ipToBigInt(ip) >> shift;
}

/** The address alone: 10.0.0.5/24 → 10.0.0.5. */
export const addrOf = (cidr: string): string => splitCidr(cidr).ip;

/** A single-host prefix: 10.0.0.5 → 10.0.0.5/32. */
export const hostCidr = (ip: string): string => `${addrOf(ip)}/${bits(ipFamily(addrOf(ip)))}`;

export const familyOf = (ipOrCidr: string): 4 | 6 => ipFamily(addrOf(ipOrCidr));

/** Link-local unicast or multicast IPv6 destinations are per-link and never moved between tables. */
export function isLinkScoped(cidr: string): boolean {
  const ip = addrOf(cidr).toLowerCase();
  return /^fe[89ab]/.test(ip) || ip.startsWith('ff');
}

/**
 * Spiderpool's fixed pod MAC: the 2-byte prefix followed by the 4 bytes of the IPv4 address, or the
 * last 4 bytes of the IPv6 address when the NIC has no IPv4.
 */
export function prefixedMac(prefix: string, ip: string): string {
  const v = ipToBigInt(ip) & 0xffffffffn;
  const tail = [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString(16).padStart(2, '0'));
  return [...prefix.toLowerCase().replace('-', ':').split(':'), ...tail].join(':');
}

function bigIntToIp(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

/** The CIDR with its host bits cleared, as the kernel stores a route destination. */
export function networkCidr(cidr: string): string {
  const { ip, prefix } = splitCidr(cidr);
  const fam = ipFamily(ip);
  const shift = BigInt(bits(fam) - prefix);
  return `${bigIntToIp((ipToBigInt(ip) >> shift) << shift, fam)}/${prefix}`;
}

/** A comparable key for a CIDR or address, independent of how IPv6 is spelled. */
export function cidrKey(cidr: string): string {
  const { ip, prefix } = splitCidr(cidr);
  return `${ipFamily(ip)}:${ipToBigInt(ip)}/${prefix}`;
}
