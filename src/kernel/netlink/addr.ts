// RTM_*ADDR requests and decoding, with iproute2's defaults (IPv4 broadcast for prefixes < /31, as
// the reference plugins' netlink library sets it).
import type { Address } from '../types.js';
import type { NlSocket } from './addon.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  attrU32,
  bytesToIp,
  ipToBytes,
  MsgWriter,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  type NlMsg,
  parseAttrs,
  RTM,
} from './rtnl.js';

const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4, FLAGS: 8 } as const;
const IFA_F_NODAD = 0x02;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

export const SCOPE_NAME: Record<number, string> = {
  0: 'global',
  200: 'site',
  253: 'link',
  254: 'host',
  255: 'nowhere',
};

export function splitCidr(cidr: string): { ip: Buffer; len: number; family: 4 | 6 } {
  const [addr = '', l] = cidr.split('/');
  const ip = ipToBytes(addr);
  const family = ip.length === 4 ? 4 : 6;
  const len = l === undefined ? ip.length * 8 : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > ip.length * 8)
    throw new Error(`invalid prefix length in ${cidr}`);
  return { ip, len, family };
}

function broadcast(ip: Buffer, len: number): Buffer {
  const out = Buffer.from(ip);
  const host = (0xffffffff >>> len) >>> 0;
  out.writeUInt32BE((out.readUInt32BE(0) | host) >>> 0, 0);
  return out;
}

export function addrReq(verb: 'add' | 'del', index: number, cidr: string, noDad?: boolean) {
  const { ip, len, family } = splitCidr(cidr);
  return (seq: number): Buffer => {
    const flags = verb === 'add' ? NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_ACK;
    const w = new MsgWriter(verb === 'add' ? RTM.NEWADDR : RTM.DELADDR, flags)
      .u8(family === 6 ? AF_INET6 : AF_INET)
      .u8(len)
      .u8(0)
      .u8(0)
      .u32(index);
    w.attr(IFA.LOCAL, ip).attr(IFA.ADDRESS, ip);
    if (verb === 'add' && family === 4 && len < 31) w.attr(IFA.BROADCAST, broadcast(ip, len));
    if (verb === 'add' && family === 6 && noDad) w.attrU32(IFA.FLAGS, IFA_F_NODAD);
    return w.finish(seq);
  };
}

export function dumpAddrs(s: NlSocket): Promise<NlMsg[]> {
  return s.request((seq) =>
    new MsgWriter(RTM.GETADDR, NLM_F_DUMP).u8(AF_UNSPEC).u8(0).u8(0).u8(0).u32(0).finish(seq),
  );
}

export const addrIndex = (m: NlMsg): number => m.body.readUInt32LE(4);

export function toAddress(m: NlMsg, ifname: string): Address | undefined {
  const b = m.body;
  const family = b.readUInt8(0) === AF_INET6 ? 6 : 4;
  const a = parseAttrs(b, 8);
  const ip = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS);
  if (!ip) return undefined;
  const flags = attrU32(a.get(IFA.FLAGS)) ?? b.readUInt8(2);
  return {
    ifname,
    family,
    cidr: `${bytesToIp(ip)}/${b.readUInt8(1)}`,
    scope: SCOPE_NAME[b.readUInt8(3)] ?? String(b.readUInt8(3)),
    ...(flags & IFA_F_TENTATIVE ? { tentative: true } : {}),
    ...(flags & IFA_F_DADFAILED ? { dadFailed: true } : {}),
  };
}
