// ClusterView from a Kubernetes API server: one list of pods, nodes, StatefulSets and KubeVirt
// VMs/VMIs per pass (a consistent-enough snapshot; the live re-read in scan.ts covers its lag).
// KubeVirt is optional: when its CRDs are not installed nothing is a VM.
import { type Clients, httpStatus } from '../cluster/kubernetes/client.js';
import type { ClusterView, NodeView, PodView } from './types.js';

type Raw = Record<string, unknown> & { metadata?: Record<string, unknown> };

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' && v !== '' ? v : undefined;

function podView(p: {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    deletionTimestamp?: unknown;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}): PodView {
  const m = p.metadata ?? {};
  const owner = m.ownerReferences?.find((o) => o.controller) ?? m.ownerReferences?.[0];
  const del = iso(m.deletionTimestamp);
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
    ...(p.status?.phase ? { phase: p.status.phase } : {}),
    ...(del !== undefined ? { deletionTimestamp: del } : {}),
    ...(owner !== undefined ? { owner: { kind: owner.kind, name: owner.name } } : {}),
  };
}

async function listCustom(c: Clients, group: string, version: string, plural: string): Promise<Raw[]> {
  try {
    const r = (await c.custom.listClusterCustomObject({ group, version, plural })) as { items?: Raw[] };
    return r.items ?? [];
  } catch (err) {
    if (httpStatus(err) === 404) return []; // the kind is not installed (e.g. no KubeVirt)
    throw err;
  }
}

const key = (ns: unknown, name: unknown) => `${String(ns)}/${String(name)}`;

/** Up to this many pods to confirm are read one by one; more are confirmed with one LIST. */
const FEW_GETS = 8;

export async function kubeClusterView(c: Clients): Promise<ClusterView> {
  const [pods, nodes, sts, vms, vmis] = await Promise.all([
    c.core.listPodForAllNamespaces(),
    c.core.listNode(),
    listCustom(c, 'apps', 'v1', 'statefulsets'),
    listCustom(c, 'kubevirt.io', 'v1', 'virtualmachines'),
    listCustom(c, 'kubevirt.io', 'v1', 'virtualmachineinstances'),
  ]);
  const podMap = new Map(pods.items.map((p) => [key(p.metadata?.namespace, p.metadata?.name), podView(p)]));
  const nodeMap = new Map<string, NodeView>();
  for (const n of nodes.items) {
    const ready = n.status?.conditions?.find((x) => x.type === 'Ready');
    const since = iso(ready?.lastTransitionTime);
    nodeMap.set(n.metadata?.name ?? '', {
      name: n.metadata?.name ?? '',
      ready: ready?.status ?? 'Unknown',
      ...(since !== undefined ? { readySince: since } : {}),
    });
  }
  const stsMap = new Map(
    sts.map((s) => {
      const spec = (s['spec'] ?? {}) as { replicas?: number; ordinals?: { start?: number } };
      return [
        key(s.metadata?.['namespace'], s.metadata?.['name']),
        { replicas: spec.replicas ?? 1, start: spec.ordinals?.start ?? 0 },
      ];
    }),
  );
  const wanted = new Set<string>();
  for (const v of vmis) wanted.add(key(v.metadata?.['namespace'], v.metadata?.['name']));
  for (const v of vms) {
    const spec = (v['spec'] ?? {}) as { running?: boolean; runStrategy?: string };
    const halted = spec.running === false || spec.runStrategy === 'Halted';
    if (!halted) wanted.add(key(v.metadata?.['namespace'], v.metadata?.['name']));
  }
  return {
    pod: (ns, name) => podMap.get(key(ns, name)),
    node: (name) => nodeMap.get(name),
    statefulSet: (ns, name) => stsMap.get(key(ns, name)),
    vmWanted: (ns, name) => wanted.has(key(ns, name)),
    freshPods: async (wanted) => {
      // A handful: one GET each. More: one LIST, the cost of a single GET per page instead of per pod
      // (a leak of thousands would otherwise take thousands of round trips).
      if (wanted.length > FEW_GETS) {
        const fresh = await c.core.listPodForAllNamespaces();
        const m = new Map(fresh.items.map((p) => [key(p.metadata?.namespace, p.metadata?.name), podView(p)]));
        return (ns, name) => m.get(key(ns, name));
      }
      const m = new Map<string, PodView>();
      await Promise.all(
        wanted.map(async ({ namespace, name }) => {
          try {
            m.set(key(namespace, name), podView(await c.core.readNamespacedPod({ namespace, name })));
          } catch (err) {
            if (httpStatus(err) !== 404) throw err;
          }
        }),
      );
      return (ns, name) => m.get(key(ns, name));
    },
  };
}
