// RTM_*ROUTE requests with iproute2's defaults, the route dump, and route decoding.
import type { Route } from '../types.js';
import { SCOPE_NAME, splitCidr } from './addr.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  attrU32,
  bytesToIp,
  ipToBytes,
  MsgWriter,
  NLM_F_ACK,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  type NlMsg,
  parseAttrs,
  RTM,
} from './rtnl.js';

const RTA = {
  DST: 1,
  SRC: 2,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  METRICS: 8,
  TABLE: 15,
  PREF: 20,
} as const;
const RTAX_MTU = 2;
const RTAX_ADVMSS = 8;
const RTNH_F_ONLINK = 4;
const RTPROT_BOOT = 3;
const SCOPE = { universe: 0, global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as Record<
  string,
  number
>;
const TYPES = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
];
const PROTO: Record<string, number> = {
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  ra: 9,
  dhcp: 16,
  keepalived: 18,
  babel: 42,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
};
const PROTO_NAME = new Map(Object.entries(PROTO).map(([k, v]) => [v, k]));

const named = (v: string, names: Record<string, number>, what: string): number => {
  const n = /^\d+$/.test(v) ? Number(v) : names[v];
  if (n === undefined) throw new Error(`unknown ${what} "${v}"`);
  return n;
};

/** Everything resolved beforehand: the output interface's index in the route's namespace. */
export function routeReq(verb: 'add' | 'append' | 'replace' | 'del', r: Route, oif: number | undefined) {
  const dst =
    r.dst === 'default' || r.dst === '0.0.0.0/0' || r.dst === '::/0'
      ? { ip: undefined, len: 0 }
      : (({ ip, len }) => ({ ip, len }))(splitCidr(r.dst));
  const type = r.type === undefined ? 1 : TYPES.indexOf(r.type);
  if (type < 0) throw new Error(`unknown route type "${r.type}"`);
  // iproute2's defaults: local/nat are host scope, broadcast/multicast/anycast link scope, a unicast
  // route without a gateway link scope; a delete matches any scope, protocol and type.
  let scope: number;
  if (r.scope !== undefined) scope = named(r.scope, SCOPE, 'scope');
  else if (verb === 'del') scope = 255;
  else if (type === 2 || type === 10) scope = 254;
  else if (type === 3 || type === 4 || type === 5) scope = 253;
  else if (type === 1 && r.gw === undefined) scope = 253;
  else scope = 0;
  const proto = r.proto !== undefined ? named(r.proto, PROTO, 'protocol') : verb === 'del' ? 0 : RTPROT_BOOT;
  const table = r.table ?? 254;
  return (seq: number): Buffer => {
    const flags =
      verb === 'add'
        ? NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
        : verb === 'append'
          ? NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND
          : verb === 'replace'
            ? NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
            : NLM_F_ACK;
    const w = new MsgWriter(verb === 'del' ? RTM.DELROUTE : RTM.NEWROUTE, flags)
      .u8(r.family === 6 ? AF_INET6 : AF_INET)
      .u8(dst.len)
      .u8(0)
      .u8(0)
      .u8(table < 256 ? table : 0)
      .u8(proto)
      .u8(scope)
      .u8(verb === 'del' && r.type === undefined ? 0 : type)
      .u32(r.onlink ? RTNH_F_ONLINK : 0);
    w.attrU32(RTA.TABLE, table);
    if (dst.ip) w.attr(RTA.DST, dst.ip);
    if (r.gw !== undefined) w.attr(RTA.GATEWAY, ipToBytes(r.gw));
    if (oif !== undefined) w.attrU32(RTA.OIF, oif);
    if (r.metric !== undefined) w.attrU32(RTA.PRIORITY, r.metric);
    if (r.src !== undefined) w.attr(RTA.PREFSRC, ipToBytes(r.src));
    if (r.mtu !== undefined || r.advmss !== undefined) {
      w.begin(RTA.METRICS);
      if (r.mtu !== undefined) w.attrU32(RTAX_MTU, r.mtu);
      if (r.advmss !== undefined) w.attrU32(RTAX_ADVMSS, r.advmss);
      w.end();
    }
    return w.finish(seq);
  };
}

type Dumper = { request(b: (seq: number) => Buffer): Promise<NlMsg[]> };

export function dumpRoutes(s: Dumper, family?: 4 | 6): Promise<NlMsg[]> {
  return dumpByFamily(s, RTM.GETROUTE, family);
}

/** A dump whose request is a 12-byte header naming only the family (rtmsg, fib_rule_hdr). */
export function dumpByFamily(s: Dumper, type: number, family?: 4 | 6): Promise<NlMsg[]> {
  const fam = family === undefined ? AF_UNSPEC : family === 6 ? AF_INET6 : AF_INET;
  return s.request((seq) =>
    new MsgWriter(type, NLM_F_DUMP).u8(fam).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0).finish(seq),
  );
}

/** Decodes RTM_NEWROUTE as the iproute2 backend reads `ip -d -j route show` (main table → undefined). */
export function toRoute(m: NlMsg, nameOf: (index: number) => string | undefined): Route | undefined {
  const b = m.body;
  const fam = b.readUInt8(0) === AF_INET6 ? 6 : b.readUInt8(0) === AF_INET ? 4 : undefined;
  if (fam === undefined) return undefined;
  const a = parseAttrs(b, 12);
  const table = attrU32(a.get(RTA.TABLE)) ?? b.readUInt8(4);
  const dstLen = b.readUInt8(1);
  const dstIp = a.get(RTA.DST);
  const dst = dstIp ? `${bytesToIp(dstIp)}/${dstLen}` : fam === 6 ? '::/0' : '0.0.0.0/0';
  const gw = a.get(RTA.GATEWAY);
  const oif = attrU32(a.get(RTA.OIF));
  const metric = attrU32(a.get(RTA.PRIORITY));
  const src = a.get(RTA.PREFSRC);
  const scope = b.readUInt8(6);
  const type = b.readUInt8(7);
  const proto = b.readUInt8(5);
  const metrics = a.get(RTA.METRICS) ? parseAttrs(a.get(RTA.METRICS)!) : undefined;
  const mtu = attrU32(metrics?.get(RTAX_MTU));
  const advmss = attrU32(metrics?.get(RTAX_ADVMSS));
  const dev = oif !== undefined ? nameOf(oif) : undefined;
  return {
    family: fam,
    dst,
    ...(gw ? { gw: bytesToIp(gw) } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(table !== 254 ? { table } : {}),
    ...(metric !== undefined ? { metric } : {}),
    scope: SCOPE_NAME[scope] ?? String(scope),
    ...(src ? { src: bytesToIp(src) } : {}),
    proto: PROTO_NAME.get(proto) ?? String(proto),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(advmss !== undefined ? { advmss } : {}),
    type: TYPES[type] ?? String(type),
    ...(b.readUInt32LE(8) & RTNH_F_ONLINK ? { onlink: true } : {}),
  };
}
