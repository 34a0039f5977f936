// What a delegate is: the network picked for the pod with the pod's per-attachment requests, first
// as found (Pending, in order, not yet named) and then as attached and cached (Delegate).
import type { Bandwidth, NetworkSelection, PortMapping } from './annotations.js';
import { injectCniArgs, type ResolvedNetwork } from './nad.js';

/** Per-attachment requests from the annotation entry. */
interface DelegateRequest {
  mac?: string;
  ips?: string[];
  portMappings?: PortMapping[];
  bandwidth?: Bandwidth;
  infinibandGuid?: string;
  deviceID?: string;
  defaultRoute?: string[];
}

/** One network to attach; JSON-serialisable (it is what the delegate cache stores). */
export interface Delegate extends ResolvedNetwork {
  /** Delegate 0: the cluster network or its override; gets CNI_IFNAME and `default: true`. */
  master: boolean;
  ifname: string;
  request: DelegateRequest;
  /** The device the kubelet allocated to the pod for the NAD's resourceName (injected in config). */
  deviceID?: string;
  /** Remove this family's default routes after ADD (another delegate asked for the default route). */
  filterV4Gateway: boolean;
  filterV6Gateway: boolean;
}

function requestOf(sel: NetworkSelection): DelegateRequest {
  return {
    ...(sel.mac !== undefined ? { mac: sel.mac } : {}),
    ...(sel.ips !== undefined ? { ips: sel.ips } : {}),
    ...(sel.portMappings !== undefined ? { portMappings: sel.portMappings } : {}),
    ...(sel.bandwidth !== undefined ? { bandwidth: sel.bandwidth } : {}),
    ...(sel.infinibandGuid !== undefined ? { infinibandGuid: sel.infinibandGuid } : {}),
    ...(sel.deviceID !== undefined ? { deviceID: sel.deviceID } : {}),
    ...(sel.defaultRoute !== undefined ? { defaultRoute: sel.defaultRoute } : {}),
  };
}

export interface Pending {
  net: ResolvedNetwork;
  deviceID?: string;
  master: boolean;
  ifnameRequest?: string;
  request: DelegateRequest;
}

export function fromSelection(net: ResolvedNetwork, sel: NetworkSelection, master: boolean): Pending {
  const config = sel.cniArgs !== undefined ? injectCniArgs(net.config, net.isList, sel.cniArgs) : net.config;
  return {
    net: { ...net, config },
    master,
    ...(sel.interface !== undefined ? { ifnameRequest: sel.interface } : {}),
    request: requestOf(sel),
  };
}
