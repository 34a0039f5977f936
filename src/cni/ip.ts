// Minimal address helpers shared by the protocol core (family detection, CIDR split).

export function ipFamily(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}

export function splitCidr(cidr: string): { ip: string; prefix: number } {
  const slash = cidr.indexOf('/');
  if (slash < 0) return { ip: cidr, prefix: ipFamily(cidr) === 4 ? 32 : 128 };
  return { ip: cidr.slice(0, slash), prefix: Number(cidr.slice(slash + 1)) };
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return V4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g !== '');
  const last = groups[groups.length - 1];
  const v4tail = last?.includes('.') ?? false;
  if (v4tail && !isIPv4(last ?? '')) return false;
  const n = groups.length + (v4tail ? 1 : 0);
  if (groups.some((g) => !g.includes('.') && g.length > 4)) return false;
  return dbl.length === 2 ? n <= 7 : n === 8;
}

export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) return false;
  const prefix = Number(p);
  if (isIPv4(ip)) return prefix <= 32;
  return isIPv6(ip) && prefix <= 128;
}

export function isMac(s: string): boolean {
  return /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s);
}
