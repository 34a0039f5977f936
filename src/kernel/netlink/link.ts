// RTM_*LINK requests and the decoding of RTM_NEWLINK into the Link shape iproute2's backend produces.
import type { Link, LinkChange, MacvlanMode, NewLink } from '../types.js';
import type { NlSocket } from './addon.js';
import {
  AF_UNSPEC,
  attrStr,
  attrU8,
  attrU16,
  attrU32,
  bytesToMac,
  IFF_UP,
  IFLA,
  IFLA_INFO,
  MsgWriter,
  macToBytes,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  type NlMsg,
  parseAttrs,
  RTM,
} from './rtnl.js';

const RTEXT_FILTER_VF = 1;
const RTEXT_FILTER_SKIP_STATS = 8;
const MACVLAN_MODE: Record<MacvlanMode, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };
const MACVLAN_NAME = new Map(Object.entries(MACVLAN_MODE).map(([k, v]) => [v, k as MacvlanMode]));
const OPERSTATE = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
// ifi_type → iproute2's link_type name, for links without a kind.
const ARPHRD: Record<number, string> = {
  1: 'ether',
  32: 'infiniband',
  768: 'ipip',
  769: 'tunnel6',
  776: 'sit',
  778: 'gre',
  823: 'gre6',
  772: 'loopback',
  65534: 'none',
  65535: 'void',
};

function ifinfo(w: MsgWriter, index = 0, flags = 0, change = 0): MsgWriter {
  return w.u8(AF_UNSPEC).u8(0).u16(0).i32(index).u32(flags).u32(change);
}

/** The link named `name`, or undefined (ENODEV is the caller's to map). */
export async function getLinkMsg(s: NlSocket, name: string): Promise<NlMsg | undefined> {
  const [m] = await s.request((seq) =>
    ifinfo(new MsgWriter(RTM.GETLINK, NLM_F_ACK))
      .attrStr(IFLA.IFNAME, name)
      .attrU32(IFLA.EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS)
      .finish(seq),
  );
  return m;
}

export async function getLinkByIndex(s: NlSocket, index: number): Promise<NlMsg | undefined> {
  const [m] = await s.request((seq) =>
    ifinfo(new MsgWriter(RTM.GETLINK, NLM_F_ACK), index)
      .attrU32(IFLA.EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS)
      .finish(seq),
  );
  return m;
}

export function dumpLinks(s: NlSocket): Promise<NlMsg[]> {
  return s.request((seq) =>
    ifinfo(new MsgWriter(RTM.GETLINK, NLM_F_DUMP))
      .attrU32(IFLA.EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS)
      .finish(seq),
  );
}

export const linkIndex = (m: NlMsg): number => m.body.readInt32LE(4);
export const linkName = (m: NlMsg): string => attrStr(parseAttrs(m.body, 16).get(IFLA.IFNAME)) ?? '';

/** The indexes toLink resolves to names: master and same-namespace parent. */
export function linkRefs(m: NlMsg): number[] {
  const a = parseAttrs(m.body, 16);
  const refs = [
    attrU32(a.get(IFLA.MASTER)),
    a.has(IFLA.LINK_NETNSID) ? undefined : attrU32(a.get(IFLA.LINK)),
  ];
  return refs.filter((i): i is number => i !== undefined && i !== 0);
}

/** Decodes RTM_NEWLINK; `nameOf` resolves indexes (master, same-namespace parent) to names. */
export function toLink(m: NlMsg, nameOf: (index: number) => string | undefined): Link {
  const b = m.body;
  const type = b.readUInt16LE(2);
  const index = b.readInt32LE(4);
  const flags = b.readUInt32LE(8);
  const a = parseAttrs(b, 16);
  const info = a.get(IFLA.LINKINFO) ? parseAttrs(a.get(IFLA.LINKINFO)!) : undefined;
  const kind = attrStr(info?.get(IFLA_INFO.KIND)) ?? ARPHRD[type] ?? 'unknown';
  const data = info?.get(IFLA_INFO.DATA) ? parseAttrs(info.get(IFLA_INFO.DATA)!) : undefined;
  const mac = a.get(IFLA.ADDRESS);
  const parentIndex = attrU32(a.get(IFLA.LINK));
  const master = attrU32(a.get(IFLA.MASTER));
  const txq = attrU32(a.get(IFLA.TXQLEN));
  const otherNs = a.has(IFLA.LINK_NETNSID);
  const link: Link = {
    index,
    name: attrStr(a.get(IFLA.IFNAME)) ?? '',
    kind,
    mac: mac ? bytesToMac(mac) : '',
    mtu: attrU32(a.get(IFLA.MTU)) ?? 0,
    up: (flags & IFF_UP) !== 0,
    operState: OPERSTATE[attrU8(a.get(IFLA.OPERSTATE)) ?? 0] ?? 'UNKNOWN',
  };
  if (master) {
    const n = nameOf(master);
    if (n !== undefined) link.master = n;
  }
  if (parentIndex) {
    link.parentIndex = parentIndex;
    if (!otherNs) {
      const n = nameOf(parentIndex);
      if (n !== undefined) link.parent = n;
    }
  }
  if (txq !== undefined) link.txQueueLen = txq;
  if (kind === 'macvlan') {
    const mode = MACVLAN_NAME.get(attrU32(data?.get(1)) ?? 0);
    if (mode) link.macvlanMode = mode;
  } else if (kind === 'vlan') {
    const id = attrU16(data?.get(1));
    if (id !== undefined) link.vlanId = id;
    const proto = data?.get(5);
    if (proto && proto.length >= 2)
      link.vlanProtocol = proto.readUInt16BE(0) === 0x88a8 ? '802.1ad' : '802.1Q';
  }
  return link;
}

/** Everything a create request needs resolved beforehand (indexes in the socket's namespace, ns fds). */
interface CreateRefs {
  masterIndex?: number;
  /** fd of the namespace the link (macvlan) or the veth peer is created in. */
  targetFd?: number;
}

/** RTM_NEWLINK for a kind the netlink backend creates itself (bond goes to iproute2). */
export function createLinkReq(spec: Exclude<NewLink, { kind: 'bond' }>, refs: CreateRefs) {
  return (seq: number): Buffer => {
    const w = ifinfo(new MsgWriter(RTM.NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
    w.attrStr(IFLA.IFNAME, spec.name);
    if (refs.masterIndex !== undefined) w.attrU32(IFLA.LINK, refs.masterIndex);
    if ('mac' in spec && spec.mac !== undefined) w.attr(IFLA.ADDRESS, macToBytes(spec.mac));
    if (spec.mtu !== undefined) w.attrU32(IFLA.MTU, spec.mtu);
    if (spec.kind === 'macvlan' && refs.targetFd !== undefined) w.attrU32(IFLA.NET_NS_FD, refs.targetFd);
    w.begin(IFLA.LINKINFO).attrStr(IFLA_INFO.KIND, spec.kind);
    switch (spec.kind) {
      case 'macvlan':
        w.begin(IFLA_INFO.DATA).attrU32(1, MACVLAN_MODE[spec.mode]).end();
        break;
      case 'vlan':
        w.begin(IFLA_INFO.DATA)
          .attrU16(1, spec.id)
          .attrBe16(5, spec.protocol === '802.1ad' ? 0x88a8 : 0x8100)
          .end();
        break;
      case 'bridge':
        if (spec.vlanFiltering !== undefined) {
          w.begin(IFLA_INFO.DATA)
            .attrU8(7, spec.vlanFiltering ? 1 : 0)
            .end();
        }
        break;
      case 'veth': {
        // VETH_INFO_PEER carries a whole ifinfomsg plus the peer's attributes.
        w.begin(IFLA_INFO.DATA).begin(1);
        ifinfo(w);
        w.attrStr(IFLA.IFNAME, spec.peer);
        if (spec.peerMac !== undefined) w.attr(IFLA.ADDRESS, macToBytes(spec.peerMac));
        if (spec.mtu !== undefined) w.attrU32(IFLA.MTU, spec.mtu);
        if (refs.targetFd !== undefined) w.attrU32(IFLA.NET_NS_FD, refs.targetFd);
        w.end().end();
        break;
      }
    }
    w.end();
    return w.finish(seq);
  };
}

interface SetRefs {
  index: number;
  masterIndex?: number; // 0 = nomaster
  targetFd?: number;
}

/** One RTM_NEWLINK on an existing link, like `ip link set`: the kernel applies netns, name, MAC, MTU, master, flags. */
export function setLinkReq(c: LinkChange, refs: SetRefs) {
  return (seq: number): Buffer => {
    const up = c.up === undefined ? 0 : IFF_UP;
    const w = ifinfo(new MsgWriter(RTM.NEWLINK, NLM_F_ACK), refs.index, c.up ? IFF_UP : 0, up);
    if (refs.targetFd !== undefined) w.attrU32(IFLA.NET_NS_FD, refs.targetFd);
    if (c.name !== undefined) w.attrStr(IFLA.IFNAME, c.name);
    if (c.mac !== undefined) w.attr(IFLA.ADDRESS, macToBytes(c.mac));
    if (c.mtu !== undefined) w.attrU32(IFLA.MTU, c.mtu);
    if (c.txQueueLen !== undefined) w.attrU32(IFLA.TXQLEN, c.txQueueLen);
    if (refs.masterIndex !== undefined) w.attrU32(IFLA.MASTER, refs.masterIndex);
    return w.finish(seq);
  };
}

export function delLinkReq(name: string) {
  return (seq: number): Buffer =>
    ifinfo(new MsgWriter(RTM.DELLINK, NLM_F_ACK)).attrStr(IFLA.IFNAME, name).finish(seq);
}
