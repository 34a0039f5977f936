// RTM_NEWNEIGH: a permanent (or given-state) neighbour entry, as `ip neigh replace` sends it.
import type { Neighbour } from '../types.js';
import {
  AF_INET,
  AF_INET6,
  ipToBytes,
  MsgWriter,
  macToBytes,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_REPLACE,
  RTM,
} from './rtnl.js';

const NUD: Record<string, number> = {
  incomplete: 0x01,
  reachable: 0x02,
  stale: 0x04,
  delay: 0x08,
  probe: 0x10,
  failed: 0x20,
  noarp: 0x40,
  permanent: 0x80,
  none: 0x00,
};

export function neighReq(n: Neighbour, index: number) {
  const state = NUD[(n.state ?? 'permanent').toLowerCase()];
  if (state === undefined) throw new Error(`unknown neighbour state "${n.state}"`);
  return (seq: number): Buffer =>
    new MsgWriter(RTM.NEWNEIGH, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
      .u8(n.family === 6 ? AF_INET6 : AF_INET)
      .u8(0)
      .u16(0)
      .u32(index)
      .u16(state)
      .u8(0)
      .u8(0)
      .attr(1, ipToBytes(n.ip)) // NDA_DST
      .attr(2, macToBytes(n.mac)) // NDA_LLADDR
      .finish(seq);
}
