// Gathers what the allocation needs from the cluster source: the pod (identity from CNI_ARGS), its
// namespace and node, the pools and reserved addresses, which NetworkAttachmentDefinition this
// interface belongs to (for spec.multusName) and where it stands among the pod's interfaces.

import { networkInterfaces } from 'node:os';
import type { ClusterSource, PodInfo } from '../../cluster/types.js';
import type { CniEnv } from '../../cni/types.js';
import type { SelectInput } from '../../ipam/select-input.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../../multus/annotations.js';
import type { IpamConf } from './types.js';

/** The cluster network interface Multus creates, and Spiderpool treats as the pod's first NIC. */
const FIRST_NIC = 'eth0';

/** The pod's additional networks in Multus's order; a malformed annotation narrows nothing here. */
function extraNetworks(pod: PodInfo) {
  const value = pod.metadata.annotations?.[NETWORKS_ANNOTATION];
  try {
    return parseNetworksAnnotation(
      value,
      pod.metadata.namespace,
      `${pod.metadata.namespace}/${pod.metadata.name}`,
    );
  } catch {
    return []; // the meta plugin (or Multus) reports a malformed annotation
  }
}

/**
 * The NAD ("ns/name") of this NIC as Spiderpool resolves it when Multus calls the IPAM: for eth0 the
 * pod's v1.multus-cni.io/default-network, else the cluster network (both in multusNamespace unless
 * qualified); for other NICs the networks annotation entry whose interface (or default netN) it is.
 */
function nadOf(pod: PodInfo, ifname: string, conf: IpamConf): string | undefined {
  if (ifname === FIRST_NIC) {
    const value =
      pod.metadata.annotations?.[DEFAULT_NETWORK_ANNOTATION] || conf.resolved.multusClusterNetwork;
    if (value === undefined) return undefined;
    try {
      const n = parseDefaultNetworkAnnotation(value, conf.resolved.multusNamespace);
      return `${n.namespace}/${n.name}`;
    } catch {
      return undefined;
    }
  }
  const n = extraNetworks(pod).find((x, i) => (x.interface ?? `net${i + 1}`) === ifname);
  return n === undefined ? undefined : `${n.namespace}/${n.name}`;
}

/** eth0 is 0, then the networks annotation's interfaces in order; netN by its number otherwise. */
function nicIndex(pod: PodInfo | undefined, ifname: string): number | undefined {
  if (ifname === FIRST_NIC) return 0;
  const list = pod === undefined ? [] : extraNetworks(pod);
  const i = list.findIndex((x, k) => (x.interface ?? `net${k + 1}`) === ifname);
  if (i >= 0) return i + 1;
  const m = /^net([1-9]\d*)$/.exec(ifname);
  return m === null ? undefined : Number(m[1]);
}

/** The host's addresses on `name` (the IPAM runs in the host namespace, as does the agent). */
function hostAddrs(name: string): string[] {
  return (networkInterfaces()[name] ?? []).map((a) => a.address.split('%')[0] ?? a.address);
}

export async function selectionInput(
  conf: IpamConf,
  env: CniEnv,
  source: ClusterSource,
  masterAddrs: (name: string) => string[] = hostAddrs,
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
  // Trunkline's meta plugin passes the NAD it delegates for; under Multus it is resolved from the pod
  // as Spiderpool does; without a pod (podman, Nomad) the network's name stands in for it.
  const multusName =
    r.multusName ?? (pod !== undefined ? nadOf(pod, env.ifname, conf) : conf.name || undefined);
  const index = nicIndex(pod, env.ifname);
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
    cleanGateway: r.cleanGateway,
    ...(index !== undefined ? { nicIndex: index } : {}),
    ...(r.matchMaster !== undefined ? { masterAddrs: masterAddrs(r.matchMaster) } : {}),
  };
}
