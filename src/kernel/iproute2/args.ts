// iproute2 argument lists for each operation, without the namespace/global-option prefix, so the
// same words serve a single spawn and a line of `ip -batch`. Names always follow a keyword
// (dev/name/link) so an interface called e.g. "up" or "help" is never read as a keyword.
import { familyOf } from '../../net/ip.js';
import type { LinkChange, Neighbour, NewLink, Route, Rule } from '../types.js';

const opt = (key: string, v: string | number | undefined): string[] =>
  v === undefined ? [] : [key, String(v)];

const flatten = (o: Record<string, string> | undefined): string[] =>
  o === undefined ? [] : Object.entries(o).flat();

/** `target` is the resolved path of spec.netns / spec.peerNetns (see netnsPath). */
export function linkAddArgs(spec: NewLink, target?: string): string[] {
  const head = ['link', 'add'];
  switch (spec.kind) {
    case 'macvlan':
      return [
        ...head,
        'link',
        spec.master,
        'name',
        spec.name,
        ...opt('address', spec.mac),
        ...opt('mtu', spec.mtu),
        ...opt('netns', target),
        'type',
        'macvlan',
        'mode',
        spec.mode,
      ];
    case 'veth':
      return [
        ...head,
        'name',
        spec.name,
        ...opt('address', spec.mac),
        ...opt('mtu', spec.mtu),
        'type',
        'veth',
        'peer',
        'name',
        spec.peer,
        ...opt('address', spec.peerMac),
        ...opt('mtu', spec.mtu),
        ...opt('netns', target),
      ];
    case 'bridge':
      return [
        ...head,
        'name',
        spec.name,
        ...opt('mtu', spec.mtu),
        'type',
        'bridge',
        ...opt('vlan_filtering', spec.vlanFiltering === undefined ? undefined : spec.vlanFiltering ? 1 : 0),
      ];
    case 'vlan':
      return [
        ...head,
        'link',
        spec.master,
        'name',
        spec.name,
        ...opt('mtu', spec.mtu),
        'type',
        'vlan',
        'id',
        String(spec.id),
        'protocol',
        spec.protocol ?? '802.1Q',
      ];
    case 'bond':
      // Options go into the create request so a bad option leaves no half-configured bond behind.
      return [
        ...head,
        'name',
        spec.name,
        ...opt('mtu', spec.mtu),
        'type',
        'bond',
        'mode',
        spec.mode,
        ...flatten(spec.options),
      ];
  }
}

/** One RTM_NEWLINK: the kernel moves first, then renames, sets MAC/MTU, master, and flags last. */
export function linkSetArgs(name: string, c: LinkChange, target?: string): string[] {
  return [
    'link',
    'set',
    'dev',
    name,
    ...opt('netns', target),
    ...opt('name', c.name),
    ...opt('address', c.mac),
    ...opt('mtu', c.mtu),
    ...opt('txqueuelen', c.txQueueLen),
    ...(c.master === null ? ['nomaster'] : opt('master', c.master)),
    ...(c.up === undefined ? [] : [c.up ? 'up' : 'down']),
    ...(c.bondOptions !== undefined ? ['type', 'bond', ...flatten(c.bondOptions)] : []),
  ];
}

export function addrArgs(verb: 'add' | 'del', ifname: string, cidr: string, noDad?: boolean): string[] {
  const v6 = familyOf(cidr) === 6;
  const len = Number(cidr.split('/')[1] ?? (v6 ? 128 : 32));
  // vishvananda/netlink (the reference plugins) sets the IPv4 broadcast for prefixes < /31; match it.
  const brd = verb === 'add' && !v6 && len < 31 ? ['broadcast', '+'] : [];
  return ['addr', verb, cidr, ...brd, 'dev', ifname, ...(verb === 'add' && v6 && noDad ? ['nodad'] : [])];
}

export const defaultDst = (family: 4 | 6): string => (family === 6 ? '::/0' : '0.0.0.0/0');

/** The family is carried by the destination, so v4 and v6 routes can share one `ip -batch`. */
export function routeArgs(verb: 'add' | 'append' | 'replace' | 'del', r: Route): string[] {
  const dst = r.dst === 'default' ? defaultDst(r.family) : r.dst;
  return [
    'route',
    verb,
    ...(r.type !== undefined && r.type !== 'unicast' ? [r.type] : []),
    dst,
    ...opt('via', r.gw),
    ...opt('dev', r.dev),
    ...opt('table', r.table),
    ...opt('metric', r.metric),
    ...opt('scope', r.scope),
    ...opt('src', r.src),
    ...opt('proto', r.proto),
    ...opt('mtu', r.mtu),
    ...opt('advmss', r.advmss),
    ...(r.onlink ? ['onlink'] : []),
  ];
}

/** Rules take their family from `ip -4/-6`, not from the selectors (see Iproute2Kernel.batch). */
export function ruleArgs(verb: 'add' | 'del', r: Rule): string[] {
  const sel = (v: string | undefined) => (v === undefined || v === 'all' ? undefined : v);
  return [
    'rule',
    verb,
    ...opt('from', sel(r.from)),
    ...opt('to', sel(r.to)),
    ...opt('iif', r.iif),
    ...opt('oif', r.oif),
    ...opt('fwmark', r.fwmark),
    ...opt('priority', r.priority),
    'table',
    String(r.table),
  ];
}

export function neighArgs(n: Neighbour): string[] {
  return [
    'neigh',
    'replace',
    n.ip,
    'lladdr',
    n.mac,
    'dev',
    n.dev,
    'nud',
    (n.state ?? 'permanent').toLowerCase(),
  ];
}

export const routeWhat = (r: Route): string =>
  `route ${r.dst}${r.table !== undefined ? ` table ${r.table}` : ''}`;
export const ruleWhat = (r: Rule): string =>
  `rule${r.priority !== undefined ? ` ${r.priority}` : ''} from ${r.from ?? 'all'} table ${r.table}`;
