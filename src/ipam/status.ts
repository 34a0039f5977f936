// Pool status as Spiderpool reports it (status.allocatedIPs is a JSON *string*: IP → {pod, podUid}),
// with our extra holder fields alongside, plus the counts `trunkline pools` prints.
import type { SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import type { Allocation } from '../store/types.js';
import {
  count,
  type Family,
  intervalsContain,
  parseIp,
  poolFamily,
  poolIntervals,
  poolTotalIntervals,
  reservedIntervals,
} from './ranges.js';

interface AllocatedIPRecord {
  pod: string; // "namespace/name" ('' when the pod is unknown)
  podUid: string;
  interface: string;
  containerID: string;
  network?: string;
  createdAt: string;
}

function byAddress(a: Allocation, b: Allocation): number {
  const x = parseIp(a.ip)?.value ?? 0n;
  const y = parseIp(b.ip)?.value ?? 0n;
  return a.family - b.family || (x < y ? -1 : x > y ? 1 : 0);
}

/** The `status.allocatedIPs` JSON string, addresses in ascending order. */
export function renderAllocatedIPs(allocations: readonly Allocation[]): string {
  const map: Record<string, AllocatedIPRecord> = {};
  for (const a of [...allocations].sort(byAddress)) {
    map[a.ip] = {
      pod: a.podNamespace && a.podName ? `${a.podNamespace}/${a.podName}` : '',
      podUid: a.podUid ?? '',
      interface: a.ifname,
      containerID: a.containerId,
      ...(a.network !== undefined ? { network: a.network } : {}),
      createdAt: a.createdAt,
    };
  }
  return JSON.stringify(map);
}

export interface PoolUsage {
  name: string;
  family: Family;
  subnet: string;
  /** Spiderpool's totalIPCount: (ips ∩ subnet) − excludeIPs. */
  total: bigint;
  /** What can actually be handed out: total − reserved − gateway − network/broadcast. */
  usable: bigint;
  allocated: number;
  free: bigint;
  holders: Allocation[];
}

export function poolUsage(
  pool: SpiderIPPool,
  reserved: readonly SpiderReservedIP[],
  allocations: readonly Allocation[],
): PoolUsage {
  const family = poolFamily(pool);
  const usableIv = poolIntervals(pool, reservedIntervals(reserved, family));
  const holders = allocations.filter((a) => a.pool === pool.metadata.name).sort(byAddress);
  const usable = count(usableIv);
  // Holders outside the current intervals (pool shrunk since) do not use up free space.
  const inUse = BigInt(holders.filter((h) => intervalsContain(usableIv, parseIp(h.ip)?.value ?? -1n)).length);
  return {
    name: pool.metadata.name,
    family,
    subnet: pool.spec.subnet,
    total: count(poolTotalIntervals(pool)),
    usable,
    allocated: holders.length,
    free: usable > inUse ? usable - inUse : 0n,
    holders,
  };
}

/** The pool's `status` block in Spiderpool's shape (counts as numbers, clamped for huge IPv6 pools). */
export function poolStatus(
  pool: SpiderIPPool,
  reserved: readonly SpiderReservedIP[],
  allocations: readonly Allocation[],
): NonNullable<SpiderIPPool['status']> {
  const u = poolUsage(pool, reserved, allocations);
  const total = u.total > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(u.total);
  return { allocatedIPs: renderAllocatedIPs(u.holders), allocatedIPCount: u.allocated, totalIPCount: total };
}
