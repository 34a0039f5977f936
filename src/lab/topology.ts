// The wires: a switch namespace (vlan variant: one vlan_filtering bridge, trunk ports, VLAN
// interfaces carrying the gateways; flat: one bridge per VLAN holding its gateway), node namespaces
// cabled to it (vlan: NICs + host config → bond0 + bond0.<id>; flat: a veth per VLAN interface), the
// nodes' own addresses and routes.
import { errorText } from '../cni/errors.js';
import { applyHostConfig } from '../hostnet/apply.js';
import { KernelError } from '../kernel/errors.js';
import { createNamedNetns, deleteNamedNetns, netnsPath } from '../kernel/namespaces.js';
import type { Kernel } from '../kernel/types.js';
import { bridgeVlanAdd } from './bridge.js';
import { nodeNs, nodePodSubnet, type SwitchPort, switchNs } from './names.js';
import type { Progress } from './progress.js';
import type { Recorder } from './record.js';
import type { NodeSpec, Scenario, Variant } from './types.js';

interface KernelSupport {
  vlan: boolean;
  bond: boolean;
  detail: string;
}

/** Tries an 802.1q and a bond link in a throwaway namespace. */
export async function probeKernel(k: Kernel, prefix: string): Promise<KernelSupport> {
  const name = `${prefix}probe`;
  await deleteNamedNetns(name);
  const ns = await createNamedNetns(name);
  const missing: string[] = [];
  const tryLink = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
      return true;
    } catch (e) {
      if (
        e instanceof KernelError &&
        /Unknown device type|not supported|Operation not supported/i.test(e.stderr ?? e.message)
      ) {
        missing.push(what);
        return false;
      }
      throw e;
    }
  };
  try {
    await k.createLink(ns, { kind: 'veth', name: 'p0', peer: 'p1' });
    const vlan = await tryLink('802.1q', () =>
      k.createLink(ns, { kind: 'vlan', name: 'p0.100', master: 'p0', id: 100 }),
    );
    const bond = await tryLink('bonding', () =>
      k.createLink(ns, { kind: 'bond', name: 'probebond', mode: 'active-backup' }),
    );
    return {
      vlan,
      bond,
      detail: missing.length
        ? `no ${missing.join(', ')} ("Unknown device type")`
        : '802.1q and bonding available',
    };
  } finally {
    await deleteNamedNetns(name);
  }
}

async function makeNs(rec: Recorder, name: string): Promise<string> {
  rec.namespace(name);
  return createNamedNetns(name);
}

export async function buildSwitch(
  k: Kernel,
  p: Progress,
  rec: Recorder,
  s: Scenario,
  variant: Variant,
  prefix: string,
): Promise<string> {
  const sw = await p.step(`switch: namespace ${switchNs(prefix)}`, () => makeNs(rec, switchNs(prefix)));
  await k.sysctlSet(sw, 'net.ipv4.ip_forward', s.routing ? '1' : '0');
  if (variant === 'vlan') {
    await p.step('switch: bridge br0 (vlan_filtering) with VLAN interfaces for the gateways', async () => {
      await k.createLink(sw, { kind: 'bridge', name: 'br0', vlanFiltering: true });
      await k.setLink(sw, 'br0', { up: true });
      for (const v of s.vlans) {
        await bridgeVlanAdd(sw, 'br0', v.id, { self: true });
        if (v.gateway === undefined) continue;
        await k.createLink(sw, { kind: 'vlan', name: `vlan${v.id}`, master: 'br0', id: v.id });
        await k.batch(sw, [
          { op: 'addAddr', ifname: `vlan${v.id}`, cidr: v.gateway },
          { op: 'setLink', name: `vlan${v.id}`, change: { up: true } },
        ]);
      }
    });
  } else {
    await p.step(
      `switch: one bridge per VLAN (${s.vlans.map((v) => `br${v.id}`).join(', ')}) holding the gateways`,
      async () => {
        for (const v of s.vlans) {
          await k.createLink(sw, { kind: 'bridge', name: `br${v.id}` });
          await k.setLink(sw, `br${v.id}`, { up: true });
          if (v.gateway !== undefined) await k.addAddr(sw, `br${v.id}`, v.gateway);
        }
      },
    );
  }
  return sw;
}

/** A node namespace, its cables to the switch, its host config (vlan), addresses and routes. */
export async function buildNode(
  k: Kernel,
  p: Progress,
  rec: Recorder,
  node: NodeSpec,
  ports: SwitchPort[],
  variant: Variant,
  prefix: string,
): Promise<string> {
  const sw = netnsPath(switchNs(prefix));
  const ns = await p.step(`${node.name}: namespace ${nodeNs(prefix, node.name)}`, () =>
    makeNs(rec, nodeNs(prefix, node.name)),
  );
  await k.sysctlSet(ns, 'net.ipv4.ip_forward', '1');
  const mine = ports.filter((x) => x.node === node.name);
  const what =
    variant === 'vlan'
      ? `${mine.map((x) => x.nic).join(', ')} cabled to trunk ports ${mine.map((x) => x.name).join(', ')} (VLANs ${node.trunk.join(', ')})`
      : mine.map((x) => `${x.nic} ↔ ${x.name} on br${x.vlans[0]}`).join(', ');
  await p.step(`${node.name}: ${what}`, async () => {
    for (const port of mine) {
      await k.createLink(ns, { kind: 'veth', name: port.nic, peer: port.name, peerNetns: sw });
      await k.setLink(sw, port.name, { master: variant === 'vlan' ? 'br0' : `br${port.vlans[0]}`, up: true });
      if (variant === 'vlan') for (const id of port.vlans) await bridgeVlanAdd(sw, port.name, id);
      await k.setLink(ns, port.nic, { up: true });
    }
  });
  if (variant === 'vlan' && node.host !== undefined) {
    const names = node.host.interfaces.map((i) => i.name).join(', ');
    await p.step(
      `${node.name}: host config (${names})`,
      () => applyHostConfig(k, node.host!, { ns }),
      (e) =>
        /Unknown device type/.test(errorText(e))
          ? 'this kernel has no 802.1q/bonding: run without --host-kernel to use the VM runner, or use --flat'
          : undefined,
    );
  }
  if (node.addresses.length > 0 || node.gateway !== undefined) {
    const desc = [
      ...node.addresses.map((a) => `${a.cidr} on ${a.interface}`),
      ...(node.gateway ? [`default via ${node.gateway}`] : []),
    ];
    await p.step(`${node.name}: ${desc.join(', ')}`, async () => {
      for (const a of node.addresses) await k.addAddr(ns, a.interface, a.cidr, { noDad: true });
      if (node.gateway !== undefined) await k.addRoute(ns, { family: 4, dst: '0.0.0.0/0', gw: node.gateway });
    });
  }
  return ns;
}

/** Overlay slices of the other nodes, routed via their first address (Calico-style, no tunnel). */
export async function routeOverlay(k: Kernel, p: Progress, s: Scenario, prefix: string): Promise<void> {
  const first = (n: NodeSpec) => n.addresses[0]?.cidr.split('/')[0];
  await p.step("nodes: route each other's overlay /24 (simulated cluster network)", async () => {
    for (const n of s.nodes) {
      const ns = netnsPath(nodeNs(prefix, n.name));
      for (const [j, other] of s.nodes.entries()) {
        const via = first(other);
        if (other === n || via === undefined || first(n) === undefined) continue;
        await k.addRoute(ns, { family: 4, dst: nodePodSubnet(s.podCidr, j).subnet, gw: via });
      }
    }
  });
}
