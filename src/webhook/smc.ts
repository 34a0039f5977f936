// SpiderMultusConfig with Spiderpool's webhook rules (defaults: smc-defaults.ts): the section of spec.cniType is present and no
// other type's is; masters are usable interface names, several only with a bond; vlanID in 0–4094;
// SR-IOV needs a resourceName; a custom CNI config is JSON; every pool named in ippools exists with
// the family it is listed under.
import type { SpiderIPPool } from '../cluster/types.js';
import { interfaceNameProblem } from '../multus/names.js';
import type { KindHandler } from './review.js';
import { smcDefaults } from './smc-defaults.js';

type Rec = Record<string, unknown>;
const TYPES = ['macvlan', 'ipvlan', 'vlan', 'sriov', 'ovs', 'ib-sriov', 'ipoib', 'custom'];
const SECTION: Record<string, string> = {
  macvlan: 'macvlan',
  ipvlan: 'ipvlan',
  vlan: 'vlan',
  sriov: 'sriov',
  ovs: 'ovs',
  'ib-sriov': 'ibsriov',
  ipoib: 'ipoib',
};
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

function masterProblems(f: string, s: Rec): string[] {
  const out: string[] = [];
  const master = s.master;
  if (!Array.isArray(master) || master.length === 0)
    return [`${f}.master: found ${JSON.stringify(master)}, expected a non-empty list of interface names`];
  for (const [i, m] of master.entries()) {
    const why = typeof m === 'string' ? interfaceNameProblem(m) : 'is not a string';
    if (why) out.push(`${f}.master[${i}]: ${JSON.stringify(m)} ${why}`);
  }
  if (master.length > 1 && !(isRec(s.bond) && typeof s.bond.name === 'string' && s.bond.name !== ''))
    out.push(`${f}.bond: required when ${f}.master lists ${master.length} interfaces, expected {name, mode}`);
  const vlan = s.vlanID;
  if (vlan !== undefined && !(Number.isInteger(vlan) && (vlan as number) >= 0 && (vlan as number) <= 4094))
    out.push(`${f}.vlanID: ${JSON.stringify(vlan)} is out of range, expected an integer in 0-4094`);
  return out;
}

export const smc: KindHandler = {
  async validate(req, ctx) {
    if (req.operation === 'DELETE') return [];
    const spec = ((req.object as { spec?: unknown }).spec ?? {}) as Rec;
    const t = spec.cniType;
    if (typeof t !== 'string' || !TYPES.includes(t))
      return [`spec.cniType: found ${JSON.stringify(t)}, expected one of ${TYPES.join(', ')}`];
    const out: string[] = [];
    for (const [type, key] of Object.entries(SECTION))
      if (type !== t && spec[key] !== undefined) out.push(`spec.${key}: set, but spec.cniType is ${t}`);
    const key = SECTION[t];
    const s = key ? spec[key] : undefined;
    if (['macvlan', 'ipvlan', 'vlan'].includes(t)) {
      if (!isRec(s)) return [...out, `spec.${key}: required for cniType ${t}, expected {master: [...]}`];
      out.push(...masterProblems(`spec.${key}`, s));
    }
    if (
      (t === 'sriov' || t === 'ib-sriov') &&
      !(isRec(s) && typeof s.resourceName === 'string' && s.resourceName)
    )
      out.push(`spec.${key}.resourceName: required for cniType ${t}`);
    if (t === 'custom') {
      try {
        JSON.parse(String(spec.customCNI ?? ''));
      } catch {
        out.push(`spec.customCNI: ${JSON.stringify(spec.customCNI)} is not JSON, expected a CNI config`);
      }
    }
    const ippools = isRec(s) && isRec(s.ippools) ? s.ippools : undefined;
    if (ippools) {
      const pools = new Map((await ctx.source.listIPPools()).map((p: SpiderIPPool) => [p.metadata.name, p]));
      for (const fam of ['ipv4', 'ipv6'] as const) {
        for (const [i, n] of ((ippools[fam] ?? []) as unknown[]).entries()) {
          const p = pools.get(String(n));
          const f = `spec.${key}.ippools.${fam}[${i}]`;
          if (!p) out.push(`${f}: pool ${JSON.stringify(n)} not found, expected an existing SpiderIPPool`);
          else if ((p.spec.ipVersion ?? (p.spec.subnet.includes(':') ? 6 : 4)) !== (fam === 'ipv4' ? 4 : 6))
            out.push(`${f}: pool "${n}" is not IPv${fam === 'ipv4' ? 4 : 6}`);
        }
      }
    }
    return out;
  },
  async mutate(req) {
    const spec = (req.object as { spec?: unknown } | null | undefined)?.spec;
    return typeof spec === 'object' && spec !== null && !Array.isArray(spec)
      ? smcDefaults(spec as Record<string, unknown>)
      : [];
  },
};
