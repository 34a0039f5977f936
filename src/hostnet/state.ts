// Read the current interfaces through the Kernel interface into the comparable model, and print
// that model in the nmstate schema (`trunkline host show`).
import type { Kernel, Link, NetnsRef } from '../kernel/types.js';
import { fromKernelOptions } from './bond-options.js';
import type { HostState, IfaceState, IfaceType } from './types.js';

/** Link kinds a desired `type: ethernet` may name: NICs, and the veth/dummy devices labs use as NICs. */
export const ETHERNET_KINDS: readonly string[] = ['ether', 'veth', 'dummy'];

/** The kernel kind a desired type corresponds to (ethernet: any of ETHERNET_KINDS). */
export const kindOf = (t: IfaceType): string =>
  t === 'mac-vlan' ? 'macvlan' : t === 'ethernet' ? 'ether' : t;

export const kindMatches = (t: IfaceType, kind: string): boolean =>
  t === 'ethernet' ? ETHERNET_KINDS.includes(kind) : kindOf(t) === kind;

function toIfaceState(link: Link, addrs?: string[]): IfaceState {
  const s: IfaceState = {
    name: link.name,
    kind: link.kind,
    up: link.up,
    mtu: link.mtu,
    mac: link.mac.toLowerCase(),
    ...(link.master !== undefined ? { master: link.master } : {}),
    ...(addrs !== undefined ? { addrs } : {}),
  };
  if (link.kind === 'bond')
    s.bond = { mode: link.bondMode ?? 'balance-rr', options: fromKernelOptions(link.bondOptions) };
  if (link.kind === 'vlan')
    s.vlan = {
      base: link.parent ?? '',
      id: link.vlanId ?? 0,
      protocol: link.vlanProtocol === '802.1ad' ? '802.1ad' : '802.1q',
    };
  if (link.kind === 'macvlan') s.macvlan = { base: link.parent ?? '', mode: link.macvlanMode ?? 'bridge' };
  return s;
}

/** opts.addrs: false skips listing addresses (one process less; see IfaceState.addrs). */
export async function readState(
  kernel: Kernel,
  ns: NetnsRef,
  opts: { addrs?: boolean } = {},
): Promise<HostState> {
  const [links, addrs] = await Promise.all([
    kernel.listLinks(ns),
    opts.addrs === false ? undefined : kernel.listAddrs(ns),
  ]);
  const state: HostState = new Map();
  for (const l of links) {
    const mine = addrs
      ?.filter((a) => a.ifname === l.name && a.scope === 'global')
      .map((a) => a.cidr)
      .sort();
    state.set(l.name, toIfaceState(l, mine));
  }
  return state;
}

/** Ports of a bond, in name order. */
export const portsOf = (state: HostState, bond: string): string[] =>
  [...state.values()]
    .filter((s) => s.master === bond)
    .map((s) => s.name)
    .sort();

const SHOW_TYPE: Readonly<Record<string, string>> = {
  bond: 'bond',
  vlan: 'vlan',
  macvlan: 'mac-vlan',
  veth: 'veth',
  dummy: 'dummy',
  bridge: 'linux-bridge',
  loopback: 'loopback',
  ether: 'ethernet',
};

const asValue = (v: string): string | number => (/^\d+$/.test(v) ? Number(v) : v);

/** The nmstate-schema document for `host show`, interfaces in name order. */
export function toNmstate(state: HostState): { interfaces: Record<string, unknown>[] } {
  const interfaces = [...state.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const out: Record<string, unknown> = {
        name: s.name,
        type: SHOW_TYPE[s.kind] ?? s.kind,
        state: s.up ? 'up' : 'down',
        mtu: s.mtu,
        'mac-address': s.mac,
      };
      if (s.master !== undefined) out['controller'] = s.master;
      if (s.bond) {
        const options = Object.fromEntries(Object.entries(s.bond.options).map(([k, v]) => [k, asValue(v)]));
        out['link-aggregation'] = { mode: s.bond.mode, options, port: portsOf(state, s.name) };
      }
      if (s.vlan) out['vlan'] = { 'base-iface': s.vlan.base, id: s.vlan.id, protocol: s.vlan.protocol };
      if (s.macvlan)
        out['mac-vlan'] = { 'base-iface': s.macvlan.base, mode: s.macvlan.mode, promiscuous: true };
      return out;
    });
  return { interfaces };
}
