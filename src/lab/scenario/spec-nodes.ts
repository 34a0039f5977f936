// `spec.nodes` of a `kind: Lab` document: names, NICs cabled to the switch, addresses, gateway and the
// optional host config (validated by the same rules as `trunkline host apply`).
import { errorText } from '../../cni/errors.js';
import { HostConfigError } from '../../hostnet/errors.js';
import { validateHostConfig } from '../../hostnet/parse.js';
import type { HostConfig } from '../../hostnet/types.js';
import { parseIp } from '../../ipam/ranges.js';
import type { NodeAddress, NodeSpec, VlanSpec } from '../types.js';
import { type Bad, cidrField, isRec, type Path } from './fields.js';

const NODE_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
const IFNAME = /^[^\s/:]{1,15}$/;

export function parseNodes(v: unknown, vlans: VlanSpec[], variant: unknown, bad: Bad): NodeSpec[] {
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
