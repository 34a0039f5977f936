// current + target → ordered steps. Teardown first (ports released, then links deleted children
// first), then build-up in dependency order: bonds before their ports, base devices before the
// vlans/mac-vlans on them. A working copy of the state models what each step does to the kernel
// (enslaving needs the port down and brings it up; releasing takes it down), so later decisions
// see the effects of earlier steps. An empty plan means the host already matches.
import type { BondMode, LinkChange, NewLink } from '../kernel/types.js';
import { needsDown, optionModes, toKernelOptions } from './bond-options.js';
import { ETHERNET_KINDS } from './state.js';
import { baseOf, cloneState } from './target.js';
import type { HostState, IfaceState, Step } from './types.js';

/** Links whose identity (kind, lower device, VLAN id, mode) differs must be deleted and recreated. */
function sameIdentity(a: IfaceState, b: IfaceState): boolean {
  if (a.kind !== b.kind) return false;
  if (a.vlan || b.vlan)
    return (
      a.vlan?.base === b.vlan?.base && a.vlan?.id === b.vlan?.id && a.vlan?.protocol === b.vlan?.protocol
    );
  if (a.macvlan || b.macvlan)
    return a.macvlan?.base === b.macvlan?.base && a.macvlan?.mode === b.macvlan?.mode;
  return true;
}

/** Distance from the bottom of the stack: a port sits above its bond, a vlan above its base. */
function depthIn(state: HostState): (name: string) => number {
  const memo = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const s = state.get(name);
    const below = baseOf(s) ?? s?.master;
    const d = below === undefined || seen.has(below) ? 0 : 1 + depth(below, new Set([...seen, name]));
    memo.set(name, d);
    return d;
  };
  return (name) => depth(name, new Set());
}

function newLinkSpec(t: IfaceState): NewLink | undefined {
  const mtu = t.mtu > 0 ? { mtu: t.mtu } : {};
  if (t.bond)
    return {
      kind: 'bond',
      name: t.name,
      mode: t.bond.mode,
      options: toKernelOptions(t.bond.options),
      ...mtu,
    };
  if (t.vlan)
    return {
      kind: 'vlan',
      name: t.name,
      master: t.vlan.base,
      id: t.vlan.id,
      protocol: t.vlan.protocol === '802.1ad' ? '802.1ad' : '802.1Q',
      ...mtu,
    };
  if (t.macvlan)
    return {
      kind: 'macvlan',
      name: t.name,
      master: t.macvlan.base,
      mode: t.macvlan.mode,
      ...mtu,
      ...(t.mac ? { mac: t.mac } : {}),
    };
  return undefined; // ethernet devices are never created
}

const describe = (t: IfaceState): string =>
  t.bond
    ? `bond ${t.name} (${t.bond.mode})`
    : t.vlan
      ? `vlan ${t.name} (${t.vlan.base} id ${t.vlan.id})`
      : t.macvlan
        ? `mac-vlan ${t.name} (${t.macvlan.base} ${t.macvlan.mode})`
        : `${t.kind} ${t.name}`;

export function plan(current: HostState, target: HostState, scope: Set<string>): Step[] {
  const w = cloneState(current);
  const steps: Step[] = [];
  const set = (name: string, change: LinkChange, what: string) =>
    steps.push({ op: 'set', name, change, what });
  const modeChanges = (n: string) => {
    const c = w.get(n)?.bond;
    const t = target.get(n)?.bond;
    return c !== undefined && t !== undefined && c.mode !== t.mode;
  };

  // Teardown: what must go, plus everything stacked on it (deleting a link deletes its vlans).
  const doomed = new Set<string>();
  for (const n of scope) {
    const c = w.get(n);
    const t = target.get(n);
    // NICs are never deleted.
    if (c !== undefined && (t === undefined || !sameIdentity(c, t)) && !ETHERNET_KINDS.includes(c.kind))
      doomed.add(n);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of w.values()) {
      const base = baseOf(s);
      if (!doomed.has(s.name) && base !== undefined && doomed.has(base)) {
        doomed.add(s.name);
        grew = true;
      }
    }
  }
  for (const n of [...scope].sort()) {
    const c = w.get(n);
    if (c?.master === undefined) continue;
    const m = c.master;
    if (target.get(n)?.master !== m || doomed.has(m) || modeChanges(m)) {
      set(n, { master: null }, `release ${n} from ${m}`);
      released(c);
    }
  }
  const wDepth = depthIn(w);
  for (const n of [...doomed].sort((a, b) => wDepth(b) - wDepth(a) || a.localeCompare(b))) {
    steps.push({ op: 'delete', name: n, what: `delete ${describe(w.get(n) as IfaceState)}` });
    w.delete(n);
    for (const s of w.values()) if (s.master === n) released(s);
  }

  // Build-up, bottom of the stack first.
  const tDepth = depthIn(target);
  const order = [...scope]
    .filter((n) => target.has(n))
    .sort((a, b) => tDepth(a) - tDepth(b) || a.localeCompare(b));
  for (const n of order) {
    const t = target.get(n) as IfaceState;
    let c = w.get(n);
    if (c === undefined) {
      const spec = newLinkSpec(t);
      if (spec === undefined) continue; // a NIC that vanished; verification reports it
      steps.push({ op: 'create', name: n, spec, what: `create ${describe(t)}` });
      c = { ...structuredClone(t), up: false, mac: spec.kind === 'macvlan' ? t.mac : '', addrs: [] };
      delete c.master;
      w.set(n, c);
    }
    if (c.bond && t.bond) bondSteps(n, c as IfaceState & Bonded, t.bond, set);
    if (t.master !== undefined && c.master !== t.master) {
      if (c.up) set(n, { up: false }, `take ${n} down to enslave it`);
      set(n, { master: t.master }, `enslave ${n} to ${t.master}`);
      c.master = t.master;
      c.up = true; // the bond opens its ports
      c.mtu = w.get(t.master)?.mtu ?? c.mtu;
    }
    // A port's MTU and MAC belong to its bond.
    if (t.master === undefined && t.mtu > 0 && c.mtu !== t.mtu) {
      set(n, { mtu: t.mtu }, `set ${n} mtu ${t.mtu}`);
      c.mtu = t.mtu;
    }
    if (t.master === undefined && t.mac !== '' && c.mac !== t.mac) {
      set(n, { mac: t.mac }, `set ${n} mac ${t.mac}`);
      c.mac = t.mac;
    }
    const have = c.addrs;
    for (const cidr of have !== undefined ? (t.addrs ?? []) : []) {
      if (have?.includes(cidr)) continue;
      steps.push({ op: 'addAddr', name: n, cidr, what: `add address ${cidr} to ${n}` });
      have?.push(cidr);
    }
    if (c.up !== t.up) {
      set(n, { up: t.up }, `set ${n} ${t.up ? 'up' : 'down'}`);
      c.up = t.up;
    }
  }
  return steps;
}

type Bonded = { bond: NonNullable<IfaceState['bond']> };
const allowed = (opt: string, mode: BondMode) => optionModes(opt)?.includes(mode) ?? true;

/**
 * Mode and option changes of an existing bond (its ports are already released when the mode
 * changes). Options the new mode does not accept are set before the mode change, while the old
 * mode still accepts them — a rollback from 802.3ad restores lacp_rate before going back to
 * active-backup. Options neither mode accepts are left for verification to report.
 */
function bondSteps(
  n: string,
  c: IfaceState & Bonded,
  t: Bonded['bond'],
  set: (name: string, change: LinkChange, what: string) => void,
): void {
  const modeDiff = c.bond.mode !== t.mode;
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.options)) {
    if (c.bond.options[k] === v) continue;
    if (allowed(k, t.mode)) after[k] = v;
    else if (modeDiff && allowed(k, c.bond.mode)) before[k] = v;
  }
  const changed = [...Object.keys(before), ...Object.keys(after)];
  if (!modeDiff && changed.length === 0) return;
  if (c.up && (modeDiff || changed.some(needsDown))) {
    set(n, { up: false }, `take ${n} down to change its mode/options`);
    c.up = false;
  }
  const words = (o: Record<string, string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(' ');
  if (Object.keys(before).length > 0) {
    const opts = toKernelOptions(before);
    set(n, { bondOptions: opts }, `set bond ${n} ${words(opts)} (before the mode change)`);
  }
  const opts = { ...(modeDiff ? { mode: t.mode } : {}), ...toKernelOptions(after) };
  if (Object.keys(opts).length > 0) set(n, { bondOptions: opts }, `set bond ${n} ${words(opts)}`);
  c.bond = { mode: t.mode, options: { ...c.bond.options, ...before, ...after } };
}

/** What the kernel does to a released port: closes it and restores its own MTU and MAC. */
function released(s: IfaceState): void {
  delete s.master;
  s.up = false;
  s.mtu = 0;
  s.mac = '';
}
