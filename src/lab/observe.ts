// What the built lab looks like from the kernel, the IPAM store and the pods' network-status: pod
// interfaces/addresses/routes, node links, pool utilization, and whether each pod's addresses came
// from the pool its annotations name.

import { LocalSource } from '../cluster/local/source.js';
import type { SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { parseCidr, parseIp } from '../ipam/ranges.js';
import { poolUsage } from '../ipam/status.js';
import { netnsPath } from '../kernel/namespaces.js';
import type { Kernel } from '../kernel/types.js';
import { NETWORK_STATUS_ANNOTATION } from '../multus/annotations.js';
import { createStore } from '../store/index.js';
import type { Allocation } from '../store/types.js';
import type { StatePaths } from './names.js';
import { keyOf, podAttachments, readNad, vlanOfMaster } from './scenario/model.js';
import { expandPools, poolNamesFor } from './scenario/pool-names.js';
import type { LabPod, NodeReport, PodIface, PodReport, PoolReport, Scenario } from './types.js';

export async function readAllocations(paths: StatePaths): Promise<Allocation[]> {
  const store = createStore({ path: paths.ipamDb });
  try {
    await store.open();
    return await store.list();
  } catch {
    return []; // no store yet (nothing allocated) or unreadable: utilization shows zero
  } finally {
    await store.close().catch(() => {});
  }
}

const manifestOf = (s: Scenario, pod: LabPod) =>
  s.manifests.find((m) => m.kind === 'Pod' && keyOf(m) === `${pod.namespace}/${pod.name}`)!;

function vlanOfNetwork(s: Scenario, network: string | undefined): number | undefined {
  const m = s.manifests.find((x) => x.kind === 'NetworkAttachmentDefinition' && keyOf(x) === network);
  const nad = m ? readNad(m) : undefined;
  return typeof nad === 'object' && nad.master !== undefined ? vlanOfMaster(s, nad.master) : undefined;
}

export async function observePod(
  k: Kernel,
  s: Scenario,
  paths: StatePaths,
  pod: LabPod,
  allocations: Allocation[],
): Promise<PodReport> {
  const ns = netnsPath(pod.netns);
  const source = new LocalSource({ manifestDir: paths.manifests, stateDir: paths.source });
  const info = await source.getPod(pod.namespace, pod.name).catch(() => undefined);
  let status: { name?: string; interface?: string }[] = [];
  try {
    status = JSON.parse(info?.metadata.annotations?.[NETWORK_STATUS_ANNOTATION] ?? '[]');
  } catch {
    status = [];
  }
  const mine = allocations.filter((a) => a.containerId === pod.containerId);
  const links = (await k.listLinks(ns)).filter((l) => l.kind !== 'loopback' && l.name !== 'lo');
  const addrs = await k.listAddrs(ns);
  const ifaces: PodIface[] = links.map((l) => {
    const network = status.find((e) => e.interface === l.name)?.name;
    const vlan = l.kind === 'macvlan' ? vlanOfNetwork(s, network) : undefined;
    const held = mine.filter((a) => a.ifname === l.name);
    return {
      name: l.name,
      kind: l.kind,
      mac: l.mac,
      addrs: addrs.filter((a) => a.ifname === l.name && a.scope === 'global').map((a) => a.cidr),
      ...(vlan !== undefined ? { vlan } : {}),
      ...(network !== undefined ? { network } : {}),
      ...(held.length > 0 ? { pools: Object.fromEntries(held.map((a) => [a.pool, a.ip])) } : {}),
    };
  });
  const routes = (await k.listRoutes(ns, { family: 4, table: 'all' }))
    .filter((r) => r.type === undefined || r.type === 'unicast')
    .map(
      (r) =>
        `${r.dst}${r.gw ? ` via ${r.gw}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table !== undefined ? ` table ${r.table}` : ''}`,
    );
  const first =
    ifaces.find((i) => i.kind === 'macvlan' && i.addrs.length > 0) ?? ifaces.find((i) => i.addrs.length > 0);
  return {
    namespace: pod.namespace,
    name: pod.name,
    node: pod.node,
    netns: pod.netns,
    ifaces,
    routes,
    networkStatus: status,
    ...(first ? { target: { iface: first.name, ip: first.addrs[0]!.split('/')[0]! } } : {}),
    allocations: mine.map((a) => ({ pool: a.pool, ip: a.ip, ifname: a.ifname })),
  };
}

export async function observeNode(k: Kernel, name: string, netns: string): Promise<NodeReport> {
  const ns = netnsPath(netns);
  const links = await k.listLinks(ns);
  const addrs = await k.listAddrs(ns);
  return {
    name,
    netns,
    links: links
      .filter((l) => l.name !== 'lo')
      .map((l) => ({
        name: l.name,
        kind: l.kind,
        ...(l.master !== undefined ? { master: l.master } : {}),
        ...(l.parent !== undefined ? { parent: l.parent } : {}),
        ...(l.vlanId !== undefined ? { vlanId: l.vlanId } : {}),
        addrs: addrs.filter((a) => a.ifname === l.name && a.scope === 'global').map((a) => a.cidr),
        up: l.up,
      })),
  };
}

const within = (cidr: string, outer: string | undefined) => {
  if (outer === undefined) return false;
  const a = parseCidr(cidr);
  const b = parseCidr(outer);
  return a.network >= b.network && a.broadcast <= b.broadcast;
};

export function poolReports(s: Scenario, allocations: Allocation[], pods: LabPod[]): PoolReport[] {
  const reserved = s.manifests
    .filter((m) => m.kind === 'SpiderReservedIP')
    .map((m) => ({ metadata: { name: m.metadata.name }, spec: m.spec as SpiderReservedIP['spec'] }));
  return s.manifests
    .filter((m) => m.kind === 'SpiderIPPool')
    .map((m) => {
      const pool: SpiderIPPool = {
        metadata: { name: m.metadata.name },
        spec: m.spec as SpiderIPPool['spec'],
      };
      const u = poolUsage(pool, reserved, allocations);
      const vlan = s.vlans.find((v) => within(pool.spec.subnet, v.subnet))?.id;
      const podOf = (cid: string) => pods.find((p) => p.containerId === cid);
      return {
        name: u.name,
        subnet: u.subnet,
        ...(vlan !== undefined ? { vlan } : {}),
        usable: Number(u.usable),
        allocated: u.allocated,
        holders: u.holders.map((h) => {
          const p = podOf(h.containerId);
          return {
            ip: h.ip,
            pod: p
              ? `${p.namespace}/${p.name}`
              : `${h.podNamespace ?? '?'}/${h.podName ?? h.containerId.slice(0, 12)}`,
            ifname: h.ifname,
          };
        }),
      };
    });
}

/** Every trunkline-ipam NIC's address must be in the store, in a pool its annotations name, on the NIC. */
export function poolViolations(s: Scenario, reports: PodReport[], pods: LabPod[]): string[] {
  const out: string[] = [];
  const poolNames = s.manifests.filter((m) => m.kind === 'SpiderIPPool').map((m) => m.metadata.name);
  const namespaces = new Map(
    s.manifests.filter((m) => m.kind === 'Namespace').map((m) => [m.metadata.name, m]),
  );
  for (const pod of pods) {
    const m = manifestOf(s, pod);
    const r = reports.find((x) => x.namespace === pod.namespace && x.name === pod.name);
    if (r === undefined) continue;
    for (const a of podAttachments(m)) {
      const nadM = s.manifests.find((x) => x.kind === 'NetworkAttachmentDefinition' && keyOf(x) === a.nad);
      const nad = nadM ? readNad(nadM) : undefined;
      if (typeof nad !== 'object' || nad.ipam?.['type'] !== 'trunkline-ipam') continue;
      const id = `${pod.namespace}/${pod.name} ${a.ifname}`;
      const names = poolNamesFor(m, a, nad, namespaces.get(pod.namespace), () => {});
      const allowed = names ? expandPools(names.list, poolNames) : poolNames;
      const held = r.allocations.filter((x) => x.ifname === a.ifname);
      if (held.length === 0) {
        out.push(`${id}: no allocation in the IPAM store`);
        continue;
      }
      const onNic = r.ifaces.find((i) => i.name === a.ifname)?.addrs.map((c) => c.split('/')[0]) ?? [];
      for (const h of held) {
        if (!allowed.includes(h.pool))
          out.push(`${id}: ${h.ip} comes from pool ${h.pool}, the annotation names ${allowed.join(', ')}`);
        const poolM = s.manifests.find((x) => x.kind === 'SpiderIPPool' && x.metadata.name === h.pool);
        const subnet = poolM?.spec?.['subnet'];
        const ip = parseIp(h.ip);
        if (typeof subnet === 'string' && ip !== undefined) {
          const c = parseCidr(subnet);
          if (ip.value < c.network || ip.value > c.broadcast)
            out.push(`${id}: ${h.ip} is outside pool ${h.pool}'s subnet ${subnet}`);
        }
        if (!onNic.includes(h.ip))
          out.push(
            `${id}: ${h.ip} is allocated but not on the interface (it has ${onNic.join(', ') || 'none'})`,
          );
      }
    }
  }
  return out;
}
