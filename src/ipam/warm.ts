// Start-up snapshot warm-up of the IPAM (see src/cni/warm.ts for why): pool validation, selection and
// the result of one allocation, on pools held in memory. The store's part is a stand-in that hands
// out each family's first candidate address: the real stores are warmed by their own code, never with
// a call's data.
import type { SpiderIPPool } from '../cluster/types.js';
import type { AllocateResult, AllocationStore, FamilyRequest, Holder } from '../store/types.js';
import { allocate } from './allocate.js';
import { formatIp } from './ranges.js';

function firstFree(holder: Holder, requests: readonly FamilyRequest[]): AllocateResult {
  const allocations = requests.flatMap((r) => {
    const c = r.candidates[0];
    const first = c?.intervals[0];
    if (c === undefined || first === undefined) return [];
    const ip = r.requestedIp ?? formatIp(r.family, first.start);
    return [{ ...holder, ip, family: r.family, pool: c.pool, createdAt: new Date(0).toISOString() }];
  });
  return { ok: true, allocations, existing: false };
}

const standIn: AllocationStore = {
  description: 'warm-up',
  open: async () => undefined,
  close: async () => undefined,
  allocate: async (holder, requests) => firstFree(holder, requests),
  get: async () => [],
  release: async () => [],
  list: async () => [],
  releaseAllExcept: async () => [],
  check: async () => undefined,
};

/** One dual-stack allocation from `pools` (an IPv4 and an IPv6 pool named by the defaults). */
export async function warmIpam(pools: readonly SpiderIPPool[], containerId: string): Promise<void> {
  const byFamily = (f: 4 | 6) =>
    pools.filter((p) => p.spec.subnet.includes(f === 4 ? '.' : ':')).map((p) => p.metadata.name);
  await allocate({
    pools,
    reserved: [],
    store: standIn,
    containerId,
    ifname: 'eth0',
    network: 'warm',
    podNamespace: containerId,
    podName: containerId,
    nodeName: containerId,
    multusName: 'warm',
    multusNamespace: 'kube-system',
    defaults: { ipv4: byFamily(4), ipv6: byFamily(6) },
    cleanGateway: false,
    nicIndex: 0,
    requestedIps: [],
  });
}
