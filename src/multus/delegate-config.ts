// Each delegate's own config, settled before any side effect: the kubelet's device for the NAD's
// resource, the cniVersion, what trunkline-ipam needs to know about the call, and which default
// routes to drop after ADD.
import type { PodInfo } from '../cluster/types.js';
import { familyOf } from '../net/ip.js';
import type { MultusConf } from './config.js';
import type { Delegate, Pending } from './delegate-types.js';
import { type ResourceMap, readCheckpoint } from './devices.js';
import type { ResolvedNetwork } from './nad.js';
import { isRecord } from './record.js';

type Rec = Record<string, unknown>;

/**
 * Multus's getKubernetesDelegate: each NAD naming a resourceName takes the pod's next unused device
 * ID of that resource (sorted), and its config gets "deviceID" and "pciBusID" (every plugin of a list).
 */
export function assignDevices(pending: Pending[], conf: MultusConf, pod: PodInfo): void {
  let map: ResourceMap | undefined;
  const used = new Map<string, number>();
  for (const p of pending) {
    const rn = p.net.resourceName;
    if (rn === undefined) continue;
    map ??= readCheckpoint(conf.kubeletCheckpointFile, pod.metadata.uid ?? '');
    const idx = used.get(rn) ?? 0;
    const id = map.get(rn)?.[idx];
    if (id === undefined) continue;
    used.set(rn, idx + 1);
    const inject = (c: Rec): Rec => ({ ...c, deviceID: id, pciBusID: id });
    const config = p.net.isList
      ? { ...p.net.config, plugins: (p.net.config.plugins as Rec[]).map(inject) }
      : inject(p.net.config);
    p.net = { ...p.net, config };
    p.deviceID = id;
  }
}

/** Pending → Delegate: its interface name, cniVersion, IPAM context and default-route filters. */
export function toDelegate(
  p: Pending,
  idx: number,
  conf: MultusConf,
  ifname: string,
  all: Pending[],
): Delegate {
  // Multus (CheckGatewayConfig): once any attachment carries "default-route" — even an empty list —
  // every delegate loses its default routes except for the families it asked a gateway for itself.
  const anyRequest = all.some((q) => q.request.defaultRoute !== undefined);
  const mine = new Set((p.request.defaultRoute ?? []).map(familyOf));
  const versioned =
    p.net.config.cniVersion === undefined ? { ...p.net.config, cniVersion: conf.cniVersion } : p.net.config;
  const config = withIpamContext(versioned, p.net, conf);
  return {
    ...p.net,
    config,
    master: p.master,
    ...(p.deviceID !== undefined ? { deviceID: p.deviceID } : {}),
    ifname: p.ifnameRequest ?? (p.master ? ifname : `net${idx}`),
    request: p.request,
    filterV4Gateway: anyRequest && !mine.has(4),
    filterV6Gateway: anyRequest && !mine.has(6),
  };
}

/**
 * trunkline-ipam needs what only the meta plugin knows: which NetworkAttachmentDefinition the call
 * comes from (Spiderpool's `multusName` pool constraint) and, with the local source, where the
 * manifests live. Set only what the NAD's own ipam section leaves out.
 */
function withIpamContext(config: Rec, net: ResolvedNetwork, conf: MultusConf): Rec {
  const fill = (plugin: Rec): Rec => {
    const ipam = plugin['ipam'];
    if (!isRecord(ipam) || ipam['type'] !== 'trunkline-ipam') return plugin;
    const extra: Rec = {};
    if (ipam['multusName'] === undefined && net.origin.startsWith('NetworkAttachmentDefinition'))
      extra['multusName'] = net.name;
    if (conf.source.type === 'kubernetes') {
      if (ipam['kubeconfig'] === undefined && conf.kubeconfig !== undefined)
        extra['kubeconfig'] = conf.kubeconfig;
    } else {
      if (ipam['manifestDir'] === undefined) extra['manifestDir'] = conf.source.manifestDir;
      if (ipam['stateDir'] === undefined && conf.source.stateDir !== undefined)
        extra['stateDir'] = conf.source.stateDir;
    }
    return Object.keys(extra).length === 0 ? plugin : { ...plugin, ipam: { ...ipam, ...extra } };
  };
  if (!Array.isArray(config['plugins'])) return fill(config);
  return { ...config, plugins: (config['plugins'] as unknown[]).map((p) => (isRecord(p) ? fill(p) : p)) };
}
