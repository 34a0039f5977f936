// SpiderIPPool `status.allocatedIPs`: a JSON *string* holding a map IP → {pod: "ns/name", podUid}, as
// Spiderpool writes it, with our holder details alongside (containerID, interface, family, network,
// createdAt). Every key is an IP, so Spiderpool reads a map we wrote and we read one it wrote. The
// next-fit cursor is not stored: it is derived from the map (after the newest allocation), see
// store.ts. Keys that are not addresses (an older Trunkline kept its cursor under one) are dropped
// on the next write.

import type { SpiderIPPool } from '../../cluster/types.js';
import { CniError, Code } from '../../cni/errors.js';
import { addrKey, type Family, formatIp, parseIp } from '../ip.js';
import type { Allocation, Holder } from '../types.js';

interface AllocatedIPRecord {
  pod: string; // "namespace/name", '' when unknown
  podUid: string;
  containerID?: string;
  interface?: string;
  family?: Family;
  network?: string;
  createdAt?: string;
}

export interface Entry {
  /** The map key as found (kept as written, so foreign entries round-trip unchanged). */
  text: string;
  family: Family;
  value: bigint;
  record: AllocatedIPRecord;
}

export interface PoolEntries {
  pool: string;
  entries: Entry[];
}

const parsed = new WeakMap<SpiderIPPool, PoolEntries>();

/**
 * The entries of one pool version, read only, parsed once: a watch cache hands out the same object
 * until the pool changes, and every ADD and DEL looks at every pool (holders are found by scanning),
 * so parsing its map each time cost a pool's size per request.
 */
export function entriesOf(pool: SpiderIPPool): Readonly<PoolEntries> {
  let pe = parsed.get(pool);
  if (pe === undefined) {
    pe = parse(pool);
    parsed.set(pool, pe);
  }
  return pe;
}

/** A copy of the pool's entries to change (a write round adds and removes entries). */
export function parseEntries(pool: SpiderIPPool): PoolEntries {
  const pe = entriesOf(pool);
  return { pool: pe.pool, entries: [...pe.entries] };
}

function parse(pool: SpiderIPPool): PoolEntries {
  const name = pool.metadata.name;
  const text = pool.status?.allocatedIPs;
  const out: PoolEntries = { pool: name, entries: [] };
  if (text === undefined || text === '') return out;
  let map: unknown;
  try {
    map = JSON.parse(text);
  } catch (err) {
    map = err;
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map) || map instanceof Error) {
    throw new CniError(
      Code.IoFailure,
      `SpiderIPPool "${name}" status.allocatedIPs: expected a JSON object string, found ${JSON.stringify(text.slice(0, 80))}`,
      'refusing to overwrite allocations that cannot be read',
    );
  }
  for (const [key, raw] of Object.entries(map as Record<string, unknown>)) {
    const rec = (typeof raw === 'object' && raw !== null ? raw : {}) as AllocatedIPRecord;
    const a = parseIp(key);
    if (a === undefined) continue; // not an address: nothing we could hand out or free
    out.entries.push({ text: key, family: a.family, value: a.value, record: rec });
  }
  return out;
}

export function renderEntries(p: PoolEntries): string {
  const sorted = [...p.entries].sort(
    (a, b) => a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
  const map: Record<string, unknown> = {};
  for (const e of sorted) map[e.text] = e.record;
  return JSON.stringify(map);
}

export function recordOf(h: Holder, family: Family, createdAt: string): AllocatedIPRecord {
  return {
    pod: h.podNamespace && h.podName ? `${h.podNamespace}/${h.podName}` : '',
    podUid: h.podUid ?? '',
    containerID: h.containerId,
    interface: h.ifname,
    family,
    ...(h.network !== undefined ? { network: h.network } : {}),
    createdAt,
  };
}

export function allocationOf(pool: string, e: Entry): Allocation {
  const r = e.record;
  const slash = r.pod ? r.pod.indexOf('/') : -1;
  return {
    ip: formatIp(e.family, e.value),
    family: e.family,
    pool,
    containerId: r.containerID ?? '',
    ifname: r.interface ?? '',
    ...(typeof r.network === 'string' ? { network: r.network } : {}),
    ...(slash > 0 ? { podNamespace: r.pod.slice(0, slash), podName: r.pod.slice(slash + 1) } : {}),
    ...(r.podUid ? { podUid: r.podUid } : {}),
    createdAt: r.createdAt ?? '',
  };
}

export const isHolder = (e: Entry, containerId: string, ifname: string) =>
  e.record.containerID === containerId && e.record.interface === ifname;

/** Sort key matching the SQLite store's ORDER BY pool, ip. */
export function orderKey(a: Allocation): string {
  const v = parseIp(a.ip);
  return `${a.pool}\u0000${v === undefined ? a.ip : addrKey(v.family, v.value)}`;
}
