// `ip -j` output → the typed objects of ../types.ts.
import { readFileSync } from 'node:fs';
import { KernelError } from '../errors.js';
import type { Address, BondMode, Link, MacvlanMode, Neighbour, Route, Rule } from '../types.js';
import { defaultDst } from './args.js';

type Obj = Record<string, unknown>;

export function parseJson(stdout: string, argv: readonly string[]): Obj[] {
  const text = stdout.trim();
  if (text === '') return [];
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return v.filter((x): x is Obj => typeof x === 'object' && x !== null);
  } catch {}
  throw new KernelError(`unexpected output from ${argv.join(' ')}: ${text.slice(0, 200)}`, { argv });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const set = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };

// `ip -j` names a few bond attributes differently from the `ip link … type bond` options that set them.
const BOND_OPTION: Record<string, string> = {
  ad_lacp_rate: 'lacp_rate',
  ad_lacp_active: 'lacp_active',
  num_peer_notif: 'num_grat_arp',
};

export function toLink(j: Obj): Link {
  const info = obj(j['linkinfo']);
  const data = obj(info?.['info_data']) ?? {};
  const kind = str(info?.['info_kind']) ?? str(j['link_type']) ?? 'unknown';
  const flags = Array.isArray(j['flags']) ? j['flags'] : [];
  const link: Link = {
    index: num(j['ifindex']) ?? 0,
    name: str(j['ifname']) ?? '',
    kind,
    mac: str(j['address']) ?? '',
    mtu: num(j['mtu']) ?? 0,
    up: flags.includes('UP'),
    operState: str(j['operstate']) ?? 'UNKNOWN',
    ...set('master', str(j['master'])),
    ...set('parentIndex', num(j['link_index'])),
    ...set('parent', str(j['link'])),
    ...set('txQueueLen', num(j['txqlen'])),
  };
  if (kind === 'macvlan')
    return { ...link, ...set('macvlanMode', str(data['mode']) as MacvlanMode | undefined) };
  if (kind === 'vlan') {
    const proto = str(data['protocol']);
    const vlanProtocol: Link['vlanProtocol'] =
      proto === '802.1ad' ? '802.1ad' : proto === '802.1Q' ? '802.1Q' : undefined;
    return { ...link, ...set('vlanId', num(data['id'])), ...set('vlanProtocol', vlanProtocol) };
  }
  if (kind === 'bond') {
    const options: Record<string, string> = {};
    for (const [key, v] of Object.entries(data)) {
      if (key === 'mode') continue;
      const k = BOND_OPTION[key] ?? key;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') options[k] = String(v);
      else if (Array.isArray(v)) options[k] = v.join(',');
    }
    return { ...link, ...set('bondMode', str(data['mode']) as BondMode | undefined), bondOptions: options };
  }
  return link;
}

export function toAddrs(links: Obj[]): Address[] {
  const out: Address[] = [];
  for (const l of links) {
    const ifname = str(l['ifname']) ?? '';
    for (const a of Array.isArray(l['addr_info']) ? (l['addr_info'] as unknown[]) : []) {
      const ai = obj(a);
      const local = str(ai?.['local']);
      if (ai === undefined || local === undefined) continue;
      const family = ai['family'] === 'inet6' ? 6 : 4;
      out.push({
        ifname,
        family,
        cidr: `${local}/${num(ai['prefixlen']) ?? (family === 6 ? 128 : 32)}`,
        scope: str(ai['scope']) ?? 'global',
        ...(ai['tentative'] === true ? { tentative: true } : {}),
        ...(ai['dadfailed'] === true ? { dadFailed: true } : {}),
      });
    }
  }
  return out;
}

const TABLES: Record<string, number> = { local: 255, main: 254, default: 253, unspec: 0 };
let userTables: Record<string, number> | undefined;

/** Table name → id; names from rt_tables are read only when one shows up. */
function tableId(name: string | number | undefined): number | undefined {
  if (name === undefined) return undefined;
  if (typeof name === 'number') return name;
  if (/^\d+$/.test(name)) return Number(name);
  const known = TABLES[name];
  if (known !== undefined) return known;
  userTables ??= readRtTables();
  return userTables[name];
}

function readRtTables(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of ['/etc/iproute2/rt_tables', '/usr/share/iproute2/rt_tables']) {
    try {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        const m = /^\s*(\d+)\s+(\S+)/.exec(line);
        if (m?.[1] && m[2] && out[m[2]] === undefined) out[m[2]] = Number(m[1]);
      }
    } catch {}
  }
  return out;
}

const withLen = (addr: string, family: 4 | 6, len?: number): string =>
  addr.includes('/') ? addr : `${addr}/${len ?? (family === 6 ? 128 : 32)}`;

/**
 * `table` is the table the listing asked for (ip omits the field unless listing `table all`).
 * Without `ip -4/-6`, the family is inferred: the kernel always attaches RTA_PREF to IPv6 routes.
 */
export function toRoute(j: Obj, family: 4 | 6 | undefined, table: number | undefined): Route {
  const dst = str(j['dst']) ?? 'default';
  const gw = str(j['gateway']);
  const fam: 4 | 6 = family ?? ('pref' in j || dst.includes(':') || (gw ?? '').includes(':') ? 6 : 4);
  const t = j['table'] !== undefined ? tableId(str(j['table'])) : table;
  const metrics = Array.isArray(j['metrics']) ? obj(j['metrics'][0]) : undefined;
  const flags = Array.isArray(j['flags']) ? j['flags'] : [];
  return {
    family: fam,
    dst: dst === 'default' ? defaultDst(fam) : withLen(dst, fam),
    ...set('gw', gw),
    ...set('dev', str(j['dev'])),
    ...set('table', t === 254 ? undefined : t),
    ...set('metric', num(j['metric'])),
    ...set('scope', str(j['scope'])),
    ...set('src', str(j['prefsrc'])),
    ...set('proto', str(j['protocol'])),
    ...set('mtu', num(metrics?.['mtu'])),
    ...set('advmss', num(metrics?.['advmss'])),
    ...set('type', str(j['type'])),
    ...(flags.includes('onlink') ? { onlink: true } : {}),
  };
}

/** Selectors matching everything ("all") are left out. */
export function toRule(j: Obj, family: 4 | 6): Rule {
  const sel = (addr: unknown, len: unknown) => {
    const a = str(addr);
    return a === undefined || a === 'all' ? undefined : withLen(a, family, num(len));
  };
  const mark = str(j['fwmark']);
  const mask = str(j['fwmask']);
  return {
    family,
    ...set('priority', num(j['priority'])),
    ...set('from', sel(j['src'], j['srclen'])),
    ...set('to', sel(j['dst'], j['dstlen'])),
    ...set('iif', str(j['iif'])),
    ...set('oif', str(j['oif'])),
    ...set('fwmark', mark === undefined ? undefined : mask === undefined ? mark : `${mark}/${mask}`),
    table: tableId(str(j['table'])) ?? 0,
  };
}

/** Entries without a link-layer address (INCOMPLETE/FAILED) get mac ''. `dev`: ip omits it for `show dev X`. */
export function toNeighbour(j: Obj, dev?: string): Neighbour {
  const ip = str(j['dst']) ?? '';
  const state = Array.isArray(j['state']) ? j['state'].join(',') : undefined;
  return {
    family: ip.includes(':') ? 6 : 4,
    ip,
    mac: str(j['lladdr']) ?? '',
    dev: str(j['dev']) ?? dev ?? '',
    ...set('state', state),
  };
}
