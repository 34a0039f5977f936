// The Kubernetes Events Multus emits on the pod, with its exact reasons and messages
// (pkg/multus/multus.go DelegateAdd, pkg/k8sclient getKubernetesDelegate). Best effort: the source
// never rejects, and a source without events (local manifests) records nothing.
import type { ClusterSource, PodInfo } from '../../cluster/types.js';
import type { Result } from '../../cni/types.js';
import type { NadNotFoundError } from '../../multus/nad.js';

/** "Add net1 [10.1.0.5/24 fd00::5/64] from kube-system/vlan100" — Go's %v of a []string. */
export function addedInterface(
  source: ClusterSource,
  pod: PodInfo | undefined,
  ifname: string,
  network: string,
  result: Result,
): Promise<void> | undefined {
  // Multus skips delegates that returned neither interfaces nor IPs.
  if (pod === undefined || (result.interfaces === undefined && result.ips === undefined)) return undefined;
  const ips = (result.ips ?? []).map((ip) => ip.address).join(' ');
  const from = network !== '' ? ` from ${network}` : '';
  return source.recordPodEvent?.(pod, {
    type: 'Normal',
    reason: 'AddedInterface',
    message: `Add ${ifname} [${ips}]${from}`,
  });
}

export function noNetworkFound(
  source: ClusterSource,
  pod: PodInfo | undefined,
  err: NadNotFoundError,
): Promise<void> | undefined {
  if (pod === undefined) return undefined;
  const { nadNamespace: ns, nadName: name } = err;
  return source.recordPodEvent?.(pod, {
    type: 'Warning',
    reason: 'NoNetworkFound',
    message: `cannot find a network-attachment-definition (${name}) in namespace (${ns}): network-attachment-definitions.k8s.cni.cncf.io "${name}" not found`,
  });
}
