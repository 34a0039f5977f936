// Does a workload still want this pod's addresses? StatefulSets and KubeVirt VMs re-create a pod
// under the same identity, so their addresses survive the pod object (Spiderpool's fixed IPs).
import type { ClusterView, OwnerRef, PodView } from './types.js';

const STS_POD = /^(.+)-(\d+)$/;
// virt-launcher-<vmi>-<5 random chars>
const VIRT_LAUNCHER = /^virt-launcher-(.+)-[a-z0-9]{5}$/;

/** The owner from the pod object when there is one, else what its name says. */
export function ownerOf(
  namespace: string,
  name: string,
  pod: PodView | undefined,
  view: ClusterView,
): OwnerRef | undefined {
  if (pod?.owner !== undefined) return pod.owner;
  const sts = STS_POD.exec(name);
  if (sts !== null && view.statefulSet(namespace, sts[1]!) !== undefined)
    return { kind: 'StatefulSet', name: sts[1]! };
  const vm = VIRT_LAUNCHER.exec(name);
  if (vm !== null) return { kind: 'VirtualMachineInstance', name: vm[1]! };
  return undefined;
}

export function ownerWants(
  namespace: string,
  podName: string,
  owner: OwnerRef | undefined,
  view: ClusterView,
): boolean {
  if (owner === undefined) return false;
  if (owner.kind === 'StatefulSet') {
    const s = view.statefulSet(namespace, owner.name);
    const m = STS_POD.exec(podName);
    if (s === undefined || m === null || m[1] !== owner.name) return false;
    const ordinal = Number(m[2]);
    return ordinal >= s.start && ordinal < s.start + s.replicas;
  }
  if (owner.kind === 'VirtualMachineInstance' || owner.kind === 'VirtualMachine')
    return view.vmWanted(namespace, owner.name);
  return false;
}
