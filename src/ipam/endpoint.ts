// SpiderEndpoints on the IPAM path (Spiderpool's workloadendpointmanager and the endpoint half of
// its allocate.go/release.go). ADD: the endpoint of the pod (of the VMI for KubeVirt pods) says what
// each NIC held before; a same-UID pod, or any StatefulSet/VM pod, asks for it again, and the result
// is written back with the resourceVersion read (409: re-read, merge, retry). DEL: a StatefulSet or
// VM pod whose owner still wants the replica keeps its addresses; otherwise they are released and,
// once the pod is no longer alive, its endpoint goes with them. Sources without endpoints
// (local manifests) or clusters without the CRD skip all of it.
import type { ClusterSource, EndpointNic, PodInfo, SpiderEndpoint } from '../cluster/types.js';
import {
  KIND_STS,
  KIND_VMI,
  podAlive,
  stsWants,
  vmiOfName,
  type Workload,
  workloadOf,
} from '../cluster/workload.js';
import { tryAgainLater } from '../cni/errors.js';
import { recorded } from './endpoint-nic.js';
import type { Sticky } from './sticky.js';

const WRITE_ATTEMPTS = 5;

interface EndpointContext {
  source: ClusterSource;
  pod: PodInfo;
  workload: Workload;
  endpoint: SpiderEndpoint | undefined;
}

export async function endpointContext(
  source: ClusterSource,
  pod: PodInfo | undefined,
): Promise<EndpointContext | undefined> {
  if (pod === undefined || source.getEndpoint === undefined || source.putEndpoint === undefined) return;
  const workload = workloadOf(pod);
  const ep = await source.getEndpoint(pod.metadata.namespace, workload.endpointName);
  if (ep === 'unsupported') return undefined;
  return { source, pod, workload, endpoint: ep };
}

/** What this NIC held before and may take back, or undefined (first ADD, or another pod's endpoint). */
export function stickyOf(ctx: EndpointContext | undefined, ifname: string): Sticky | undefined {
  const ep = ctx?.endpoint;
  if (ctx === undefined || ep === undefined) return undefined;
  const { pod, workload: w } = ctx;
  const prevUid = ep.status.current.uid;
  if (prevUid !== pod.metadata.uid && !w.fixed) return undefined;
  const addresses = recorded(ep, ifname);
  if (addresses.length === 0) return undefined;
  const ns = pod.metadata.namespace;
  const mine = (podName: string | undefined) =>
    w.kind === KIND_STS ? podName === pod.metadata.name : vmiOfName(podName ?? '') === w.name;
  return {
    addresses,
    adopt: (a) =>
      a.podNamespace === ns &&
      a.ifname === ifname &&
      (a.podUid === pod.metadata.uid || a.podUid === prevUid || (w.fixed && mine(a.podName))),
  };
}

type OwnerRefs = NonNullable<SpiderEndpoint['metadata']['ownerReferences']>;

async function ownerRefs(ctx: EndpointContext): Promise<OwnerRefs> {
  const { pod, workload: w, source } = ctx;
  if (w.kind === KIND_VMI) {
    // The VM outlives its VMIs (a restart makes a new one): the endpoint belongs to the VM.
    const vm = await source.getVirtualMachineUid?.(pod.metadata.namespace, w.name);
    if (vm !== undefined)
      return [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: w.name, uid: vm }];
  }
  const c = w.controller;
  if (w.fixed && c?.uid !== undefined)
    return [{ apiVersion: c.apiVersion, kind: c.kind, name: c.name, uid: c.uid }];
  if (pod.metadata.uid === undefined) return [];
  return [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid }];
}

async function merged(
  ctx: EndpointContext,
  base: SpiderEndpoint | undefined,
  nic: EndpointNic,
  node: string,
): Promise<SpiderEndpoint> {
  const { pod, workload: w } = ctx;
  const uid = pod.metadata.uid ?? '';
  const same = base !== undefined && base.status.current.uid === uid;
  // Other NICs' entries stay for the same pod and for a fixed workload's next pod (their ADDs come).
  const others = base !== undefined && (same || w.fixed) ? base.status.current.ips : [];
  const ips = others.some((i) => i.interface === nic.interface)
    ? others.map((i) => (i.interface === nic.interface ? nic : i))
    : [...others, nic];
  const metadata =
    base !== undefined && (same || w.fixed)
      ? base.metadata
      : {
          ...(base?.metadata ?? { name: w.endpointName, namespace: pod.metadata.namespace }),
          ownerReferences: await ownerRefs(ctx),
        };
  return {
    metadata,
    status: { current: { uid, node, ips }, ownerControllerType: w.kind, ownerControllerName: w.name },
  };
}

/** Writes this NIC's entry into the endpoint (created on the pod's first ADD). */
export async function recordEndpoint(ctx: EndpointContext, nic: EndpointNic, node: string): Promise<void> {
  const { source, pod, workload: w } = ctx;
  let base = ctx.endpoint;
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const r = await source.putEndpoint!(await merged(ctx, base, nic, node));
    if (r === 'unsupported') return;
    if (r !== 'conflict') {
      ctx.endpoint = r;
      return;
    }
    const fresh = await source.getEndpoint!(pod.metadata.namespace, w.endpointName);
    if (fresh === 'unsupported') return;
    base = fresh;
  }
  throw tryAgainLater(
    `SpiderEndpoint ${pod.metadata.namespace}/${w.endpointName}: still conflicting after ${WRITE_ATTEMPTS} attempts`,
  );
}

interface PodRefLike {
  namespace: string;
  name: string;
  uid?: string;
}

/** The fixed owner of a pod (or of a deleted pod, from its endpoint): kind and name, or undefined. */
async function fixedOwner(
  source: ClusterSource,
  ref: PodRefLike,
  pod: PodInfo | undefined,
): Promise<{ kind: string; name: string } | undefined> {
  if (pod !== undefined) {
    const w = workloadOf(pod);
    return w.fixed ? { kind: w.kind, name: w.name } : undefined;
  }
  const vmi = vmiOfName(ref.name);
  const ep = await source.getEndpoint!(ref.namespace, vmi ?? ref.name);
  if (ep === undefined || ep === 'unsupported') return undefined;
  const t = ep.status.ownerControllerType;
  return t === KIND_STS || t === KIND_VMI ? { kind: t, name: ep.status.ownerControllerName } : undefined;
}

/** Spiderpool's release.go: a StatefulSet/VM pod whose owner wants the replica keeps its addresses. */
export async function keepOnDel(source: ClusterSource, ref: PodRefLike): Promise<boolean> {
  if (
    source.getEndpoint === undefined ||
    source.getStatefulSet === undefined ||
    source.vmWanted === undefined
  )
    return false;
  const pod = await source.getPod(ref.namespace, ref.name);
  const owner = await fixedOwner(source, ref, pod);
  if (owner === undefined) return false;
  if (owner.kind === KIND_STS)
    return stsWants(ref.name, owner.name, await source.getStatefulSet(ref.namespace, owner.name));
  return source.vmWanted(ref.namespace, owner.name);
}

/** After a DEL released a pod's addresses: its endpoint goes too unless the pod lives on (sandbox restart). */
export async function forgetEndpoint(source: ClusterSource, ref: PodRefLike): Promise<void> {
  if (source.getEndpoint === undefined || source.deleteEndpoint === undefined || ref.uid === undefined)
    return;
  const name = vmiOfName(ref.name) ?? ref.name;
  const ep = await source.getEndpoint(ref.namespace, name);
  if (ep === undefined || ep === 'unsupported' || ep.status.current.uid !== ref.uid) return;
  const pod = await source.getPod(ref.namespace, ref.name);
  if (pod !== undefined && pod.metadata.uid === ref.uid && podAlive(pod)) return;
  await source.deleteEndpoint(ref.namespace, name, ep.metadata.resourceVersion);
}
