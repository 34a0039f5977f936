// What the coordinator learns about the node (the namespace it runs in): its own addresses, the one
// pod traffic should be handed to, and the names Spiderpool gives to host-side links and tables.
import { invalidConfig } from '../../cni/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { addrOf, cidrHas } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { type CoordinatorConf, FIRST_POD_TABLE, MAIN_TABLE } from './types.js';

// Interfaces whose addresses are not "the node's" (Spiderpool's DefaultNodeInterfacesToExclude).
const EXCLUDED = [
  /^docker/,
  /^cbr/,
  /^dummy/,
  /^virbr/,
  /^lxcbr/,
  /^veth/,
  /^lo$/,
  /^cali/,
  /^flannel/,
  /^kube-ipvs/,
  /^cni/,
  /^vx-submariner$/,
  /^cilium/,
];

/** Host end of the underlay veth: "veth" + the first 11 characters of the container ID. */
export const hostVethName = (containerId: string): string => `veth${containerId.slice(0, 11)}`;

/**
 * MAIN for the pod's first NIC; net1 → 100, net2 → 101 … (Spiderpool's getRuleNumber). Runtimes that
 * attach one network per NIC without Multus (podman: eth0, eth1, …) number NICs like the first one:
 * eth1 → 100 as well.
 */
export function tableFor(ifname: string, conf: CoordinatorConf): number {
  if (ifname === conf.podDefaultCniNic) return MAIN_TABLE;
  const stem = conf.podDefaultCniNic.replace(/\d+$/, '');
  const prefix = ifname.startsWith(conf.multusNicPrefix) ? conf.multusNicPrefix : stem;
  const n = stem !== '' && ifname.startsWith(prefix) ? ifname.slice(prefix.length) : '';
  if (!/^[1-9]\d{0,5}$/.test(n)) {
    throw invalidConfig(
      `cannot choose a routing table for interface "${ifname}"`,
      `expected "${conf.podDefaultCniNic}", "${conf.multusNicPrefix}<N>" or "${conf.podDefaultCniNic.replace(/\d+$/, '')}<N>" (set multusNicPrefix)`,
    );
  }
  const table = FIRST_POD_TABLE + Number(n) - 1;
  if (table === conf.hostRuleTable) {
    throw invalidConfig(`interface "${ifname}" would use table ${table}, which is hostRuleTable`);
  }
  return table;
}

/** The node's global unicast addresses of the given families, without those of excluded links. */
export async function nodeAddresses(kernel: Kernel, families: ReadonlySet<4 | 6>): Promise<string[]> {
  const addrs = await kernel.listAddrs(null);
  const out: string[] = [];
  for (const a of addrs) {
    if (a.scope !== 'global' || a.dadFailed || !families.has(a.family)) continue;
    if (EXCLUDED.some((re) => re.test(a.ifname))) continue;
    const ip = addrOf(a.cidr);
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

/**
 * The node address pod traffic is handed to: one in the pod's own subnet when the node has it (it is
 * then also the address the node answers from), else the source of the node's default route.
 */
export async function nextHop(
  kernel: Kernel,
  podCidr: string,
  nodeIps: string[],
): Promise<string | undefined> {
  const fam = familyOf(podCidr);
  const same = nodeIps.find((ip) => cidrHas(podCidr, ip));
  if (same) return same;
  const candidates = nodeIps.filter((ip) => familyOf(ip) === fam);
  const def = (await kernel.listRoutes(null, { family: fam })).find(
    (r) => r.dst === (fam === 4 ? '0.0.0.0/0' : '::/0'),
  );
  if (def?.src && candidates.includes(def.src)) return def.src;
  if (def?.dev) {
    const onDev = (await kernel.listAddrs(null, def.dev)).map((a) => addrOf(a.cidr));
    const hit = candidates.find((ip) => onDev.includes(ip));
    if (hit) return hit;
  }
  return candidates[0];
}
