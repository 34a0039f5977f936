// The ordered delegate list of one pod, as Multus builds it: the cluster network (or the pod's
// default-network override) first, then defaultNetworks unless the pod is in a system namespace,
// then the pod's annotation networks. Interface names, default-route filters and the seed rule
// (an overlay network may not be the default network) are settled here, before any side effect.

import type { ClusterSource, PodInfo } from '../cluster/types.js';
import { errorText, invalidConfig } from '../cni/errors.js';
import { familyOf } from '../net/ip.js';
import {
  type Bandwidth,
  checkDefaultRouteRequests,
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  type NetworkSelection,
  type PortMapping,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from './annotations.js';
import type { MultusConf } from './config.js';
import { type ResourceMap, readCheckpoint } from './devices.js';
import {
  checkDelegateConfig,
  checkNamespaceIsolation,
  configFromDir,
  configFromPath,
  injectCniArgs,
  type ResolvedNetwork,
  resolveNad,
} from './nad.js';
import { isRecord } from './record.js';

type Rec = Record<string, unknown>;

/** Per-attachment requests from the annotation entry. */
export interface DelegateRequest {
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

export interface BuildInput {
  conf: MultusConf;
  source: ClusterSource;
  /** undefined when the pod is unknown: only the cluster network is attached. */
  pod: PodInfo | undefined;
  /** CNI_IFNAME */
  ifname: string;
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

interface Pending {
  net: ResolvedNetwork;
  deviceID?: string;
  master: boolean;
  ifnameRequest?: string;
  request: DelegateRequest;
}

function fromSelection(net: ResolvedNetwork, sel: NetworkSelection, master: boolean): Pending {
  const config = sel.cniArgs !== undefined ? injectCniArgs(net.config, net.isList, sel.cniArgs) : net.config;
  return {
    net: { ...net, config },
    master,
    ...(sel.interface !== undefined ? { ifnameRequest: sel.interface } : {}),
    request: requestOf(sel),
  };
}

/** clusterNetwork / defaultNetworks entry: a path, else a NAD in multusNamespace, else a confDir name. */
export async function resolveNetworkRef(
  conf: MultusConf,
  source: ClusterSource,
  ref: string,
): Promise<ResolvedNetwork> {
  if (ref.includes('/')) return configFromPath(ref);
  try {
    return await resolveNad(source, conf.multusNamespace, ref, conf.confDir);
  } catch (nadErr) {
    const file = await configFromDir(conf.confDir, ref);
    if (file === undefined) {
      throw invalidConfig(
        `cannot find network "${ref}": no usable NetworkAttachmentDefinition ${conf.multusNamespace}/${ref} (${errorText(nadErr)}) and no CNI config named "${ref}" in ${conf.confDir}`,
        undefined,
        { cause: nadErr },
      );
    }
    const name = typeof file.config.name === 'string' ? file.config.name : ref;
    return { name, config: file.config, isList: file.isList, overlay: false, origin: `file ${file.file}` };
  }
}

function inlineDelegate(raw: Rec, i: number): ResolvedNetwork {
  const { config, isList } = checkDelegateConfig(raw, `meta plugin config: delegates[${i}]`);
  const name = typeof config.name === 'string' ? config.name : `delegates[${i}]`;
  return { name, config, isList, overlay: false, origin: `meta plugin config delegates[${i}]` };
}

async function baseNetworks(input: BuildInput, podId: string | undefined): Promise<Pending[]> {
  const { conf, source, pod } = input;
  const base: Pending[] = [];
  const override = pod?.metadata.annotations?.[DEFAULT_NETWORK_ANNOTATION];
  if (override !== undefined) {
    const sel = parseDefaultNetworkAnnotation(override, conf.multusNamespace, podId);
    base.push(fromSelection(await resolveNad(source, sel.namespace, sel.name, conf.confDir), sel, true));
  } else if (conf.clusterNetwork !== undefined) {
    base.push({ net: await resolveNetworkRef(conf, source, conf.clusterNetwork), master: true, request: {} });
  }
  // Inline delegates play the cluster network's role when there is no clusterNetwork;
  // an override replaces only the first of them, as in Multus.
  if (conf.clusterNetwork === undefined) {
    for (const [i, raw] of (conf.delegates ?? []).entries()) {
      if (i === 0 && base.length > 0) continue;
      base.push({ net: inlineDelegate(raw, i), master: i === 0, request: {} });
    }
  }
  const system = pod === undefined || conf.systemNamespaces.includes(pod.metadata.namespace);
  if (!system) {
    for (const ref of conf.defaultNetworks) {
      base.push({ net: await resolveNetworkRef(conf, source, ref), master: false, request: {} });
    }
  }
  return base;
}

/** Resolve every network of the pod into the ordered, named delegate list. Throws code 7. */
export async function buildDelegates(input: BuildInput): Promise<Delegate[]> {
  const { conf, source, pod } = input;
  const podId = pod !== undefined ? `${pod.metadata.namespace}/${pod.metadata.name}` : undefined;
  const pending = await baseNetworks(input, podId);
  if (pod !== undefined) {
    const ns = pod.metadata.namespace;
    for (const sel of parseNetworksAnnotation(pod.metadata.annotations?.[NETWORKS_ANNOTATION], ns, podId)) {
      checkNamespaceIsolation(conf, ns, sel.namespace, podId);
      pending.push(
        fromSelection(await resolveNad(source, sel.namespace, sel.name, conf.confDir), sel, false),
      );
    }
  }
  if (pending.length === 0) throw invalidConfig('no networks to attach: no cluster network and no delegates');
  if (pod !== undefined) assignDevices(pending, conf, pod);
  checkDefaultRouteRequests(
    pending.map((p) => ({ name: p.net.name, defaultRoute: p.request.defaultRoute })),
    podId,
  );
  const delegates = pending.map((p, idx) => toDelegate(p, idx, input, pending));
  checkInterfaceNames(delegates, podId);
  // podman's `--network a,b` calls the meta plugin once per NIC (eth0, eth1, …): only the runtime's
  // primary interface is the pod's default network; an overlay network may own eth1 and up.
  if (input.ifname === PRIMARY_IFNAME) assertDefaultNotOverlay(delegates[0]!, podId);
  return delegates;
}

/**
 * Multus's getKubernetesDelegate: each NAD naming a resourceName takes the pod's next unused device
 * ID of that resource (sorted), and its config gets "deviceID" and "pciBusID" (every plugin of a list).
 */
function assignDevices(pending: Pending[], conf: MultusConf, pod: PodInfo): void {
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

function toDelegate(p: Pending, idx: number, input: BuildInput, all: Pending[]): Delegate {
  // Multus (CheckGatewayConfig): once any attachment carries "default-route" — even an empty list —
  // every delegate loses its default routes except for the families it asked a gateway for itself.
  const anyRequest = all.some((q) => q.request.defaultRoute !== undefined);
  const mine = new Set((p.request.defaultRoute ?? []).map(familyOf));
  const versioned =
    p.net.config.cniVersion === undefined
      ? { ...p.net.config, cniVersion: input.conf.cniVersion }
      : p.net.config;
  const config = withIpamContext(versioned, p.net, input.conf);
  return {
    ...p.net,
    config,
    master: p.master,
    ...(p.deviceID !== undefined ? { deviceID: p.deviceID } : {}),
    ifname: p.ifnameRequest ?? (p.master ? input.ifname : `net${idx}`),
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
function withIpamContext(config: Rec, net: ResolvedNetwork, conf: BuildInput['conf']): Rec {
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

function checkInterfaceNames(delegates: Delegate[], podId: string | undefined): void {
  const seen = new Map<string, string>();
  for (const d of delegates) {
    const other = seen.get(d.ifname);
    if (other !== undefined) {
      throw invalidConfig(
        `interface name "${d.ifname}" is used twice${podId !== undefined ? ` in pod ${podId}` : ''}: by network ${other} and by network ${d.name}; give one of them another name with @ifname or "interface"`,
      );
    }
    seen.set(d.ifname, d.name);
  }
}

const PRIMARY_IFNAME = 'eth0';

/** Seed rule: a network whose chain runs in overlay mode must not own the pod's default interface. */
export function assertDefaultNotOverlay(d: Delegate, podId?: string): void {
  if (!d.overlay) return;
  throw invalidConfig(
    `network ${d.name} (${d.origin}) cannot be the default network${podId !== undefined ? ` of pod ${podId}` : ''}: it is marked overlay (coordinator mode "overlay" or annotation trunkline.io/network-mode: overlay), and overlay networks leave ${d.ifname} and the default route to the cluster's overlay CNI, so they may only be extra interfaces listed in ${NETWORKS_ANNOTATION}; use a standalone (underlay) network for ${DEFAULT_NETWORK_ANNOTATION}`,
  );
}
