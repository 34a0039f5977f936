// Parse and validate a host config (nmstate desired state subset). Everything is checked before
// anything touches the kernel; each error names the interface and the field.

import { parse as parseYaml } from 'yaml';
import { errorText } from '../cni/errors.js';
import type { MacvlanMode } from '../kernel/types.js';
import { bondModeOf, canonicalOption, normalizeOption, optionModes } from './bond-options.js';
import { HostConfigError } from './errors.js';
import type { DesiredIface, HostConfig, IfaceStateName, IfaceType, VlanProtocol } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const TYPES: readonly IfaceType[] = ['bond', 'vlan', 'mac-vlan', 'ethernet'];
const STATES: readonly IfaceStateName[] = ['up', 'down', 'absent'];
const MACVLAN_MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru', 'source'];
const COMMON = ['name', 'type', 'state', 'mtu', 'mac-address', 'description'];
const SECTION: Readonly<Record<IfaceType, string | undefined>> = {
  bond: 'link-aggregation',
  vlan: 'vlan',
  'mac-vlan': 'mac-vlan',
  ethernet: undefined,
};
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Interface names the kernel accepts: 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
const validIfName = (s: string): boolean =>
  s.length > 0 && Buffer.byteLength(s) <= 15 && !/[\s/:]/.test(s) && s !== '.' && s !== '..';

/** YAML or JSON text → validated HostConfig. */
export function parseHostConfig(text: string): HostConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new HostConfigError('-', 'document', `not valid YAML: ${errorText(e)}`, { cause: e });
  }
  return validateHostConfig(doc);
}

/**
 * Accepts `{interfaces}`, `{desiredState: {interfaces}}` or a NodeNetworkConfigurationPolicy
 * (`{spec: {desiredState: {interfaces}}}`).
 */
export function validateHostConfig(doc: unknown): HostConfig {
  const root = isObj(doc) && isObj(doc['spec']) ? doc['spec'] : doc;
  const ds = isObj(root) && isObj(root['desiredState']) ? root['desiredState'] : root;
  if (!isObj(ds) || !Array.isArray(ds['interfaces']))
    throw new HostConfigError('-', 'interfaces', 'expected a list of interfaces at the top level');
  const interfaces = ds['interfaces'].map((raw, i) => parseIface(raw, i));
  checkReferences(interfaces);
  return { interfaces };
}

function parseIface(raw: unknown, i: number): DesiredIface {
  if (!isObj(raw)) throw new HostConfigError(`#${i}`, 'interfaces', 'expected a mapping');
  const name = raw['name'];
  if (typeof name !== 'string' || !validIfName(name))
    throw new HostConfigError(
      `#${i}`,
      'name',
      `expected an interface name (1-15 characters), found ${JSON.stringify(name)}`,
    );
  const fail = (field: string, msg: string) => new HostConfigError(name, field, msg);
  const type = raw['type'] as IfaceType;
  if (!TYPES.includes(type))
    throw fail('type', `expected one of ${TYPES.join(', ')}, found ${JSON.stringify(type)}`);
  const state = (raw['state'] ?? 'up') as IfaceStateName;
  if (!STATES.includes(state))
    throw fail('state', `expected one of ${STATES.join(', ')}, found ${JSON.stringify(state)}`);
  const section = SECTION[type];
  for (const key of Object.keys(raw)) {
    if (COMMON.includes(key) || key === section) continue;
    const owner = TYPES.find((t) => SECTION[t] === key);
    throw fail(key, owner ? `only valid for type ${owner}, not ${type}` : 'unsupported field');
  }
  const base = { name, state, ...commonFields(raw, fail) };
  const sec = section === undefined ? undefined : raw[section];
  if (sec !== undefined && !isObj(sec)) throw fail(section ?? '', 'expected a mapping');
  if (state !== 'absent' && section !== undefined && sec === undefined) throw fail(section, 'required');
  if (!isObj(sec)) return { ...base, type } as DesiredIface;
  switch (type) {
    case 'bond':
      return { ...base, type, bond: parseBond(name, sec) };
    case 'vlan':
      return { ...base, type, vlan: parseVlan(name, sec) };
    case 'mac-vlan':
      return { ...base, type, macvlan: parseMacvlan(name, sec) };
    default:
      return { ...base, type };
  }
}

function commonFields(raw: Obj, fail: (f: string, m: string) => HostConfigError) {
  const mtu = raw['mtu'];
  if (mtu !== undefined && !(Number.isInteger(mtu) && (mtu as number) >= 68 && (mtu as number) <= 65535))
    throw fail('mtu', `expected an integer 68-65535, found ${JSON.stringify(mtu)}`);
  const mac = raw['mac-address'];
  if (mac !== undefined && !(typeof mac === 'string' && MAC.test(mac.toLowerCase())))
    throw fail('mac-address', `expected aa:bb:cc:dd:ee:ff, found ${JSON.stringify(mac)}`);
  return {
    ...(mtu !== undefined ? { mtu: mtu as number } : {}),
    ...(typeof mac === 'string' ? { macAddress: mac.toLowerCase() } : {}),
  };
}

function onlyKeys(iface: string, section: string, sec: Obj, keys: readonly string[]): void {
  for (const k of Object.keys(sec))
    if (!keys.includes(k))
      throw new HostConfigError(iface, `${section}.${k}`, `unsupported field (known: ${keys.join(', ')})`);
}

function parseBond(name: string, sec: Obj) {
  const fail = (f: string, m: string) => new HostConfigError(name, `link-aggregation.${f}`, m);
  onlyKeys(name, 'link-aggregation', sec, ['mode', 'options', 'port', 'ports']);
  const mode = bondModeOf(sec['mode']);
  if (mode === undefined)
    throw fail(
      'mode',
      `expected balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb or 0-6, found ${JSON.stringify(sec['mode'])}`,
    );
  const rawOpts = sec['options'] ?? {};
  if (!isObj(rawOpts)) throw fail('options', 'expected a mapping of option names to values');
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawOpts)) {
    const key = canonicalOption(k);
    const n = normalizeOption(key, v);
    if ('error' in n) throw fail(`options.${k}`, n.error);
    const modes = optionModes(key);
    if (modes !== undefined && !modes.includes(mode))
      throw fail(`options.${k}`, `not valid in mode ${mode} (only in ${modes.join(', ')})`);
    options[key] = n.value;
  }
  const rawPorts = sec['port'] ?? sec['ports'];
  if (rawPorts === undefined) return { mode, options };
  if (!Array.isArray(rawPorts) || !rawPorts.every((p) => typeof p === 'string' && validIfName(p)))
    throw fail('port', `expected a list of interface names, found ${JSON.stringify(rawPorts)}`);
  const ports = rawPorts as string[];
  const dup = ports.find((p, i) => ports.indexOf(p) !== i);
  if (dup !== undefined) throw fail('port', `${dup} is listed twice`);
  if (ports.includes(name)) throw fail('port', 'a bond cannot be its own port');
  return { mode, options, ports };
}

function parseVlan(name: string, sec: Obj) {
  const fail = (f: string, m: string) => new HostConfigError(name, `vlan.${f}`, m);
  onlyKeys(name, 'vlan', sec, ['base-iface', 'id', 'protocol']);
  const baseIface = sec['base-iface'];
  if (typeof baseIface !== 'string' || !validIfName(baseIface))
    throw fail('base-iface', `expected an interface name, found ${JSON.stringify(baseIface)}`);
  if (baseIface === name) throw fail('base-iface', 'a vlan cannot be its own base');
  const id = sec['id'];
  if (!(Number.isInteger(id) && (id as number) >= 1 && (id as number) <= 4094))
    throw fail('id', `expected an integer 1-4094, found ${JSON.stringify(id)}`);
  const p = String(sec['protocol'] ?? '802.1q').toLowerCase();
  if (p !== '802.1q' && p !== '802.1ad')
    throw fail('protocol', `expected 802.1q or 802.1ad, found ${JSON.stringify(sec['protocol'])}`);
  return { baseIface, id: id as number, protocol: p as VlanProtocol };
}

function parseMacvlan(name: string, sec: Obj) {
  const fail = (f: string, m: string) => new HostConfigError(name, `mac-vlan.${f}`, m);
  onlyKeys(name, 'mac-vlan', sec, ['base-iface', 'mode', 'promiscuous']);
  const baseIface = sec['base-iface'];
  if (typeof baseIface !== 'string' || !validIfName(baseIface))
    throw fail('base-iface', `expected an interface name, found ${JSON.stringify(baseIface)}`);
  if (baseIface === name) throw fail('base-iface', 'a mac-vlan cannot be its own base');
  const mode = String(sec['mode'] ?? '').toLowerCase() as MacvlanMode;
  if (!MACVLAN_MODES.includes(mode))
    throw fail('mode', `expected one of ${MACVLAN_MODES.join(', ')}, found ${JSON.stringify(sec['mode'])}`);
  const promisc = sec['promiscuous'];
  if (promisc !== undefined && typeof promisc !== 'boolean')
    throw fail('promiscuous', `expected true or false, found ${JSON.stringify(promisc)}`);
  // nmstate allows `false` only with passthru (macvlan "nopromisc"); the kernel layer cannot set it.
  if (promisc === false) throw fail('promiscuous', 'false (nopromisc) is not supported; omit it or use true');
  return { baseIface, mode };
}

/** Cross-interface checks: duplicates, ports claimed twice, references to absent interfaces, cycles. */
function checkReferences(ifaces: DesiredIface[]): void {
  const byName = new Map<string, DesiredIface>();
  for (const d of ifaces) {
    if (byName.has(d.name)) throw new HostConfigError(d.name, 'name', 'listed twice');
    byName.set(d.name, d);
  }
  const portOf = new Map<string, string>();
  for (const d of ifaces) {
    if (d.type !== 'bond' || d.state === 'absent') continue;
    for (const p of d.bond?.ports ?? []) {
      const other = portOf.get(p);
      if (other !== undefined)
        throw new HostConfigError(d.name, 'link-aggregation.port', `${p} is already a port of ${other}`);
      portOf.set(p, d.name);
      const pd = byName.get(p);
      if (pd?.state === 'absent')
        throw new HostConfigError(d.name, 'link-aggregation.port', `port ${p} is marked absent`);
      if (pd !== undefined && pd.type !== 'ethernet')
        throw new HostConfigError(
          d.name,
          'link-aggregation.port',
          `port ${p} is a ${pd.type}; ports must be ethernet devices`,
        );
    }
  }
  const baseOf = (d: DesiredIface | undefined): string | undefined =>
    d?.type === 'vlan' ? d.vlan?.baseIface : d?.type === 'mac-vlan' ? d.macvlan?.baseIface : undefined;
  for (const d of ifaces) {
    const base = baseOf(d);
    if (base === undefined || d.state === 'absent') continue;
    const field = d.type === 'vlan' ? 'vlan.base-iface' : 'mac-vlan.base-iface';
    if (byName.get(base)?.state === 'absent')
      throw new HostConfigError(d.name, field, `base ${base} is marked absent`);
    const seen = new Set([d.name]);
    for (let b: string | undefined = base; b !== undefined; b = baseOf(byName.get(b))) {
      if (seen.has(b)) throw new HostConfigError(d.name, field, `base interfaces form a cycle through ${b}`);
      seen.add(b);
    }
  }
}
