// What a scenario's manifests mean for the lab: each NAD's chain (master, overlay, IPAM), each pod's
// attachments named as Multus names them (delegate 0 = eth0, then net<idx>), and which VLAN a node
// interface is on in either variant.
import { errorText } from '../../cni/errors.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../../multus/annotations.js';
import { COORDINATOR_TYPE, NETWORK_MODE_ANNOTATION } from '../../multus/nad.js';
import type { Manifest, NodeSpec, Scenario, Variant } from '../types.js';
import { isRec, type Rec } from './fields.js';

export const MULTUS_NAMESPACE = 'kube-system';
const MACVLAN_TYPES = ['trunkline-macvlan', 'macvlan'];

export const keyOf = (m: Manifest): string =>
  m.kind === 'Pod' || m.kind === 'NetworkAttachmentDefinition'
    ? `${m.metadata.namespace ?? 'default'}/${m.metadata.name}`
    : m.metadata.name;

export interface NadInfo {
  key: string;
  manifest: Manifest;
  config: Rec;
  plugins: Rec[];
  /** The macvlan (or other main plugin) master, when the chain has one. */
  master?: string;
  macvlan: boolean;
  overlay: boolean;
  ipam?: Rec;
}

/** The NAD's chain, or a problem with spec.config. */
export function readNad(m: Manifest): NadInfo | string {
  const text = m.spec?.['config'];
  if (typeof text !== 'string' || text.trim() === '')
    return 'empty: the lab needs the CNI config inline (a conf or conflist JSON string)';
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${errorText(e)}`;
  }
  if (!isRec(config)) return 'expected a JSON object';
  const plugins = Array.isArray(config['plugins']) ? config['plugins'] : [config];
  if (plugins.length === 0 || !plugins.every((p) => isRec(p) && typeof p['type'] === 'string'))
    return 'every plugin needs a "type"';
  const recs = plugins as Rec[];
  const main = recs.find((p) => typeof p['master'] === 'string');
  const withIpam = recs.find((p) => isRec(p['ipam']));
  const overlay =
    m.metadata.annotations?.[NETWORK_MODE_ANNOTATION] === 'overlay' ||
    recs.some((p) => p['type'] === COORDINATOR_TYPE && p['mode'] === 'overlay');
  return {
    key: keyOf(m),
    manifest: m,
    config,
    plugins: recs,
    ...(main !== undefined ? { master: main['master'] as string } : {}),
    macvlan: recs.some((p) => MACVLAN_TYPES.includes(p['type'] as string)),
    overlay,
    ...(withIpam !== undefined ? { ipam: withIpam['ipam'] as Rec } : {}),
  };
}

export interface PodAttachment {
  ifname: string;
  /** "ns/name" of the NAD; undefined = the cluster network (simulated overlay). */
  nad?: string;
  isDefault: boolean;
  /** The annotation that asked for it (for messages). */
  annotation?: string;
}

/** The pod's attachments in Multus order; throws CniError for an annotation Multus would refuse. */
export function podAttachments(pod: Manifest): PodAttachment[] {
  const ns = pod.metadata.namespace ?? 'default';
  const id = `${ns}/${pod.metadata.name}`;
  const anno = pod.metadata.annotations ?? {};
  const out: PodAttachment[] = [];
  const dflt = anno[DEFAULT_NETWORK_ANNOTATION];
  if (dflt !== undefined) {
    const sel = parseDefaultNetworkAnnotation(dflt, MULTUS_NAMESPACE, id);
    out.push({
      ifname: 'eth0',
      nad: `${sel.namespace}/${sel.name}`,
      isDefault: true,
      annotation: DEFAULT_NETWORK_ANNOTATION,
    });
  } else {
    out.push({ ifname: 'eth0', isDefault: true });
  }
  parseNetworksAnnotation(anno[NETWORKS_ANNOTATION], ns, id).forEach((sel, i) => {
    out.push({
      ifname: sel.interface ?? `net${i + 1}`,
      nad: `${sel.namespace}/${sel.name}`,
      isDefault: false,
      annotation: NETWORKS_ANNOTATION,
    });
  });
  return out;
}

/**
 * Interfaces of a node that sit on a switch VLAN, by name. vlan variant: the host config's VLAN
 * sub-interfaces. flat variant: the same names (each a veth on that VLAN's bridge); a node without
 * host config gets `vlan<id>` for each VLAN of its trunk.
 */
export function vlanIfaces(node: NodeSpec, _variant: Variant): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of node.host?.interfaces ?? []) {
    if (d.type === 'vlan' && d.state !== 'absent' && d.vlan !== undefined && node.trunk.includes(d.vlan.id))
      out.set(d.name, d.vlan.id);
  }
  if (node.host === undefined) for (const id of node.trunk) out.set(`vlan${id}`, id);
  return out;
}

/** The VLAN of a NAD master, if every node that has it agrees. */
export function vlanOfMaster(s: Pick<Scenario, 'nodes' | 'variant'>, master: string): number | undefined {
  for (const n of s.nodes) {
    const id = vlanIfaces(n, s.variant).get(master);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Every interface name a node will have (NICs in the vlan variant, bond, VLANs, flat veths). */
export function nodeIfaceNames(node: NodeSpec, variant: Variant): Set<string> {
  const out = new Set(vlanIfaces(node, variant).keys());
  if (variant === 'vlan') {
    for (const n of node.nics) out.add(n);
    for (const d of node.host?.interfaces ?? []) if (d.state !== 'absent') out.add(d.name);
  }
  return out;
}
