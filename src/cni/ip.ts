// Address helpers of the protocol core: family detection, CIDR split, and the validity checks, which
// are src/net's grammar (Go's net.ParseIP/ParseCIDR, as the reference plugins use).
import { tryCidr } from '../net/cidr.js';
import { parseIp } from '../net/ip.js';

export function ipFamily(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}

export function splitCidr(cidr: string): { ip: string; prefix: number } {
  const slash = cidr.indexOf('/');
  if (slash < 0) return { ip: cidr, prefix: ipFamily(cidr) === 4 ? 32 : 128 };
  return { ip: cidr.slice(0, slash), prefix: Number(cidr.slice(slash + 1)) };
}

export const isIPv4 = (s: string): boolean => parseIp(s)?.family === 4;

export const isIPv6 = (s: string): boolean => parseIp(s)?.family === 6;

export const isIP = (s: string): boolean => parseIp(s) !== undefined;

export const isCidr = (s: string): boolean => s.includes('/') && tryCidr(s) !== undefined;

export function isMac(s: string): boolean {
  return /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s);
}
