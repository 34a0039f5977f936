// Configuration of trunkline-ipam: Spiderpool's IPAM fields (default_ipv4_ippool/default_ipv6_ippool)
// plus where pools come from and where allocations are kept.
import type { PodRef } from '../../cni/args.js';
import type { NetConf } from '../../cni/types.js';
import type { StoreConf } from '../../store/index.js';

/** The `ipam` section as users write it. */
export interface IpamSection {
  type: 'trunkline-ipam';
  default_ipv4_ippool?: string[] | string;
  default_ipv6_ippool?: string[] | string;
  store?: StoreConf;
  /** Read pods, namespaces and pools from this Kubernetes cluster instead of local manifests. */
  kubeconfig?: string;
  /** Manifests directory of the local cluster source (default /etc/trunkline). */
  manifestDir?: string;
  /** Where the local source writes pod annotations (default /var/lib/trunkline). */
  stateDir?: string;
  /** This node's name for nodeName/nodeAffinity (default $NODE_NAME, else the host name). */
  nodeName?: string;
  /** The NetworkAttachmentDefinition ("ns/name") this attachment comes from, when the caller knows it. */
  multusName?: string;
  /** Namespace assumed for spec.multusName entries without one (default kube-system). */
  multusNamespace?: string;
  /**
   * The cluster's default network (Multus `clusterNetwork`, Spiderpool's MULTUS_CLUSTER_NETWORK) that eth0
   * is attached through when the pod has no v1.multus-cni.io/default-network; default $MULTUS_CLUSTER_NETWORK.
   */
  multusClusterNetwork?: string;
  /** Spiderpool's clean_gateway: no default route through the pool gateway (pod `ippools` entries decide their own). */
  clean_gateway?: boolean;
  /** Spiderpool's match_master_subnet: only pools whose subnet holds an address of the parent's `master`. */
  match_master_subnet?: boolean;
}

/** What loadConf produces: every field resolved and validated. */
export interface IpamConf extends NetConf {
  resolved: {
    defaultV4: string[];
    defaultV6: string[];
    store: StoreConf;
    manifestDir: string;
    stateDir: string;
    kubeconfig?: string;
    nodeName: string;
    multusName?: string;
    multusNamespace: string;
    multusClusterNetwork?: string;
    cleanGateway: boolean;
    /** match_master_subnet: the parent config's master interface. */
    matchMaster?: string;
    pod?: PodRef;
    requestedIps: string[];
  };
}
