// Allocation store with Spiderpool's model: the source of truth is each SpiderIPPool's
// status.allocatedIPs (records.ts), changed through PoolWriter (writer.ts: fresh read, write with the
// resourceVersion, retry on 409). Holders are found by scanning the pools' maps (pools are few).
//
// Dual stack is NOT a transaction here: the IPv4 address is written to its pool, then the IPv6 one to
// another; if the second fails the first is released again (compensation). A crash between the two
// leaves a half allocation that the runtime's DEL (by holder) or GC removes.
import type { ClusterSource } from '../../cluster/types.js';
import { invalidConfig } from '../../cni/errors.js';
import { StoreUnavailableError } from '../errors.js';
import { type Family, formatIp, type Interval, intervalsContain, parseIp } from '../ip.js';
import type {
  AllocateResult,
  Allocation,
  AllocationStore,
  FamilyRequest,
  Holder,
  HolderKey,
  PoolCandidate,
} from '../types.js';
import { Cursors } from './cursor.js';
import {
  allocationOf,
  type Entry,
  isHolder,
  orderKey,
  type PoolEntries,
  entriesOf,
  recordOf,
} from './records.js';
import { type Change, type KubernetesStoreOptions, PoolWriter } from './writer.js';

type SharedSource = ClusterSource & Required<Pick<ClusterSource, 'getIPPool' | 'updateIPPoolStatus'>>;

const ordered = (list: Allocation[]) => list.sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : 1));

export class KubernetesStore implements AllocationStore {
  readonly description = 'kubernetes:SpiderIPPool.status.allocatedIPs';
  private readonly writer: PoolWriter;
  private readonly cursors = new Cursors();

  constructor(
    private readonly source: ClusterSource,
    opts: KubernetesStoreOptions = {},
  ) {
    this.writer = new PoolWriter(() => this.shared(), opts);
  }

  /** Cumulative: writes that lost to another writer (409) and were retried; status writes made. */
  get stats(): { conflicts: number; writes: number } {
    return { conflicts: this.writer.conflicts, writes: this.writer.writes };
  }

  async open(): Promise<void> {
    this.shared();
  }

  async close(): Promise<void> {}

  async allocate(holder: Holder, requests: readonly FamilyRequest[]): Promise<AllocateResult> {
    const src = this.shared();
    const snapshot = (await src.listIPPools()).map(entriesOf);
    const held = new Map<Family, Allocation>();
    for (const p of snapshot)
      for (const e of p.entries)
        if (isHolder(e, holder.containerId, holder.ifname)) held.set(e.family, allocationOf(p.pool, e));
    const out: Allocation[] = [];
    const added: Allocation[] = [];
    let done = false;
    try {
      for (const req of requests) {
        const h = held.get(req.family);
        if (h !== undefined) {
          out.push(h);
          continue;
        }
        const r = await this.allocateFamily(holder, req, snapshot);
        if ('ok' in r) return r;
        out.push(r);
        added.push(r);
      }
      done = true;
      return { ok: true, allocations: out, existing: added.length === 0 };
    } finally {
      if (!done) await this.compensate(holder, added);
    }
  }

  async get(key: HolderKey): Promise<Allocation[]> {
    return (await this.list()).filter((a) => a.containerId === key.containerId && a.ifname === key.ifname);
  }

  async release(key: HolderKey): Promise<Allocation[]> {
    const match = (e: Entry) => isHolder(e, key.containerId, key.ifname);
    const released = await this.removeWhere(match);
    return released.sort((a, b) => a.family - b.family);
  }

  async list(pool?: string): Promise<Allocation[]> {
    const src = this.shared();
    const pools =
      pool === undefined
        ? await src.listIPPools()
        : [await src.getIPPool(pool)].filter((p) => p !== undefined);
    return ordered(
      pools.flatMap((p) => {
        const pe = entriesOf(p);
        return pe.entries.map((e) => allocationOf(pe.pool, e));
      }),
    );
  }

  async releaseAllExcept(
    valid: readonly HolderKey[],
    scope: { network?: string } = {},
  ): Promise<Allocation[]> {
    const keep = new Set(valid.map((k) => `${k.containerId}\u0000${k.ifname}`));
    // Entries without a containerID were written by someone else (e.g. spiderpool-agent before a
    // migration): we cannot tell their holder, so GC leaves them alone.
    const victim = (e: Entry) =>
      e.record.containerID !== undefined &&
      e.record.containerID !== '' &&
      (scope.network === undefined || e.record.network === scope.network) &&
      !keep.has(`${e.record.containerID}\u0000${e.record.interface ?? ''}`);
    return ordered(await this.removeWhere(victim));
  }

  async releaseExact(list: readonly Allocation[]): Promise<Allocation[]> {
    const pools = [...new Set(list.map((a) => a.pool))];
    const removed = await Promise.all(
      pools.map((pool) =>
        this.writer.mutate(pool, (pe): Change<Allocation[]> => {
          const match = (e: Entry) => {
            const a = allocationOf(pool, e);
            return list.some(
              (x) =>
                x.pool === pool &&
                x.ip === a.ip &&
                x.containerId === a.containerId &&
                x.ifname === a.ifname &&
                x.createdAt === a.createdAt,
            );
          };
          const gone = pe.entries.filter(match);
          pe.entries = pe.entries.filter((e) => !match(e));
          return { value: gone.map((e) => allocationOf(pool, e)), write: gone.length > 0 };
        }),
      ),
    );
    return ordered(removed.flatMap((r) => r ?? []));
  }

  async check(): Promise<void> {
    try {
      await this.shared().listIPPools();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(this.description, `listing SpiderIPPools failed: ${msg}`, {
        cause: err,
      });
    }
  }

  private shared(): SharedSource {
    const s = this.source;
    if (typeof s.getIPPool !== 'function' || typeof s.updateIPPoolStatus !== 'function') {
      throw invalidConfig(
        'the kubernetes IPAM store needs a cluster source whose pools are shared (the Kubernetes source); this source cannot update SpiderIPPool status',
      );
    }
    return s as SharedSource;
  }

  private async allocateFamily(
    h: Holder,
    req: FamilyRequest,
    snapshot: readonly Readonly<PoolEntries>[],
  ): Promise<Allocation | AllocateResult> {
    const pools = req.candidates.map((c) => c.pool);
    const elsewhere = (pool: string) => {
      const s = new Map<bigint, Allocation>();
      for (const p of snapshot)
        if (p.pool !== pool)
          for (const e of p.entries) if (e.family === req.family) s.set(e.value, allocationOf(p.pool, e));
      return s;
    };
    if (req.requestedIp !== undefined) {
      const ip = req.requestedIp;
      const a = parseIp(ip);
      const cand =
        a === undefined ? undefined : req.candidates.find((c) => intervalsContain(c.intervals, a.value));
      if (a === undefined || a.family !== req.family || cand === undefined) {
        return { ok: false, reason: 'outside', family: req.family, ip, pools };
      }
      const other = elsewhere(cand.pool).get(a.value);
      if (other !== undefined)
        return { ok: false, reason: 'taken', family: req.family, ip, pool: other.pool, holder: other };
      const r = await this.takeRequested(h, cand, a.value, req.adopt);
      if (r === undefined) return { ok: false, reason: 'outside', family: req.family, ip, pools };
      if ('ip' in r) return r;
      return { ok: false, reason: 'taken', family: req.family, ip, pool: cand.pool, holder: r.holder };
    }
    for (const cand of req.candidates) {
      if (cand.intervals.length === 0) continue;
      const got = await this.takeNext(h, cand, elsewhere(cand.pool));
      if (got !== undefined) return got;
    }
    return { ok: false, reason: 'exhausted', family: req.family, pools };
  }

  private takeNext(h: Holder, c: PoolCandidate, elsewhere: Map<bigint, Allocation>) {
    return this.writer.mutate(c.pool, (pe): Change<Allocation | undefined> => {
      const mine = pe.entries.find((e) => e.family === c.family && isHolder(e, h.containerId, h.ifname));
      if (mine !== undefined) return { value: allocationOf(pe.pool, mine), write: false };
      const taken = new Set<bigint>(elsewhere.keys());
      for (const e of pe.entries) if (e.family === c.family) taken.add(e.value);
      const from = this.cursors.start(pe, c.family, c.intervals[0]!.start);
      const v = nextFree(c.intervals, from, taken);
      if (v === undefined) return { value: undefined, write: false };
      return { value: this.add(pe, h, c.family, v), write: true };
    });
  }

  /** undefined: the pool is gone; {holder}: the address is held in this pool by someone else. */
  private takeRequested(h: Holder, c: PoolCandidate, v: bigint, adopt?: FamilyRequest['adopt']) {
    return this.writer.mutate(c.pool, (pe): Change<Allocation | { holder: Allocation } | undefined> => {
      const cur = pe.entries.find((e) => e.family === c.family && e.value === v);
      if (cur !== undefined) {
        const a = allocationOf(pe.pool, cur);
        if (isHolder(cur, h.containerId, h.ifname)) return { value: a, write: false };
        if (adopt === undefined || !adopt(a)) return { value: { holder: a }, write: false };
        // Taken over in the same write: the address is never free in between.
        pe.entries = pe.entries.filter((e) => e !== cur);
      }
      return { value: this.add(pe, h, c.family, v), write: true };
    });
  }

  private add(pe: PoolEntries, h: Holder, family: Family, v: bigint): Allocation {
    const at = new Date().toISOString();
    const e: Entry = { text: formatIp(family, v), family, value: v, record: recordOf(h, family, at) };
    pe.entries.push(e);
    this.cursors.handedOut(pe.pool, family, v, at);
    return allocationOf(pe.pool, e);
  }

  private async compensate(h: Holder, added: Allocation[]): Promise<void> {
    for (const a of added) {
      await this.writer
        .mutate(a.pool, (pe) => {
          const before = pe.entries.length;
          pe.entries = pe.entries.filter(
            (e) =>
              !(
                e.family === a.family &&
                allocationOf(pe.pool, e).ip === a.ip &&
                isHolder(e, h.containerId, h.ifname)
              ),
          );
          return { value: undefined, write: pe.entries.length !== before };
        })
        .catch(() => {
          // The caller's error is what matters; the runtime's DEL or GC releases this holder later.
        });
    }
  }

  /** Removes matching entries from every pool that has some; returns what was removed. */
  private async removeWhere(match: (e: Entry) => boolean): Promise<Allocation[]> {
    const pools = (await this.shared().listIPPools()).map(entriesOf).filter((p) => p.entries.some(match));
    const removed = await Promise.all(
      pools.map((p) =>
        this.writer.mutate(p.pool, (pe): Change<Allocation[]> => {
          const gone = pe.entries.filter(match);
          pe.entries = pe.entries.filter((e) => !match(e));
          return { value: gone.map((e) => allocationOf(pe.pool, e)), write: gone.length > 0 };
        }),
      ),
    );
    return removed.flatMap((r) => r ?? []);
  }
}

/** First address not in `taken` at or after `from`, wrapping once; cost bounded by taken.size. */
export function nextFree(
  intervals: readonly Interval[],
  from: bigint,
  taken: Set<bigint>,
): bigint | undefined {
  const segs: Interval[] = [];
  for (const iv of intervals)
    if (iv.end >= from) segs.push({ start: iv.start > from ? iv.start : from, end: iv.end });
  for (const iv of intervals)
    if (iv.start < from) segs.push({ start: iv.start, end: iv.end < from ? iv.end : from - 1n });
  for (const s of segs) {
    let v = s.start;
    while (v <= s.end && taken.has(v)) v++;
    if (v <= s.end) return v;
  }
  return undefined;
}
