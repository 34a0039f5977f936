// Key layout of the etcd store, under a configurable prefix (default /trunkline/ipam/):
//
//   ip/<addrKey>                          → allocation JSON. The claim: one key per address, whatever
//                                           pool it came through, so overlapping pools can never hand
//                                           out one address twice. Gap finding ranges over these keys.
//   alloc/<pool>/<addrKey>                → allocation JSON (per-pool listing).
//   holder/<containerId>/<ifname>/<family> → allocation JSON (idempotency key, get/release).
//   cursor/<pool>                         → addrKey where the next search starts (next-fit).
//   meta/check                            → last check() time.
//
// addrKey ("4:0a000001", fixed-width hex) sorts like the address, so a key range is an address range.
// Path components are URI-encoded: container IDs are opaque strings and may contain '/'.
import { addrKey, type Family, keyToIp } from '../ip.js';
import type { Allocation } from '../types.js';

export const DEFAULT_PREFIX = '/trunkline/ipam/';

const enc = encodeURIComponent;

export class Keys {
  constructor(readonly prefix: string) {}

  ip(family: Family, value: bigint): string {
    return `${this.prefix}ip/${addrKey(family, value)}`;
  }
  ipOfKey(key: string): string {
    return `${this.prefix}ip/${key}`;
  }
  alloc(pool: string, key: string): string {
    return `${this.prefix}alloc/${enc(pool)}/${key}`;
  }
  allocPrefix(pool?: string): string {
    return pool === undefined ? `${this.prefix}alloc/` : `${this.prefix}alloc/${enc(pool)}/`;
  }
  holder(containerId: string, ifname: string, family: Family): string {
    return `${this.holderPrefix(containerId, ifname)}${family}`;
  }
  holderPrefix(containerId?: string, ifname?: string): string {
    if (containerId === undefined) return `${this.prefix}holder/`;
    return `${this.prefix}holder/${enc(containerId)}/${enc(ifname ?? '')}/`;
  }
  cursor(pool: string): string {
    return `${this.prefix}cursor/${enc(pool)}`;
  }
  check(): string {
    return `${this.prefix}meta/check`;
  }
}

/** What is stored: the Allocation with the address as its store key (the text form is derived). */
interface Stored extends Omit<Allocation, 'ip'> {
  key: string;
}

export function encodeAllocation(a: Allocation, key: string): string {
  const { ip: _ip, ...rest } = a;
  const stored: Stored = { ...rest, key };
  return JSON.stringify(stored);
}

export function decodeAllocation(value: string): Allocation & { key: string } {
  const s = JSON.parse(value) as Stored;
  return { ...s, ip: keyToIp(s.key) };
}

/** The Allocation without the store-only key, with fields in a stable order. */
export function publicAllocation(a: Allocation & { key?: string }): Allocation {
  return {
    ip: a.ip,
    family: a.family,
    pool: a.pool,
    containerId: a.containerId,
    ifname: a.ifname,
    ...(a.network !== undefined ? { network: a.network } : {}),
    ...(a.podNamespace !== undefined ? { podNamespace: a.podNamespace } : {}),
    ...(a.podName !== undefined ? { podName: a.podName } : {}),
    ...(a.podUid !== undefined ? { podUid: a.podUid } : {}),
    createdAt: a.createdAt,
  };
}
