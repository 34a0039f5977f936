// The coordinator's own address rules (the grammar and arithmetic are src/net's): which destinations
// are per-link, and Spiderpool's pod MAC derived from an address.
import { addrOf } from '../../net/cidr.js';
import { parseIp } from '../../net/ip.js';

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
  const a = parseIp(ip);
  if (a === undefined) throw new Error(`not an IP address: ${ip}`);
  const v = a.value & 0xffffffffn;
  const tail = [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString(16).padStart(2, '0'));
  return [...prefix.toLowerCase().replace('-', ':').split(':'), ...tail].join(':');
}
