// Checks after apply: the desired state is a subset of the kernel's (verifyDesired), and after a
// rollback the kernel is back to the checkpoint (diffStates). Both return mismatches, [] = pass.
import { kindMatches, portsOf } from './state.js';
import type { HostConfig, HostState, IfaceState } from './types.js';

export function verifyDesired(config: HostConfig, state: HostState): string[] {
  const out: string[] = [];
  for (const d of config.interfaces) {
    const s = state.get(d.name);
    const bad = (field: string, want: unknown, got: unknown) =>
      out.push(
        `interface ${d.name}: ${field}: expected ${JSON.stringify(want)}, found ${JSON.stringify(got)}`,
      );
    if (d.state === 'absent') {
      if (d.type === 'ethernet') {
        if (s?.up) bad('state', 'down (absent)', 'up');
      } else if (s !== undefined) bad('state', 'absent', s.up ? 'up' : 'down');
      continue;
    }
    if (s === undefined) {
      bad('state', d.state, 'absent');
      continue;
    }
    if (!kindMatches(d.type, s.kind)) bad('type', d.type, s.kind);
    if (s.up !== (d.state === 'up')) bad('state', d.state, s.up ? 'up' : 'down');
    if (d.mtu !== undefined && s.mtu !== d.mtu) bad('mtu', d.mtu, s.mtu);
    if (d.macAddress !== undefined && s.mac !== d.macAddress) bad('mac-address', d.macAddress, s.mac);
    if (d.type === 'bond' && d.bond) {
      if (s.bond?.mode !== d.bond.mode) bad('link-aggregation.mode', d.bond.mode, s.bond?.mode);
      for (const [k, v] of Object.entries(d.bond.options))
        if (s.bond?.options[k] !== v) bad(`link-aggregation.options.${k}`, v, s.bond?.options[k]);
      const ports = portsOf(state, d.name);
      const want = [...(d.bond.ports ?? ports)].sort();
      if (want.join(',') !== ports.join(',')) bad('link-aggregation.port', want, ports);
    }
    if (d.type === 'vlan' && d.vlan) {
      if (s.vlan?.base !== d.vlan.baseIface) bad('vlan.base-iface', d.vlan.baseIface, s.vlan?.base);
      if (s.vlan?.id !== d.vlan.id) bad('vlan.id', d.vlan.id, s.vlan?.id);
      if (s.vlan?.protocol !== d.vlan.protocol) bad('vlan.protocol', d.vlan.protocol, s.vlan?.protocol);
    }
    if (d.type === 'mac-vlan' && d.macvlan) {
      if (s.macvlan?.base !== d.macvlan.baseIface)
        bad('mac-vlan.base-iface', d.macvlan.baseIface, s.macvlan?.base);
      if (s.macvlan?.mode !== d.macvlan.mode) bad('mac-vlan.mode', d.macvlan.mode, s.macvlan?.mode);
    }
  }
  return out;
}

/** The comparable fields of one interface; a port's MAC is the bond's business. */
function fingerprint(s: IfaceState): Record<string, unknown> {
  return {
    kind: s.kind,
    state: s.up ? 'up' : 'down',
    mtu: s.mtu,
    ...(s.master === undefined ? { mac: s.mac } : { controller: s.master }),
    ...(s.bond ? { mode: s.bond.mode, options: s.bond.options } : {}),
    ...(s.vlan ? { vlan: s.vlan } : {}),
    ...(s.macvlan ? { macvlan: s.macvlan } : {}),
    ...(s.addrs !== undefined ? { addrs: s.addrs } : {}),
  };
}

/** Differences between `want` and `got` over `names`, one line per interface and field. */
export function diffStates(want: HostState, got: HostState, names: Iterable<string>): string[] {
  const out: string[] = [];
  for (const n of [...names].sort()) {
    const a = want.get(n);
    const b = got.get(n);
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined) {
      out.push(`interface ${n}: expected ${a ? 'present' : 'absent'}, found ${b ? 'present' : 'absent'}`);
      continue;
    }
    const fa = fingerprint(a);
    const fb = fingerprint(b);
    for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      const va = JSON.stringify(fa[k]);
      const vb = JSON.stringify(fb[k]);
      if (va !== vb) out.push(`interface ${n}: ${k}: expected ${va}, found ${vb}`);
    }
  }
  return out;
}
