// Does a workload still want this pod's addresses? StatefulSets and KubeVirt VMs re-create a pod
// under the same identity, so their addresses survive the pod object (Spiderpool's fixed IPs).
import { KIND_STS, KIND_VMI, stsOfName, stsWants, vmiOfName } from '../cluster/workload.js';
import type { ClusterView, OwnerRef, PodView } from './types.js';

/** The owner from the pod object when there is one, else what its name says. */
export function ownerOf(
  namespace: string,
  name: string,
  pod: PodView | undefined,
  view: ClusterView,
): OwnerRef | undefined {
  if (pod?.owner !== undefined) return pod.owner;
  const sts = stsOfName(name);
  if (sts !== undefined && view.statefulSet(namespace, sts) !== undefined)
    return { kind: KIND_STS, name: sts };
  const vmi = vmiOfName(name);
  if (vmi !== undefined) return { kind: KIND_VMI, name: vmi };
  return undefined;
}

export function ownerWants(
  namespace: string,
  podName: string,
  owner: OwnerRef | undefined,
  view: ClusterView,
): boolean {
  if (owner === undefined) return false;
  if (owner.kind === KIND_STS) return stsWants(podName, owner.name, view.statefulSet(namespace, owner.name));
  if (owner.kind === KIND_VMI || owner.kind === 'VirtualMachine') return view.vmWanted(namespace, owner.name);
  return false;
}
