// Allocation store with Spiderpool's model: the source of truth is each SpiderIPPool's
// status.allocatedIPs (records.ts), changed through PoolWriter (writer.ts: write with the
// resourceVersion read, retry on 409); addresses are chosen and taken by take.ts. Holders are found
// by scanning the pools' maps (pools are few).
//
// Dual stack is NOT a transaction here: the IPv4 address is written to its pool, then the IPv6 one to
// another; if the second fails the first is released again (compensation). A crash between the two
// leaves a half allocation that the runtime's DEL (by holder) or GC removes.
import type { ClusterSource } from '../../cluster/types.js';
import { invalidConfig } from '../../cni/errors.js';
import { StoreUnavailableError } from '../errors.js';
import type { Family } from '../ip.js';
import type {
  AllocateResult,
  Allocation,
  AllocationStore,
  FamilyRequest,
  Holder,
  HolderKey,
} from '../types.js';
import { allocationOf, type Entry, entriesOf, isHolder, orderKey } from './records.js';
import { Taker } from './take.js';
import { type Change, type KubernetesStoreOptions, PoolWriter } from './writer.js';

type SharedSource = ClusterSource & Required<Pick<ClusterSource, 'getIPPool' | 'updateIPPoolStatus'>>;

/** Sorted by orderKey, each key computed once (it parses the address). */
function ordered(list: Allocation[]): Allocation[] {
  return list
    .map((a) => ({ k: orderKey(a), a }))
    .sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0))
    .map((x) => x.a);
}

export class KubernetesStore implements AllocationStore {
  readonly description = 'kubernetes:SpiderIPPool.status.allocatedIPs';
  private readonly writer: PoolWriter;
  private readonly taker: Taker;

  constructor(
    private readonly source: ClusterSource,
    opts: KubernetesStoreOptions = {},
  ) {
    this.writer = new PoolWriter(() => this.shared(), opts);
    this.taker = new Taker(this.writer);
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
        const r = await this.taker.family(holder, req, snapshot);
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

  /** Every ADD asks (an existing attachment is returned as is): the holder's entries only, not a listing. */
  async get(key: HolderKey): Promise<Allocation[]> {
    const out: Allocation[] = [];
    for (const p of (await this.shared().listIPPools()).map(entriesOf))
      for (const e of p.entries)
        if (isHolder(e, key.containerId, key.ifname)) out.push(allocationOf(p.pool, e));
    return ordered(out);
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
