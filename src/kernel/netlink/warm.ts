// Start-up snapshot warm-up of the netlink backend (see src/cni/warm.ts for why): the requests an ADD
// and a DEL of a macvlan send, built and then decoded back as the kernel's replies would be; and a
// NetlinkKernel on a stand-in for the native addon, so the kernel's own methods run too. No socket,
// no addon, no kernel: nothing leaves the process, and nothing is kept.
import type { Kernel, Route } from '../types.js';
import type { Addon } from './addon.js';
import { addrIndex, addrReq, toAddress } from './addr.js';
import { classify } from './classify.js';
import { NetlinkKernel } from './kernel.js';
import { createLinkReq, delLinkReq, linkIndex, linkName, linkRefs, setLinkReq, toLink } from './link.js';
import { routeReq, toRoute } from './route.js';
import {
  attrStr,
  decodeError,
  IFLA,
  MsgWriter,
  NLM_F_ACK,
  NLMSG_ERROR,
  parseAttrs,
  RTM,
  splitMessages,
} from './rtnl.js';

const ENODEV = 19;

/** An error ack for `errno` (0: success), with an extended-ack text as the kernel sends. */
const ack = (errno: number) =>
  new MsgWriter(NLMSG_ERROR, NLM_F_ACK | 0x200)
    .i32(-errno)
    .u32(16)
    .u32(0)
    .u32(0)
    .u32(0)
    .attrStr(1, errno === 0 ? '' : 'warm-up')
    .finish(1);

/**
 * What a kernel would answer, without one: a link named "gone…" does not exist, a link query gets its
 * own request back as the link, every other request an ack.
 */
function answer(req: Buffer): Buffer {
  const [m] = splitMessages(req);
  if (m === undefined || (m.type !== RTM.GETLINK && m.type !== RTM.DELLINK)) return ack(0);
  if (attrStr(parseAttrs(m.body, 16).get(IFLA.IFNAME))?.startsWith('gone')) return ack(ENODEV);
  if (m.type === RTM.DELLINK) return ack(0);
  const link = Buffer.from(req);
  link.writeUInt16LE(RTM.NEWLINK, 4);
  return link;
}

const standIn: Addon = {
  socket: async () => 1000,
  close: () => undefined,
  transact: async (_fd, req) => answer(req),
  transactIn: async (_ns, req) => answer(req),
  sysctl: async () => '0',
  peerUid: () => 0,
};

/** A NetlinkKernel that talks to the stand-in above: for warm-ups only, it changes nothing anywhere. */
export const standInKernel = (): Kernel => new NetlinkKernel(standIn);

const decode = (build: (seq: number) => Buffer) => splitMessages(build(1));
const names = (i: number) => (i === 2 ? 'uplink0' : undefined);

export function warmNetlink(): void {
  const macvlan = { kind: 'macvlan', name: 'tlm0', master: 'uplink0', mode: 'bridge', mtu: 1500 } as const;
  const requests = [
    createLinkReq({ ...macvlan, mac: '02:00:00:00:00:01' }, { masterIndex: 2, targetFd: 9 }),
    createLinkReq({ kind: 'vlan', name: 'uplink0.100', master: 'uplink0', id: 100 }, { masterIndex: 2 }),
    setLinkReq({ name: 'eth0' }, { index: 3 }),
    setLinkReq({ up: true, mtu: 1500 }, { index: 3, masterIndex: 2 }),
    delLinkReq('eth0'),
  ];
  for (const req of requests) {
    for (const m of decode(req)) {
      linkRefs(m);
      toLink(m, names);
      linkIndex(m);
      linkName(m);
    }
  }
  for (const cidr of ['10.0.0.10/24', 'fd00::10/64']) {
    for (const m of decode(addrReq('add', 3, cidr, true))) toAddress(m, `eth${addrIndex(m) - 3}`);
    decode(addrReq('del', 3, cidr));
  }
  const routes: Route[] = [
    { family: 4, dst: '0.0.0.0/0', gw: '10.0.0.1', dev: 'eth0' },
    { family: 6, dst: 'fd01::/64', gw: 'fd00::1', metric: 100, table: 100, mtu: 1400 },
  ];
  for (const r of routes) {
    for (const m of decode(routeReq('append', r, 3))) toRoute(m, names);
    decode(routeReq('del', r, undefined));
  }
  for (const m of splitMessages(ack(17))) decodeError(m);
  classify(new Error('warm-up'), null, { what: 'link eth0', link: 'eth0' });
}
