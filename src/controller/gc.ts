// The controller's GC pass: a fresh cluster view, one collect() over the shared store behind the
// leader fence, then the SpiderEndpoints nothing wants any more, and the outcome in metrics and the log.
import type { Clients } from '../cluster/kubernetes/client.js';
import { sweepEndpoints } from '../gc/endpoints.js';
import { kubeClusterView } from '../gc/kube-view.js';
import { collect, releaseFields } from '../gc/scan.js';
import type { GcPolicy } from '../gc/types.js';
import type { AllocationStore } from '../store/types.js';
import { type Fence, guard } from './fence.js';
import type { Metrics } from './metrics.js';

const GC_RELEASED = 'trunkline_controller_gc_released_total';
const GC_SCANNED = 'trunkline_controller_gc_scanned_allocations';
const GC_SCANS = 'trunkline_controller_gc_scans_total';
const GC_ENDPOINTS = 'trunkline_controller_gc_endpoints_deleted_total';

export function defineGcMetrics(m: Metrics): void {
  m.define(GC_RELEASED, 'counter', 'allocations released by IP GC, by reason');
  m.define(GC_SCANNED, 'gauge', 'allocations looked at by the last full GC scan');
  m.define(GC_SCANS, 'counter', 'full GC scans completed');
  m.define(GC_ENDPOINTS, 'counter', 'SpiderEndpoints deleted by IP GC (no address held, nothing wants them)');
}

type Log = (event: string, fields?: Record<string, unknown>) => void;

export async function gcPass(
  clients: Clients,
  store: AllocationStore,
  policy: GcPolicy,
  fence: Fence,
  metrics: Metrics,
  log: Log,
): Promise<void> {
  const view = await kubeClusterView(clients);
  const r = await collect(store, view, policy, Date.now(), { beforeWrite: (what) => guard(fence, what) });
  metrics.add(GC_SCANS);
  metrics.set(GC_SCANNED, r.scanned);
  for (const a of r.released) {
    metrics.add(GC_RELEASED, 1, ['reason', a.reason]);
    log('released', releaseFields(a));
  }
  // After the allocations, so an endpoint goes in the same pass as the addresses it records.
  const now = Date.now();
  const gone = await sweepEndpoints(clients, store, view, policy, now, {
    beforeWrite: (what) => guard(fence, what),
  });
  for (const ep of gone) {
    metrics.add(GC_ENDPOINTS);
    log('endpoint deleted', { endpoint: ep });
  }
}
