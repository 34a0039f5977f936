// The `kind: Lab` document: switch VLANs and gateways, nodes (NICs, addresses, host config), the
// simulated cluster network, expectations. Problems are collected (not thrown) so one run lists them all.
import { errorText } from '../../cni/errors.js';
import { HostConfigError } from '../../hostnet/errors.js';
import { validateHostConfig } from '../../hostnet/parse.js';
import type { HostConfig } from '../../hostnet/types.js';
import { formatCidr, parseCidr, parseIp, RangeSyntaxError } from '../../ipam/ranges.js';
import { issueAt, type ScenarioIssue } from '../errors.js';
import type {
  Expectation,
  NodeAddress,
  NodeSpec,
  Origin,
  PodRef,
  Scenario,
  Variant,
  VlanSpec,
} from '../types.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
type Path = (string | number)[];

const NODE_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
const IFNAME = /^[^\s/:]{1,15}$/;
const DEFAULT_POD_CIDR = '10.233.64.0/18';

export type LabSpec = Omit<Scenario, 'file' | 'manifests' | 'origin'>;

export function parsePodRef(s: string): PodRef | undefined {
  const m = /^(?:([a-z0-9][-a-z0-9]*)\/)?([a-z0-9][-a-z0-9.]*)(?:@([^\s/:]{1,15}))?$/.exec(s.trim());
  if (!m) return undefined;
  // No namespace: resolved against the scenario's pods once they are known (resolvePodRefs).
  return { namespace: m[1] ?? '', name: m[2]!, ...(m[3] !== undefined ? { iface: m[3] } : {}) };
}

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

function cidrField(
  v: unknown,
  path: Path,
  bad: (p: Path, m: string) => void,
  network: boolean,
): string | undefined {
  try {
    if (typeof v !== 'string')
      throw new RangeSyntaxError(`expected a CIDR string, found ${JSON.stringify(v)}`);
    const c = parseCidr(v);
    if (c.family !== 4) throw new RangeSyntaxError(`${v}: the lab builds IPv4 topologies only`);
    if (network && !c.isNetwork)
      throw new RangeSyntaxError(`${v} has host bits set (did you mean ${formatCidr(c)}?)`);
    return v;
  } catch (e) {
    bad(path, errorText(e));
    return undefined;
  }
}

function parseVlans(v: unknown, bad: (p: Path, m: string) => void): VlanSpec[] {
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

function parseNodes(
  v: unknown,
  vlans: VlanSpec[],
  variant: unknown,
  bad: (p: Path, m: string) => void,
): NodeSpec[] {
  const base: Path = ['spec', 'nodes'];
  if (!Array.isArray(v) || v.length === 0) {
    bad(base, 'expected a non-empty list of nodes');
    return [];
  }
  const seen = new Set<string>();
  const out: NodeSpec[] = [];
  v.forEach((item, i) => {
    const at = [...base, i];
    if (!isRec(item)) {
      bad(at, 'expected a mapping {name, nics, …}');
      return;
    }
    const name = item['name'];
    if (typeof name !== 'string' || !NODE_NAME.test(name)) {
      bad(
        [...at, 'name'],
        `expected a lower-case name of at most 15 characters, found ${JSON.stringify(name)}`,
      );
      return;
    }
    if (seen.has(name)) {
      bad([...at, 'name'], `node ${name} is listed twice`);
      return;
    }
    seen.add(name);
    const nics = item['nics'] ?? [];
    if (!Array.isArray(nics) || nics.some((n) => typeof n !== 'string' || !IFNAME.test(n))) {
      bad(
        [...at, 'nics'],
        `expected a list of interface names (1-15 characters), found ${JSON.stringify(nics)}`,
      );
      return;
    }
    if (nics.length === 0 && variant === 'vlan') {
      bad(
        [...at, 'nics'],
        'the vlan variant needs the NICs that are cabled to the switch (e.g. [ens224, ens256])',
      );
      return;
    }
    const ids = vlans.map((x) => x.id);
    const trunk = item['trunk'] ?? ids;
    if (!Array.isArray(trunk) || trunk.some((t) => !ids.includes(t as number))) {
      bad(
        [...at, 'trunk'],
        `expected a list of the switch's VLAN ids (${ids.join(', ')}), found ${JSON.stringify(trunk)}`,
      );
      return;
    }
    const addresses: NodeAddress[] = [];
    const addrs = item['addresses'] ?? [];
    if (!Array.isArray(addrs)) {
      bad([...at, 'addresses'], 'expected a list of {interface, cidr}');
      return;
    }
    addrs.forEach((a, j) => {
      if (!isRec(a) || typeof a['interface'] !== 'string' || !IFNAME.test(a['interface'])) {
        bad([...at, 'addresses', j], 'expected {interface, cidr}');
        return;
      }
      const cidr = cidrField(a['cidr'], [...at, 'addresses', j, 'cidr'], bad, false);
      if (cidr !== undefined) addresses.push({ interface: a['interface'], cidr });
    });
    const gateway = item['gateway'];
    if (gateway !== undefined && (typeof gateway !== 'string' || parseIp(gateway)?.family !== 4)) {
      bad([...at, 'gateway'], `expected an IPv4 address, found ${JSON.stringify(gateway)}`);
      return;
    }
    let host: HostConfig | undefined;
    if (item['host'] !== undefined) {
      try {
        host = validateHostConfig(item['host']);
      } catch (e) {
        const field = e instanceof HostConfigError ? e.field.split('.') : [];
        bad([...at, 'host', 'interfaces', ...field], errorText(e));
        return;
      }
    }
    out.push({
      name,
      nics: nics as string[],
      trunk: trunk as number[],
      addresses,
      ...(typeof gateway === 'string' ? { gateway } : {}),
      ...(host !== undefined ? { host } : {}),
    });
  });
  return out;
}

function parseExpect(v: unknown, bad: (p: Path, m: string) => void): Expectation[] {
  if (v === undefined) return [];
  if (!isRec(v)) {
    bad(['spec', 'expect'], 'expected {reachable: [...], unreachable: [...]}');
    return [];
  }
  const out: Expectation[] = [];
  for (const key of ['reachable', 'unreachable'] as const) {
    const list = v[key] ?? [];
    if (!Array.isArray(list)) {
      bad(['spec', 'expect', key], 'expected a list of {from, to}');
      continue;
    }
    list.forEach((e, i) => {
      const at: Path = ['spec', 'expect', key, i];
      if (!isRec(e)) {
        bad(at, 'expected {from: pod, to: pod | [pods]}');
        return;
      }
      const from = typeof e['from'] === 'string' ? parsePodRef(e['from']) : undefined;
      if (from === undefined) {
        bad(
          [...at, 'from'],
          `expected a pod ("name" or "namespace/name"), found ${JSON.stringify(e['from'])}`,
        );
        return;
      }
      const tos = Array.isArray(e['to']) ? e['to'] : [e['to']];
      tos.forEach((t, j) => {
        const to = typeof t === 'string' ? parsePodRef(t) : undefined;
        if (to === undefined) {
          bad(
            [...at, 'to', ...(Array.isArray(e['to']) ? [j] : [])],
            `expected a pod ("name", "namespace/name" or "name@iface"), found ${JSON.stringify(t)}`,
          );
          return;
        }
        out.push({
          from,
          to,
          reachable: key === 'reachable',
          path: [...at, 'to', ...(Array.isArray(e['to']) ? [j] : [])],
        });
      });
    });
  }
  return out;
}
