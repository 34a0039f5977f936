// Configuration of the coordinator: Spiderpool's coordinator CNI fields (cmd/coordinator Config and
// the SpiderCoordinator CRD spelling), with the cluster-derived lists given explicitly since there is
// no SpiderCoordinator status to read them from.
import type { NetConf } from '../../cni/types.js';

export type Mode = 'auto' | 'underlay' | 'overlay' | 'disabled';
export type PodCidrType = 'auto' | 'cluster' | 'calico' | 'cilium' | 'none';

export const MODES = ['auto', 'underlay', 'overlay', 'disabled', 'disable'] as const;
export const POD_CIDR_TYPES: readonly PodCidrType[] = ['auto', 'cluster', 'calico', 'cilium', 'none'];

interface DetectOptionsRaw {
  retries?: number;
  interval?: string;
  timeout?: string;
}

interface CoordinatorNetConf extends NetConf {
  mode?: string;
  podCIDRType?: string;
  overlayPodCIDR?: string[];
  serviceCIDR?: string[];
  hijackCIDR?: string[];
  /**
   * Ours (not a Spiderpool field), default true: with tunePodRoutes off, still give the NIC its table
   * (a copy of its routes plus a default via its gateway) and a `from <its address>` rule, so replies
   * leave through the NIC they came in on. Both off: no rules in the pod at all.
   */
  policyRoutes?: boolean;
  /** Move the NIC's routes from main to its table and choose the default-route NIC (Spiderpool's). */
  tunePodRoutes?: boolean;
  /** Spiderpool's CNI spelling; `podDefaultRouteNIC` (the CRD's) is accepted too. */
  podDefaultRouteNic?: string;
  podDefaultCniNic?: string;
  multusNicPrefix?: string;
  hostRuleTable?: number;
  hostRPFilter?: number;
  podRPFilter?: number;
  txQueueLen?: number;
  vethLinkAddress?: string;
  vethMTU?: number;
  podMACPrefix?: string;
  /** Spiderpool's coordinator spelling; `enableIPConflictDetection` (its IPAM's) is accepted too. */
  detectIPConflict?: boolean;
  /** Spiderpool's coordinator spelling; `enableGatewayDetection` (its IPAM's) is accepted too. */
  detectGateway?: boolean;
  detectOptions?: DetectOptionsRaw;
}

export interface DetectOptions {
  retries: number;
  intervalMs: number;
  timeoutMs: number;
}

/** What loadConf produces: every field resolved and validated. */
export interface CoordinatorConf extends CoordinatorNetConf {
  mode: Mode;
  podCIDRType: PodCidrType;
  overlayPodCIDR: string[];
  serviceCIDR: string[];
  hijackCIDR: string[];
  policyRoutes: boolean;
  tunePodRoutes: boolean;
  podDefaultRouteNic?: string;
  podDefaultCniNic: string;
  multusNicPrefix: string;
  hostRuleTable: number;
  hostRPFilter: number; // -1 = leave the host alone
  podRPFilter: number; // -1 = leave the pod alone
  txQueueLen: number; // 0 = kernel default
  vethLinkAddress?: string;
  vethMTU: number;
  podMACPrefix?: string;
  detectIPConflict: boolean;
  detectGateway: boolean;
  detect: DetectOptions;
}

/** The pod-side name of the underlay veth, as Spiderpool names it. */
export const UNDERLAY_VETH = 'veth0';
/** First per-NIC table: net1 → 100, net2 → 101 (Spiderpool's getRuleNumber). */
export const FIRST_POD_TABLE = 100;
export const MAIN_TABLE = 254;
/** Priority of the host's `to <pod IP> lookup hostRuleTable` rules (Spiderpool's defaultHostRulePriority). */
export const HOST_RULE_PRIORITY = 1000;

/** One pod NIC being coordinated, with everything derived from the pod and the configuration. */
export interface Attachment {
  netns: string;
  ifname: string;
  containerId: string;
  mode: 'underlay' | 'overlay';
  /** The pod NIC that carries node/Service/pod-CIDR traffic: veth0 (underlay) or eth0 (overlay). */
  viaNic: string;
  /** Its peer in the host namespace. */
  hostVeth: string;
  /** Underlay only: this call creates (DEL: removes) the veth pair. */
  ownsVeth: boolean;
  /** Routing table for this NIC's policy routes; MAIN_TABLE for the pod's first NIC. */
  table: number;
  /** Addresses (CIDR) of this NIC, from prevResult or the NIC itself. */
  podIps: string[];
  /** Gateways of this NIC, per family. */
  gateways: { 4?: string; 6?: string };
}
