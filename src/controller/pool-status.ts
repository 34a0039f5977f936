// Pool status that is always true: allocatedIPCount = the number of addresses in allocatedIPs,
// totalIPCount = what the spec says (Spiderpool: (ips ∩ subnet) − excludeIPs), and allocatedIPs holds
// only address keys. Our own writers keep the first true on every write (the store writes the map and
// the count in one request); this reconcile repairs what anyone else (an older Trunkline, Spiderpool,
// a hand edit) left behind, and counts each repair.
import type { KubernetesSource } from '../cluster/kubernetes/source.js';
import type { SpiderIPPool } from '../cluster/types.js';
import { count, poolTotalIntervals } from '../ipam/ranges.js';
import { parseEntries, renderEntries } from '../store/kubernetes/records.js';
import { type Fence, guard } from './fence.js';
import type { Metrics } from './metrics.js';

export const DRIFT_METRIC = 'trunkline_controller_pool_status_repairs_total';

function totalOf(pool: SpiderIPPool): number | undefined {
  try {
    const t = count(poolTotalIntervals(pool));
    return t > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(t);
  } catch {
    return undefined; // an invalid spec: the webhook's business, not a count we can state
  }
}

/** The status the pool should have, or undefined when it already has it. */
function repairedStatus(
  pool: SpiderIPPool,
): { status: NonNullable<SpiderIPPool['status']>; fields: string[] } | undefined {
  const st = pool.status ?? {};
  let pe: ReturnType<typeof parseEntries>;
  try {
    pe = parseEntries(pool);
  } catch {
    return undefined; // unreadable map: never overwrite allocations we cannot read
  }
  const fields: string[] = [];
  // Keys that are not addresses (an older Trunkline's cursor, junk) make the map not Spiderpool's.
  const keys = st.allocatedIPs ? Object.keys(JSON.parse(st.allocatedIPs) as object).length : 0;
  if (keys !== pe.entries.length) fields.push('allocatedIPs');
  if ((st.allocatedIPCount ?? 0) !== pe.entries.length) fields.push('allocatedIPCount');
  const total = totalOf(pool);
  if (total !== undefined && st.totalIPCount !== total) fields.push('totalIPCount');
  if (fields.length === 0) return undefined;
  return {
    status: {
      ...st,
      ...(fields.includes('allocatedIPs') ? { allocatedIPs: renderEntries(pe) } : {}),
      allocatedIPCount: pe.entries.length,
      ...(total !== undefined ? { totalIPCount: total } : {}),
    },
    fields,
  };
}

/** One pass over every pool; returns how many pools were repaired. Conflicts wait for the next pass. */
export async function reconcilePoolStatus(
  source: Pick<KubernetesSource, 'listIPPools' | 'updateIPPoolStatus'>,
  fence: Fence,
  metrics: Metrics,
): Promise<number> {
  let repaired = 0;
  for (const pool of await source.listIPPools()) {
    const fix = repairedStatus(pool);
    if (fix === undefined) continue;
    guard(fence, `repairing SpiderIPPool ${pool.metadata.name} status`);
    if ((await source.updateIPPoolStatus({ ...pool, status: fix.status })) === 'conflict') continue;
    repaired++;
    for (const f of fix.fields) metrics.add(DRIFT_METRIC, 1, ['field', f]);
  }
  return repaired;
}
