// One operation on an open socket: names resolved to indexes in the socket's namespace, one request,
// its failure classified into the typed errors of ../errors.ts. The NetlinkKernel runs these alone or,
// for a batch, one after another on the same socket.
import { closeSync, openSync } from 'node:fs';
import { LinkNotFound } from '../errors.js';
import type { BatchOp, Kernel, LinkChange, Neighbour, NetnsRef, Route, Rule } from '../types.js';
import { NetlinkError, type NlSocket } from './addon.js';
import { addrReq } from './addr.js';
import { classify, openNs } from './classify.js';
import { getLinkByIndex, getLinkMsg, linkIndex, linkName, linkRefs, setLinkReq } from './link.js';
import { neighReq } from './neigh.js';
import { routeReq } from './route.js';
import type { NlMsg } from './rtnl.js';
import { ruleReq } from './rule.js';

/** A descriptor for IFLA_NET_NS_FD: null = this process's own namespace; the caller closes it. */
export async function targetFd(dest: NetnsRef | undefined): Promise<number | undefined> {
  if (dest === undefined) return undefined;
  return dest === null ? openSync(`/proc/${process.pid}/ns/net`, 'r') : await openNs(dest);
}

export async function linkIndexOf(s: NlSocket, name: string): Promise<number> {
  try {
    const m = await getLinkMsg(s, name);
    if (m) return linkIndex(m);
  } catch (e) {
    if (!(e instanceof NetlinkError) || (e.code !== 'ENODEV' && e.code !== 'EINVAL'))
      throw classify(e, s.ns, { what: `link ${name}`, link: name });
  }
  throw new LinkNotFound(name, s.ns, { argv: [`netlink link ${name}`], errno: 'ENODEV' });
}

/** Names of the links `m` refers to (master, parent), looked up before decoding it. */
export async function nameResolver(s: NlSocket, m: NlMsg): Promise<(index: number) => string | undefined> {
  const names = new Map<number, string>();
  for (const i of linkRefs(m)) {
    try {
      const ref = await getLinkByIndex(s, i);
      if (ref) names.set(i, linkName(ref));
    } catch {}
  }
  return (i) => names.get(i);
}

export async function setLinkOn(
  s: NlSocket,
  name: string,
  change: LinkChange,
  fallback: Kernel,
): Promise<void> {
  if (change.bondOptions !== undefined) return fallback.setLink(s.ns, name, change);
  const index = await linkIndexOf(s, name);
  const masterIndex =
    change.master === null
      ? 0
      : change.master !== undefined
        ? await linkIndexOf(s, change.master)
        : undefined;
  const fd = await targetFd(change.netns);
  try {
    await s.request(
      setLinkReq(change, {
        index,
        ...(masterIndex !== undefined ? { masterIndex } : {}),
        ...(fd !== undefined ? { targetFd: fd } : {}),
      }),
    );
  } catch (e) {
    throw classify(e, s.ns, { what: `link ${change.name ?? name}`, link: name });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function addrOn(
  s: NlSocket,
  verb: 'add' | 'del',
  ifname: string,
  cidr: string,
  noDad?: boolean,
) {
  const index = await linkIndexOf(s, ifname);
  try {
    await s.request(addrReq(verb, index, cidr, noDad));
  } catch (e) {
    throw classify(e, s.ns, { what: `address ${cidr} on ${ifname}`, link: ifname });
  }
}

export async function routeOn(s: NlSocket, verb: 'add' | 'append' | 'replace' | 'del', r: Route) {
  const oif = r.dev !== undefined ? await linkIndexOf(s, r.dev) : undefined;
  const what = `route ${r.dst}${r.table !== undefined ? ` table ${r.table}` : ''}`;
  try {
    await s.request(routeReq(verb, r, oif));
  } catch (e) {
    throw classify(e, s.ns, { what, link: r.dev ?? '' });
  }
}

export async function ruleOn(s: NlSocket, verb: 'add' | 'del', r: Rule) {
  const what = `rule${r.priority !== undefined ? ` ${r.priority}` : ''} from ${r.from ?? 'all'} table ${r.table}`;
  try {
    await s.request(ruleReq(verb, r));
  } catch (e) {
    throw classify(e, s.ns, { what });
  }
}

export async function neighOn(s: NlSocket, n: Neighbour) {
  const index = await linkIndexOf(s, n.dev);
  try {
    await s.request(neighReq(n, index));
  } catch (e) {
    throw classify(e, s.ns, { what: `neighbour ${n.ip} on ${n.dev}`, link: n.dev });
  }
}

/** One step of a batch on the batch's socket (sysctl keys go through the addon, outside rtnetlink). */
export async function runOp(
  s: NlSocket,
  op: BatchOp,
  fallback: Kernel,
  sysctlSet: (key: string, value: string) => Promise<void>,
): Promise<void> {
  switch (op.op) {
    case 'addAddr':
      await addrOn(s, 'add', op.ifname, op.cidr, op.noDad);
      break;
    case 'delAddr':
      await addrOn(s, 'del', op.ifname, op.cidr);
      break;
    case 'setLink':
      await setLinkOn(s, op.name, op.change, fallback);
      break;
    case 'addRoute':
      await routeOn(s, op.append ? 'append' : 'add', op.route);
      break;
    case 'replaceRoute':
      await routeOn(s, 'replace', op.route);
      break;
    case 'delRoute':
      await routeOn(s, 'del', op.route);
      break;
    case 'addRule':
      await ruleOn(s, 'add', op.rule);
      break;
    case 'delRule':
      await ruleOn(s, 'del', op.rule);
      break;
    case 'setNeighbour':
      await neighOn(s, op.n);
      break;
    case 'sysctl':
      await sysctlSet(op.key, op.value);
      break;
  }
}
