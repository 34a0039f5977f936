// The `kind: Lab` document: switch VLANs and gateways, nodes (NICs, addresses, host config), the
// simulated cluster network, expectations. Problems are collected (not thrown) so one run lists them all.
import { formatCidr, parseCidr } from '../../ipam/ranges.js';
import { issueAt, type ScenarioIssue } from '../errors.js';
import type { Origin, Scenario, Variant, VlanSpec } from '../types.js';
import { type Bad, cidrField, isRec, type Path, type Rec } from './fields.js';
import { parseExpect } from './spec-expect.js';
import { parseNodes } from './spec-nodes.js';

const DEFAULT_POD_CIDR = '10.233.64.0/18';

type LabSpec = Omit<Scenario, 'file' | 'manifests' | 'origin'>;

export function parseLabSpec(raw: Rec, origin: Origin, issues: ScenarioIssue[]): LabSpec | undefined {
  const bad = (path: Path, message: string) => issues.push(issueAt(origin, path, message));
  const before = issues.length;
  const spec = raw['spec'];
  if (!isRec(spec)) {
    bad(['spec'], 'expected a mapping with switch, nodes, expect');
    return undefined;
  }
  const variant = spec['variant'] ?? 'vlan';
  if (variant !== 'vlan' && variant !== 'flat')
    bad(['spec', 'variant'], `expected vlan or flat, found ${JSON.stringify(variant)}`);
  const sw = isRec(spec['switch']) ? spec['switch'] : undefined;
  if (sw === undefined) bad(['spec', 'switch'], 'expected a mapping with vlans');
  const vlans = parseVlans(sw?.['vlans'], bad);
  const routing = sw?.['routing'] ?? true;
  if (typeof routing !== 'boolean')
    bad(['spec', 'switch', 'routing'], `expected true or false, found ${JSON.stringify(routing)}`);
  const cluster = isRec(spec['cluster']) ? spec['cluster'] : {};
  const podCidr = cidrField(
    cluster['podCIDR'] ?? DEFAULT_POD_CIDR,
    ['spec', 'cluster', 'podCIDR'],
    bad,
    true,
  );
  if (podCidr !== undefined && parseCidr(podCidr).prefix > 22)
    bad(['spec', 'cluster', 'podCIDR'], `${podCidr} is too small: each node gets a /24 of it`);
  const serviceCidr =
    cluster['serviceCIDR'] === undefined
      ? undefined
      : cidrField(cluster['serviceCIDR'], ['spec', 'cluster', 'serviceCIDR'], bad, true);
  const nodes = parseNodes(spec['nodes'], vlans, variant, bad);
  const expectations = parseExpect(spec['expect'], bad);
  if (issues.length > before) return undefined;
  return {
    name: String((raw['metadata'] as Rec)['name']),
    variant: variant as Variant,
    vlans,
    routing: routing as boolean,
    podCidr: podCidr!,
    ...(serviceCidr !== undefined ? { serviceCidr } : {}),
    nodes,
    expectations,
  };
}

function parseVlans(v: unknown, bad: Bad): VlanSpec[] {
  const base: Path = ['spec', 'switch', 'vlans'];
  if (!Array.isArray(v) || v.length === 0) {
    bad(base, 'expected a non-empty list of {id, gateway?, subnet?}');
    return [];
  }
  const seen = new Set<number>();
  const out: VlanSpec[] = [];
  v.forEach((item, i) => {
    if (!isRec(item)) {
      bad([...base, i], 'expected {id, gateway?, subnet?}');
      return;
    }
    const id = item['id'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 4094) {
      bad([...base, i, 'id'], `expected a VLAN id 1-4094, found ${JSON.stringify(id)}`);
      return;
    }
    if (seen.has(id)) {
      bad([...base, i, 'id'], `VLAN ${id} is listed twice`);
      return;
    }
    seen.add(id);
    const vlan: VlanSpec = { id };
    if (item['gateway'] !== undefined) {
      const gw = cidrField(item['gateway'], [...base, i, 'gateway'], bad, false);
      if (gw !== undefined) {
        const c = parseCidr(gw);
        if (c.isNetwork)
          bad(
            [...base, i, 'gateway'],
            `${gw} is the network address; give the gateway's own address, e.g. ${gw.replace(/\.0\//, '.1/')}`,
          );
        vlan.gateway = gw;
        vlan.subnet = formatCidr(c);
      }
    }
    if (item['subnet'] !== undefined) {
      const sn = cidrField(item['subnet'], [...base, i, 'subnet'], bad, true);
      if (sn !== undefined && vlan.subnet !== undefined && sn !== vlan.subnet)
        bad([...base, i, 'subnet'], `${sn} disagrees with the gateway's subnet ${vlan.subnet}`);
      if (sn !== undefined) vlan.subnet = sn;
    }
    out.push(vlan);
  });
  return out;
}
