// The SpiderEndpoint half of IP GC: after the allocations are collected, an endpoint whose addresses
// no pod holds any more goes too, unless something still wants it — a StatefulSet that wants the
// replica or a VM that wants to run (their next pod takes the addresses back), or a live pod of the
// endpoint's UID between two sandboxes. Young endpoints are an ADD in flight and stay; the delete
// carries the resourceVersion judged, so an endpoint an ADD rewrote meanwhile survives.
import { type Clients, httpStatus } from '../cluster/kubernetes/client.js';
import { ENDPOINT, toEndpoint } from '../cluster/kubernetes/endpoints.js';
import type { SpiderEndpoint } from '../cluster/types.js';
import { KIND_STS, KIND_VMI } from '../cluster/workload.js';
import type { AllocationStore } from '../store/types.js';
import { ownerWants } from './owner.js';
import type { GcHooks } from './scan.js';
import type { ClusterView, GcPolicy } from './types.js';

const bare = (a: string | undefined) => a?.split('/')[0];

function wanted(ep: SpiderEndpoint, held: Set<string>, view: ClusterView, p: GcPolicy, now: number): boolean {
  const ns = ep.metadata.namespace;
  const cur = ep.status.current;
  if (cur.ips.some((n) => [bare(n.ipv4), bare(n.ipv6)].some((ip) => ip && held.has(`${ns}/${ip}`))))
    return true;
  const created = Date.parse(ep.metadata.creationTimestamp ?? '');
  if (!Number.isFinite(created) || now - created < p.inflightGraceMs) return true;
  const { ownerControllerType: kind, ownerControllerName: owner } = ep.status;
  if (kind === KIND_STS || kind === KIND_VMI)
    return ownerWants(ns, ep.metadata.name, { kind, name: owner }, view);
  const pod = view.pod(ns, ep.metadata.name);
  return (
    pod !== undefined &&
    pod.uid === cur.uid &&
    pod.deletionTimestamp === undefined &&
    pod.phase !== 'Succeeded' &&
    pod.phase !== 'Failed'
  );
}

/** Deletes the endpoints nothing wants; returns their "namespace/name". */
export async function sweepEndpoints(
  c: Clients,
  store: AllocationStore,
  view: ClusterView,
  policy: GcPolicy,
  now: number,
  hooks: GcHooks = {},
): Promise<string[]> {
  let items: SpiderEndpoint[];
  try {
    const list = (await c.custom.listClusterCustomObject({ ...ENDPOINT })) as { items?: unknown[] };
    items = (list.items ?? []).map(toEndpoint);
  } catch (err) {
    if (httpStatus(err) === 404) return []; // the CRD is not installed
    throw err;
  }
  if (items.length === 0) return [];
  const held = new Set<string>();
  for (const a of await store.list()) if (a.podNamespace !== undefined) held.add(`${a.podNamespace}/${a.ip}`);
  const gone: string[] = [];
  for (const ep of items) {
    if (wanted(ep, held, view, policy, now)) continue;
    const { namespace, name, resourceVersion } = ep.metadata;
    hooks.beforeWrite?.(`deleting SpiderEndpoint ${namespace}/${name}`);
    try {
      await c.custom.deleteNamespacedCustomObject({
        ...ENDPOINT,
        namespace,
        name,
        ...(resourceVersion !== undefined ? { body: { preconditions: { resourceVersion } } } : {}),
      });
      gone.push(`${namespace}/${name}`);
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409) throw err;
    }
  }
  return gone;
}
