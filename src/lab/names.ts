// Names and places the lab derives from a scenario: namespaces (prefix + sw | node | pod-<name>),
// switch ports, per-node overlay slices, container IDs and pod UIDs (deterministic, so a second `up`
// and `down` address the same attachments), and the state directory layout.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { formatIp, parseCidr } from '../ipam/ranges.js';
import { keyOf, vlanIfaces } from './scenario/model.js';
import type { LabPod, Scenario, Variant } from './types.js';

export const DEFAULT_PREFIX = 'tl-lab-';
export const DEFAULT_STATE_DIR = '/run/trunkline-lab';

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

export const switchNs = (prefix: string): string => `${prefix}sw`;
export const nodeNs = (prefix: string, node: string): string => `${prefix}${node}`;
const podNs = (prefix: string, pod: string): string => `${prefix}pod-${pod}`;

/** Switch-side port name: "<node>-<nic>" when it fits IFNAMSIZ, else "p<i>-<j>". */
function portName(node: string, nodeIdx: number, nic: string, nicIdx: number): string {
  const n = `${node}-${nic}`;
  return n.length <= 15 ? n : `p${nodeIdx}-${nicIdx}`;
}

/** The /24 of the cluster's pod CIDR that node i hands to overlay eth0s. */
export function nodePodSubnet(podCidr: string, nodeIdx: number): { subnet: string; gateway: string } {
  const c = parseCidr(podCidr);
  const net = c.network + BigInt(nodeIdx) * 256n;
  return { subnet: `${formatIp(4, net)}/24`, gateway: formatIp(4, net + 1n) };
}

export interface SwitchPort {
  name: string;
  node: string;
  /** Node-side interface cabled to this port. */
  nic: string;
  /** VLANs carried (vlan variant: tagged trunk; flat: the one segment). */
  vlans: number[];
}

/** Cabling: vlan variant = every NIC on a trunk port; flat = one veth per VLAN interface. */
export function switchPorts(s: Scenario, variant: Variant): SwitchPort[] {
  const out: SwitchPort[] = [];
  s.nodes.forEach((n, i) => {
    if (variant === 'vlan') {
      for (const [j, nic] of n.nics.entries())
        out.push({ name: portName(n.name, i, nic, j), node: n.name, nic, vlans: n.trunk });
    } else {
      for (const [j, [ifname, id]] of [...vlanIfaces(n, variant)].entries())
        out.push({ name: portName(n.name, i, `v${id}`, j), node: n.name, nic: ifname, vlans: [id] });
    }
  });
  return out;
}

export function labPods(s: Scenario, prefix: string): LabPod[] {
  return s.manifests
    .filter((m) => m.kind === 'Pod')
    .map((m) => {
      const id = keyOf(m);
      const h = hash(`${prefix}|${id}`);
      return {
        namespace: m.metadata.namespace ?? 'default',
        name: m.metadata.name,
        uid:
          m.metadata.uid ??
          `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
        node: String(m.spec?.['nodeName']),
        netns: podNs(prefix, m.metadata.name),
        containerId: hash(`container|${prefix}|${id}`),
      };
    });
}

/** State directory layout. */
export function statePaths(stateDir: string) {
  return {
    root: stateDir,
    record: join(stateDir, 'lab.json'),
    report: join(stateDir, 'report.json'),
    manifests: join(stateDir, 'manifests'),
    source: join(stateDir, 'source'),
    ipamDb: join(stateDir, 'ipam', 'ipam.db'),
    results: join(stateDir, 'results'),
    node: (node: string) => {
      const d = join(stateDir, 'nodes', node);
      return {
        dir: d,
        metaConf: join(d, 'trunkline.conf'),
        confDir: join(d, 'net.d'),
        clusterConf: join(d, 'net.d', '10-k8s-pod-network.conflist'),
        hostLocal: join(d, 'host-local'),
        cniCache: join(d, 'multus'),
      };
    },
  };
}
export type StatePaths = ReturnType<typeof statePaths>;
