// Desired config + current state → the full target state and the set of interfaces it concerns.
// Fields the config does not mention keep their current values; mtu 0 / mac '' mean "not enforced".
import { HostConfigError } from './errors.js';
import { kindMatches, kindOf } from './state.js';
import type { DesiredIface, HostConfig, HostState, IfaceState } from './types.js';

export interface Target {
  state: HostState;
  /** Interfaces the apply may touch: the desired ones, their ports, and everything stacked on them. */
  scope: Set<string>;
}

export const cloneState = (s: HostState): HostState =>
  new Map([...s].map(([k, v]) => [k, structuredClone(v)]));

/** vlan/mac-vlan lower device, if any. */
export const baseOf = (s: IfaceState | undefined): string | undefined => s?.vlan?.base ?? s?.macvlan?.base;

/** Everything stacked on `names` (vlans, mac-vlans, bond ports), transitively, in `state`. */
function dependents(state: HostState, names: Iterable<string>): Set<string> {
  const out = new Set(names);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of state.values()) {
      if (out.has(s.name)) continue;
      const base = baseOf(s);
      if ((base !== undefined && out.has(base)) || (s.master !== undefined && out.has(s.master))) {
        out.add(s.name);
        grew = true;
      }
    }
  }
  return out;
}

export function resolveTarget(current: HostState, config: HostConfig): Target {
  const t = cloneState(current);
  const absent = new Set(config.interfaces.filter((d) => d.state === 'absent').map((d) => d.name));
  for (const d of config.interfaces) applyOne(t, current, d);
  // Whatever is stacked on something going away must be going away too (the kernel would delete it).
  for (const name of absent) {
    for (const s of current.values()) {
      if (baseOf(s) === name && !absent.has(s.name))
        throw new HostConfigError(
          name,
          'state',
          `absent, but ${s.name} (${s.kind}) uses it as its base; mark ${s.name} absent too`,
        );
    }
  }
  for (const d of config.interfaces) {
    const s = t.get(d.name);
    const base = baseOf(s);
    if (s === undefined || base === undefined || t.has(base)) continue;
    const field = d.type === 'mac-vlan' ? 'mac-vlan.base-iface' : 'vlan.base-iface';
    throw new HostConfigError(d.name, field, `base ${base} does not exist and is not created by this config`);
  }
  const named = new Set(config.interfaces.map((d) => d.name));
  for (const d of config.interfaces)
    for (const p of d.type === 'bond' ? (d.bond?.ports ?? []) : []) named.add(p);
  const scope = new Set([...dependents(current, named), ...dependents(t, named)]);
  // Stacked interfaces the config does not name are rebuilt as they are, but their MTU and MAC follow
  // their lower device (the kernel syncs them), so those are not enforced.
  for (const n of scope) {
    const s = t.get(n);
    if (s === undefined || named.has(n)) continue;
    s.mtu = 0;
    s.mac = '';
  }
  return { state: t, scope };
}

function applyOne(t: HostState, current: HostState, d: DesiredIface): void {
  const cur = current.get(d.name);
  if (cur !== undefined && !kindMatches(d.type, cur.kind))
    throw new HostConfigError(
      d.name,
      'type',
      `${d.type} requested, but the interface exists as a ${cur.kind} link`,
    );
  if (d.state === 'absent') {
    if (d.type === 'ethernet') {
      // A NIC cannot be removed; absent takes it down.
      const s = t.get(d.name);
      if (s !== undefined) s.up = false;
      return;
    }
    t.delete(d.name);
    for (const s of t.values()) if (s.master === d.name) delete s.master;
    return;
  }
  if (d.type === 'ethernet' && cur === undefined)
    throw new HostConfigError(
      d.name,
      'name',
      'no such device (type ethernet names an existing NIC; it is never created)',
    );
  const s: IfaceState = t.get(d.name) ?? {
    name: d.name,
    kind: kindOf(d.type),
    up: false,
    mtu: 0,
    mac: '',
    addrs: [],
  };
  s.up = d.state === 'up';
  s.mtu = d.mtu ?? 0;
  s.mac = d.macAddress ?? '';
  if (d.type === 'bond' && d.bond !== undefined) {
    s.bond = { mode: d.bond.mode, options: { ...d.bond.options } };
    if (d.bond.ports !== undefined) {
      for (const p of t.values())
        if (p.master === d.name && !d.bond.ports.includes(p.name)) releaseInTarget(p);
      for (const p of d.bond.ports) {
        const ps = t.get(p);
        if (ps === undefined)
          throw new HostConfigError(d.name, 'link-aggregation.port', `port ${p} does not exist`);
        ps.master = d.name;
        ps.mtu = 0; // the bond sets its ports' MTU
        ps.mac = '';
      }
    }
  }
  if (d.type === 'vlan' && d.vlan !== undefined)
    s.vlan = { base: d.vlan.baseIface, id: d.vlan.id, protocol: d.vlan.protocol };
  if (d.type === 'mac-vlan' && d.macvlan !== undefined)
    s.macvlan = { base: d.macvlan.baseIface, mode: d.macvlan.mode };
  t.set(d.name, s);
}

/** A port leaving its bond comes back with its own MTU/MAC (the kernel restores them). */
function releaseInTarget(p: IfaceState): void {
  delete p.master;
  p.mtu = 0;
  p.mac = '';
}
