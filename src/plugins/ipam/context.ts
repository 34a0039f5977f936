// Gathers what the allocation needs from the cluster source: the pod (identity from CNI_ARGS), its
// namespace and node, the pools and reserved addresses, and which NetworkAttachmentDefinition this
// interface belongs to (for spec.multusName).

import type { ClusterSource, PodInfo } from '../../cluster/types.js';
import type { CniEnv } from '../../cni/types.js';
import type { SelectInput } from '../../ipam/select.js';
import { NETWORKS_ANNOTATION, parseNetworksAnnotation } from '../../multus/annotations.js';
import type { IpamConf } from './types.js';

/** The NAD of this NIC as Spiderpool resolves it: the networks annotation entry for the interface. */
function nadOf(pod: PodInfo | undefined, ifname: string): string | undefined {
  const value = pod?.metadata.annotations?.[NETWORKS_ANNOTATION];
  if (pod === undefined || value === undefined) return undefined;
  let list: ReturnType<typeof parseNetworksAnnotation>;
  try {
    list = parseNetworksAnnotation(
      value,
      pod.metadata.namespace,
      `${pod.metadata.namespace}/${pod.metadata.name}`,
    );
  } catch {
    return undefined; // the meta plugin reports a malformed annotation; here it only narrows pools
  }
  // Multus names unnamed extra interfaces net1, net2, … in annotation order.
  const i = list.findIndex((n, idx) => (n.interface ?? `net${idx + 1}`) === ifname);
  const n = list[i];
  return n === undefined ? undefined : `${n.namespace}/${n.name}`;
}

export async function selectionInput(
  conf: IpamConf,
  env: CniEnv,
  source: ClusterSource,
): Promise<SelectInput> {
  const r = conf.resolved;
  const ref = r.pod;
  const [pod, namespace, pools, reserved] = await Promise.all([
    ref ? source.getPod(ref.namespace, ref.name) : undefined,
    ref ? source.getNamespace(ref.namespace) : undefined,
    source.listIPPools(),
    source.listReservedIPs(),
  ]);
  const nodeName = pod?.nodeName ?? r.nodeName;
  const node = await source.getNode(nodeName);
  const multusName = r.multusName ?? nadOf(pod, env.ifname) ?? (conf.name || undefined);
  return {
    pools,
    reserved,
    ...(pod !== undefined ? { pod } : {}),
    ...(ref !== undefined ? { podNamespace: ref.namespace, podName: ref.name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(node !== undefined ? { node } : {}),
    nodeName,
    ifname: env.ifname,
    ...(multusName !== undefined ? { multusName } : {}),
    multusNamespace: r.multusNamespace,
    defaults: { ipv4: r.defaultV4, ipv6: r.defaultV6 },
  };
}
