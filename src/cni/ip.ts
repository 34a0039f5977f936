// The validity checks of the protocol core: src/net's grammar (Go's net.ParseIP/ParseCIDR, as the reference plugins use).
import { tryCidr } from '../net/cidr.js';
import { parseIp } from '../net/ip.js';

export const isIP = (s: string): boolean => parseIp(s) !== undefined;

export const isCidr = (s: string): boolean => s.includes('/') && tryCidr(s) !== undefined;

export function isMac(s: string): boolean {
  return /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s);
}
