// Configuration of trunkline-ipam: Spiderpool's IPAM fields (default_ipv4_ippool/default_ipv6_ippool)
// plus where pools come from and where allocations are kept.
import type { PodRef } from '../../cni/args.js';
import type { NetConf } from '../../cni/types.js';
import type { StoreConf } from '../../store/index.js';

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
