// On-demand parent interfaces, as Spiderpool's ifacer: a bond over the listed masters and/or a VLAN
// sub-interface, created by the first ADD that needs them (under a host lock, so racing ADDs create
// them once) and never deleted by DEL: other pods, and the host, may use them.

import { validateIfname } from '../../cni/env.js';
import { CniError, Code, causedBy, invalidConfig } from '../../cni/errors.js';
import { BOND_MODES, bondModeOf } from '../../hostnet/bond-options.js';
import { Exists } from '../../kernel/errors.js';
import type { BondMode, Kernel } from '../../kernel/types.js';
import { withHostLock } from '../common/lock.js';

export interface IfacerSpec {
  /** The physical interfaces (config `master` as a list, or the single master). */
  ports: string[];
  bond?: { name: string; mode: BondMode; options: Record<string, string> };
  vlanId?: number;
  /** The interface the macvlan hangs off: the VLAN, else the bond, else the single port. */
  parent: string;
}

function bondMode(v: unknown): BondMode {
  const mode = bondModeOf(v);
  if (mode === undefined) {
    throw invalidConfig(
      `"bond.mode": expected 0-6 or one of ${BOND_MODES.join(', ')}, found ${JSON.stringify(v)}`,
    );
  }
  return mode;
}

/** Spiderpool writes options as "k=v;k2=v2"; an object is accepted too. */
function bondOptions(v: unknown): Record<string, string> {
  if (v === undefined || v === '') return {};
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  }
  if (typeof v !== 'string') throw invalidConfig(`"bond.options" must be "k=v;k2=v2" or an object`);
  const out: Record<string, string> = {};
  for (const kv of v.split(';').filter((s) => s.trim() !== '')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw invalidConfig(`"bond.options": "${kv}" is not key=value`);
    out[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  return out;
}

function ifname(name: unknown, field: string): string {
  const bad = typeof name === 'string' ? validateIfname(name) : 'not a string';
  if (bad) throw invalidConfig(`"${field}": ${bad}`);
  return name as string;
}

/** undefined when the config asks for nothing on demand (a plain string master, no vlanID, no bond). */
export function parseIfacer(raw: Record<string, unknown>): IfacerSpec | undefined {
  const master = raw['master'];
  const vlan = raw['vlanID'] ?? 0;
  const bondRaw = raw['bond'];
  if (!Array.isArray(master) && (vlan === 0 || vlan === undefined) && bondRaw === undefined) return undefined;
  if (typeof vlan !== 'number' || !Number.isInteger(vlan) || vlan < 0 || vlan > 4094) {
    throw invalidConfig(`"vlanID" must be an integer in [0, 4094], found ${JSON.stringify(vlan)}`);
  }
  const ports = (Array.isArray(master) ? master : master === undefined ? [] : [master]).map((m, i) =>
    ifname(m, `master[${i}]`),
  );
  if (ports.length === 0) throw invalidConfig('"master" is required with "vlanID" or "bond"');
  let bond: IfacerSpec['bond'];
  if (bondRaw !== undefined) {
    if (typeof bondRaw !== 'object' || bondRaw === null)
      throw invalidConfig('"bond" must be an object {name, mode, options}');
    const b = bondRaw as Record<string, unknown>;
    bond = {
      name: ifname(b['name'], 'bond.name'),
      mode: bondMode(b['mode'] ?? 'active-backup'),
      options: bondOptions(b['options']),
    };
  } else if (ports.length > 1) {
    throw invalidConfig(`"master" lists ${ports.length} interfaces; give "bond" {name, mode} to bond them`);
  }
  const base = bond?.name ?? ports[0]!;
  const parent = vlan > 0 ? `${base}.${vlan}` : base;
  if (vlan > 0) ifname(parent, `VLAN interface ${parent} (from master and vlanID)`);
  return { ports, ...(bond ? { bond } : {}), ...(vlan > 0 ? { vlanId: vlan } : {}), parent };
}

async function ensureBond(
  kernel: Kernel,
  spec: NonNullable<IfacerSpec['bond']>,
  ports: string[],
): Promise<void> {
  const have = await kernel.findLink(null, spec.name);
  if (have && have.kind !== 'bond')
    throw invalidConfig(`"bond.name": ${spec.name} exists and is a ${have.kind}, not a bond`);
  if (!have)
    await kernel.createLink(null, { kind: 'bond', name: spec.name, mode: spec.mode, options: spec.options });
  for (const port of ports) {
    const link = await kernel.findLink(null, port);
    if (!link) throw invalidConfig(`bond port ${port} does not exist`);
    if (link.master === spec.name) continue;
    if (link.master) throw invalidConfig(`bond port ${port} is already enslaved to ${link.master}`);
    // The kernel only enslaves a port that is down.
    await kernel.setLink(null, port, { up: false });
    await kernel.setLink(null, port, { master: spec.name });
    await kernel.setLink(null, port, { up: true });
  }
  await kernel.setLink(null, spec.name, { up: true });
}

export async function ensureParent(kernel: Kernel, spec: IfacerSpec): Promise<void> {
  const existing = await kernel.findLink(null, spec.parent);
  if (existing) {
    if (spec.vlanId !== undefined && (existing.kind !== 'vlan' || existing.vlanId !== spec.vlanId)) {
      throw invalidConfig(
        `${spec.parent} exists but is not VLAN ${spec.vlanId}`,
        `found a ${existing.kind} link`,
      );
    }
    return;
  }
  await withHostLock(`ifacer-${spec.parent}`, async () => {
    if (await kernel.findLink(null, spec.parent)) return;
    try {
      if (spec.bond) await ensureBond(kernel, spec.bond, spec.ports);
      if (spec.vlanId !== undefined) {
        const base = spec.bond?.name ?? spec.ports[0]!;
        if (!(await kernel.findLink(null, base)))
          throw invalidConfig(`VLAN base interface ${base} does not exist`);
        await kernel.createLink(null, { kind: 'vlan', name: spec.parent, master: base, id: spec.vlanId });
        await kernel.setLink(null, base, { up: true });
        await kernel.setLink(null, spec.parent, { up: true });
      }
    } catch (e) {
      if (e instanceof Exists || e instanceof CniError) throw e;
      throw causedBy(Code.Internal, `failed to create ${spec.parent} on demand`, e);
    }
  });
}
