// A full GC pass over any AllocationStore (Kubernetes, etcd, SQLite). Per holder (one CNI
// attachment: containerID + ifname, all its families): verdict on the cached view, then — before
// anything is released — the same verdict for the candidates only, on fresh reads of their pods
// taken after the cached verdicts (one LIST when there are many), so a lagging cache cannot
// release a live pod's address. The release itself goes through the store, which re-reads and writes
// with a precondition (resourceVersion / etcd revision / SQLite transaction), so a concurrent ADD's
// write is never overwritten. Young allocations are skipped entirely (decide.ts): the in-flight rule.
import type { Allocation, AllocationStore } from '../store/types.js';
import { decide } from './decide.js';
import type { ClusterView, GcPolicy, PodView, Reason } from './types.js';

const CONCURRENCY = 8;

interface GcResult {
  scanned: number;
  released: (Allocation & { reason: Reason })[];
}

/** The log fields of one release, the same wherever the GC runs (controller or node agent). */
export function releaseFields(a: GcResult['released'][number]): Record<string, string> {
  return {
    ip: a.ip,
    pool: a.pool,
    reason: a.reason,
    containerID: a.containerId,
    ifname: a.ifname,
    pod: `${a.podNamespace ?? ''}/${a.podName ?? ''}`,
  };
}

export interface GcHooks {
  /** Called right before each release; throw to refuse (the controller's leader fence). */
  beforeWrite?(what: string): void;
}

export async function collect(
  store: AllocationStore,
  view: ClusterView,
  policy: GcPolicy,
  now: number,
  hooks: GcHooks = {},
): Promise<GcResult> {
  const all = await store.list();
  const holders = new Map<string, Allocation[]>();
  for (const a of all) {
    if (a.containerId === '') continue; // written by someone else: its holder is unknown
    const k = `${a.containerId}\u0000${a.ifname}`;
    holders.set(k, [...(holders.get(k) ?? []), a]);
  }
  const released: GcResult['released'] = [];
  // The youngest record speaks for the holder: one young family means the ADD may be running.
  const speaker = (group: Allocation[]) => group.reduce((x, y) => (y.createdAt > x.createdAt ? y : x));
  const podOf = (a: Allocation, lookup: (ns: string, name: string) => PodView | undefined) =>
    a.podNamespace !== undefined && a.podName !== undefined ? lookup(a.podNamespace, a.podName) : undefined;
  const candidates = [...holders.values()].filter((group) => {
    const a = speaker(group);
    return decide(
      a,
      podOf(a, (ns, n) => view.pod(ns, n)),
      view,
      policy,
      now,
    ).release;
  });
  const fresh =
    candidates.length === 0
      ? () => undefined
      : await view.freshPods(
          candidates.flatMap((g) => {
            const a = speaker(g);
            return a.podNamespace !== undefined && a.podName !== undefined
              ? [{ namespace: a.podNamespace, name: a.podName }]
              : [];
          }),
        );
  const doomed: { group: Allocation[]; reason: Reason }[] = [];
  for (const group of candidates) {
    const a = speaker(group);
    const v = decide(a, podOf(a, fresh), view, policy, now);
    if (v.release) doomed.push({ group, reason: v.reason });
  }
  const reasonOf = new Map<string, Reason>();
  for (const d of doomed) reasonOf.set(`${d.group[0]!.containerId}\u0000${d.group[0]!.ifname}`, d.reason);
  const record = (gone: Allocation[]) => {
    for (const g of gone) released.push({ ...g, reason: reasonOf.get(`${g.containerId}\u0000${g.ifname}`)! });
  };
  const exact = store.releaseExact?.bind(store);
  if (exact !== undefined) {
    // One write per pool for all its victims, a few pools per fenced batch.
    const byPool = new Map<string, Allocation[]>();
    for (const d of doomed) for (const a of d.group) byPool.set(a.pool, [...(byPool.get(a.pool) ?? []), a]);
    const pools = [...byPool.keys()];
    for (let i = 0; i < pools.length; i += CONCURRENCY) {
      const batch = pools.slice(i, i + CONCURRENCY);
      hooks.beforeWrite?.(
        `releasing ${batch.reduce((n, p) => n + byPool.get(p)!.length, 0)} addresses in ${batch.join(', ')}`,
      );
      record(await exact(batch.flatMap((p) => byPool.get(p)!)));
    }
  } else {
    for (const { group } of doomed) {
      const a = group[0]!;
      hooks.beforeWrite?.(`releasing ${group.map((g) => g.ip).join(', ')} of ${a.containerId}/${a.ifname}`);
      record(await store.release({ containerId: a.containerId, ifname: a.ifname }));
    }
  }
  return { scanned: all.length, released };
}
