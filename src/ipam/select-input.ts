// What pool selection knows about one NIC: the pools and reservations, the pod, its namespace and
// node, the NAD it is attached through and the IPAM config's defaults.
import type { NamespaceInfo, NodeInfo, PodInfo, SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import type { Who } from './errors.js';
import type { Issue } from './validate.js';

export interface SelectInput {
  pools: readonly SpiderIPPool[];
  reserved: readonly SpiderReservedIP[];
  /** Validation result of `pools` (validatePools); computed when absent. */
  issues?: Map<string, Issue[]>;
  pod?: PodInfo;
  /** Pod identity from CNI_ARGS; used when the pod object itself is unknown. */
  podNamespace?: string;
  podName?: string;
  namespace?: NamespaceInfo;
  node?: NodeInfo;
  nodeName?: string;
  ifname: string;
  /** The NetworkAttachmentDefinition ("ns/name") or network name this NIC is attached through. */
  multusName?: string;
  /** Namespace assumed for spec.multusName entries without one (Spiderpool: its own namespace). */
  multusNamespace?: string;
  defaults?: { ipv4?: readonly string[]; ipv6?: readonly string[] };
  /** The IPAM config's clean_gateway: every rule but a pod `ippools` entry uses it. */
  cleanGateway?: boolean;
  /** This NIC's position among the pod's interfaces (eth0 0, then the networks annotation's order). */
  nicIndex?: number;
  /**
   * match_master_subnet: the master interface's addresses; only pools whose subnet holds one of them
   * may serve this NIC.
   */
  masterAddrs?: readonly string[];
}

export function whoOf(input: Pick<SelectInput, 'pod' | 'podNamespace' | 'podName' | 'ifname'>): Who {
  const ns = input.pod?.metadata.namespace ?? input.podNamespace;
  const name = input.pod?.metadata.name ?? input.podName;
  return { pod: ns && name ? `${ns}/${name}` : '(unknown pod)', ifname: input.ifname };
}
