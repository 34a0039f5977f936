// Addresses that come back: a NIC asks again for what it held before (the same pod's earlier sandbox,
// or a StatefulSet/VM pod's predecessor, as its SpiderEndpoint records), and takes it over from the
// previous holder. Stickiness yields when it cannot be honoured: an address no longer inside the
// pools the NIC may use now, or held by an unrelated pod, is replaced by a fresh one (Spiderpool
// re-allocates when a StatefulSet's pools changed).
import { log } from '../cni/log.js';
import type { AllocateResult, Allocation, AllocationStore, FamilyRequest, Holder } from '../store/types.js';
import { type Family, intervalsContain, parseIp } from './ranges.js';

export interface Sticky {
  addresses: { family: Family; ip: string; pool: string }[];
  /** Whether an allocation belongs to this NIC's previous incarnation (and may be taken over). */
  adopt(held: Allocation): boolean;
}

/** The family's request for its previous address, or undefined when the pools no longer allow it. */
function stickyRequest(req: FamilyRequest, sticky: Sticky | undefined): FamilyRequest | undefined {
  const s = sticky?.addresses.find((x) => x.family === req.family);
  if (s === undefined) return undefined;
  const v = parseIp(s.ip)?.value;
  const home = req.candidates.find(
    (c) => c.pool === s.pool && v !== undefined && intervalsContain(c.intervals, v),
  );
  if (home === undefined) return undefined;
  return { family: req.family, candidates: [home], requestedIp: s.ip, adopt: (a) => sticky!.adopt(a) };
}

/**
 * store.allocate with sticky requests: a store that cannot take over atomically answers 'taken' with
 * the previous holder, which is then released and the address taken; an address held by anyone else
 * falls back to the family's ordinary request.
 */
export async function allocateSticky(
  store: AllocationStore,
  holder: Holder,
  plain: readonly FamilyRequest[],
  sticky: Sticky | undefined,
): Promise<AllocateResult> {
  let requests = plain.map((r) => (r.requestedIp === undefined ? (stickyRequest(r, sticky) ?? r) : r));
  for (let attempt = 0; ; attempt++) {
    const r = await store.allocate(holder, requests);
    if (r.ok || r.reason !== 'taken' || attempt > plain.length) return r;
    const i = requests.findIndex((q) => q.family === r.family && q.adopt !== undefined);
    if (i < 0) return r;
    if (sticky!.adopt(r.holder)) {
      const old = r.holder;
      if (store.releaseExact !== undefined) await store.releaseExact([old]);
      else await store.release({ containerId: old.containerId, ifname: old.ifname });
      continue;
    }
    log('warn', 'previous address is held by another pod; allocating a new one', {
      containerID: holder.containerId,
      ifname: holder.ifname,
      ip: r.ip,
      holder: `${r.holder.podNamespace ?? ''}/${r.holder.podName ?? ''}`,
    });
    requests = requests.map((q, k) => (k === i ? plain[k]! : q));
  }
}
