// Policy rules over netlink: RTM_NEWRULE/DELRULE requests with iproute2's defaults, and the
// RTM_GETRULE dump decoded as the iproute2 backend reads `ip -j rule show`: no process per listing. The coordinator lists a node's rules on every ADD and
// DEL, and an `ip` process forked from a busy agent cost more than the rest of the pod's kernel work.
import type { Rule } from '../types.js';
import { splitCidr } from './addr.js';
import { dumpByFamily } from './route.js';
import {
  AF_INET,
  AF_INET6,
  attrU32,
  bytesToIp,
  MsgWriter,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  type NlMsg,
  parseAttrs,
  RTM,
} from './rtnl.js';

const FRA = {
  DST: 1,
  SRC: 2,
  IIFNAME: 3,
  PRIORITY: 6,
  FWMARK: 10,
  TABLE: 15,
  FWMASK: 16,
  OIFNAME: 17,
} as const;

export function ruleReq(verb: 'add' | 'del', r: Rule) {
  const sel = (v: string | undefined) => (v === undefined || v === 'all' ? undefined : splitCidr(v));
  const from = sel(r.from);
  const to = sel(r.to);
  return (seq: number): Buffer => {
    const w = new MsgWriter(
      verb === 'add' ? RTM.NEWRULE : RTM.DELRULE,
      verb === 'add' ? NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_ACK,
    )
      .u8(r.family === 6 ? AF_INET6 : AF_INET)
      .u8(to?.len ?? 0)
      .u8(from?.len ?? 0)
      .u8(0)
      .u8(r.table < 256 ? r.table : 0)
      .u8(0)
      .u8(0)
      .u8(verb === 'add' ? 1 : 0) // FR_ACT_TO_TBL
      .u32(0);
    if (from) w.attr(FRA.SRC, from.ip);
    if (to) w.attr(FRA.DST, to.ip);
    if (r.iif !== undefined) w.attrStr(FRA.IIFNAME, r.iif);
    if (r.oif !== undefined) w.attrStr(FRA.OIFNAME, r.oif);
    if (r.fwmark !== undefined) {
      const [mark = '', mask] = r.fwmark.split('/');
      w.attrU32(FRA.FWMARK, Number(mark));
      if (mask !== undefined) w.attrU32(FRA.FWMASK, Number(mask));
    }
    if (r.priority !== undefined) w.attrU32(FRA.PRIORITY, r.priority);
    w.attrU32(FRA.TABLE, r.table);
    return w.finish(seq);
  };
}

export function dumpRules(s: Parameters<typeof dumpByFamily>[0], family: 4 | 6): Promise<NlMsg[]> {
  return dumpByFamily(s, RTM.GETRULE, family);
}

const text = (b: Buffer | undefined) =>
  b === undefined ? undefined : b.toString('utf8').replace(/\0+$/, '');
const hex = (n: number) => `0x${n.toString(16)}`;

/** fib_rule_hdr (family, dst_len, src_len, tos, table, res1, res2, action, flags) + FRA_* attributes. */
export function toRule(m: NlMsg, family: 4 | 6): Rule | undefined {
  const b = m.body;
  if (b.readUInt8(0) !== (family === 6 ? AF_INET6 : AF_INET)) return undefined;
  const a = parseAttrs(b, 12);
  const sel = (attr: Buffer | undefined, len: number) =>
    attr === undefined ? undefined : `${bytesToIp(attr)}/${len}`;
  const from = sel(a.get(FRA.SRC), b.readUInt8(2));
  const to = sel(a.get(FRA.DST), b.readUInt8(1));
  const iif = text(a.get(FRA.IIFNAME));
  const oif = text(a.get(FRA.OIFNAME));
  const mark = attrU32(a.get(FRA.FWMARK));
  const mask = attrU32(a.get(FRA.FWMASK));
  // The kernel sends no FRA_PRIORITY for priority 0 (the local table's rule); iproute2 prints 0.
  const priority = attrU32(a.get(FRA.PRIORITY)) ?? 0;
  // As iproute2 prints them: the mark when either is set, the mask only when it is not all ones.
  const fwmark =
    (mark ?? 0) !== 0 || (mask ?? 0) !== 0
      ? `${hex(mark ?? 0)}${mask !== undefined && mask !== 0xffffffff ? `/${hex(mask)}` : ''}`
      : undefined;
  return {
    family,
    priority,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(iif !== undefined ? { iif } : {}),
    ...(oif !== undefined ? { oif } : {}),
    ...(fwmark !== undefined ? { fwmark } : {}),
    table: attrU32(a.get(FRA.TABLE)) ?? b.readUInt8(4),
  };
}
