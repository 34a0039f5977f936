// The Kernel on rtnetlink through the native addon: no process per operation. A socket is opened
// inside the target namespace for each call (or batch) and closed after (a few microseconds; a
// shared socket would mix up concurrent requests' replies). Every socket, request and sysctl runs on
// the thread pool with its wait for replies bounded (timeoutMs), so a slow namespace or a huge dump
// stalls only its own caller, never the agent's other pods. What is not encoded here (bond creation
// and options, neighbour listings) goes to the iproute2 backend, which stays the fallback.
import { closeSync } from 'node:fs';
import { LinkNotFound } from '../errors.js';
import { Iproute2Kernel } from '../iproute2/kernel.js';
import { checkNetnsPath } from '../iproute2/netns.js';
import { sysctlPath } from '../iproute2/sysctl.js';
import type {
  Address,
  BatchOp,
  Kernel,
  Link,
  LinkChange,
  Neighbour,
  NetnsRef,
  NewLink,
  Route,
  Rule,
} from '../types.js';
import { type Addon, NETLINK_TIMEOUT_MS, NetlinkError, NlSocket } from './addon.js';
import { addrIndex, dumpAddrs, toAddress } from './addr.js';
import { checkPathLength, classify, socketError, sysctlError } from './classify.js';
import { createLinkReq, delLinkReq, dumpLinks, getLinkMsg, linkIndex, linkName, toLink } from './link.js';
import {
  addrOn,
  linkIndexOf,
  nameResolver,
  neighOn,
  routeOn,
  ruleOn,
  runOp,
  setLinkOn,
  targetFd,
} from './ops.js';
import { dumpRoutes, toRoute } from './route.js';
import type { NlMsg } from './rtnl.js';
import { dumpRules, toRule } from './rule.js';
import { Sockets } from './sockets.js';

export class NetlinkKernel implements Kernel {
  private readonly sockets: Sockets;

  /** `keepSockets`: for a process that lives for one call only (src/kernel/netlink/sockets.ts). */
  constructor(
    private readonly addon: Addon,
    readonly fallback: Kernel = new Iproute2Kernel(),
    private readonly timeoutMs = NETLINK_TIMEOUT_MS,
    keepSockets = false,
  ) {
    this.sockets = new Sockets(addon, timeoutMs, keepSockets);
  }

  /** Runs fn with a socket in ns, given back afterwards. */
  private async with<T>(ns: NetnsRef, fn: (s: NlSocket) => Promise<T> | T): Promise<T> {
    let s: NlSocket;
    checkPathLength(ns);
    try {
      s = await this.sockets.take(ns);
    } catch (e) {
      throw socketError(e, ns);
    }
    try {
      const out = await fn(s);
      this.sockets.give(ns, s);
      return out;
    } catch (e) {
      this.sockets.give(ns, s, e);
      throw e;
    }
  }

  checkNetns(ns: NetnsRef): Promise<void> {
    return checkNetnsPath(ns);
  }

  listLinks(ns: NetnsRef): Promise<Link[]> {
    return this.with(ns, async (s) => {
      const msgs = await dumpLinks(s);
      const names = new Map(msgs.map((m) => [linkIndex(m), linkName(m)]));
      const links = msgs.map((m) => toLink(m, (i) => names.get(i)));
      // Bond options are many and kernel-version dependent: take them from iproute2.
      return Promise.all(links.map((l) => (l.kind === 'bond' ? this.fallback.getLink(ns, l.name) : l)));
    });
  }

  getLink(ns: NetnsRef, name: string): Promise<Link> {
    return this.with(ns, async (s) => {
      let m: NlMsg | undefined;
      try {
        m = await getLinkMsg(s, name);
      } catch (e) {
        if (e instanceof NetlinkError && (e.code === 'ENODEV' || e.code === 'EINVAL')) m = undefined;
        else throw classify(e, ns, { what: `link ${name}`, link: name });
      }
      if (!m) throw new LinkNotFound(name, ns, { argv: [`netlink link ${name}`], errno: 'ENODEV' });
      const link = toLink(m, await nameResolver(s, m));
      return link.kind === 'bond' ? this.fallback.getLink(ns, name) : link;
    });
  }

  async findLink(ns: NetnsRef, name: string): Promise<Link | undefined> {
    try {
      return await this.getLink(ns, name);
    } catch (e) {
      if (e instanceof LinkNotFound) return undefined;
      throw e;
    }
  }

  async createLink(ns: NetnsRef, spec: NewLink): Promise<void> {
    if (spec.kind === 'bond') return this.fallback.createLink(ns, spec);
    const dest = spec.kind === 'macvlan' ? spec.netns : spec.kind === 'veth' ? spec.peerNetns : undefined;
    // null = this process's own namespace (a veth peer on the host), which differs from `ns` here.
    const fd = await targetFd(dest);
    try {
      await this.with(ns, async (s) => {
        const master = spec.kind === 'macvlan' || spec.kind === 'vlan' ? spec.master : undefined;
        const masterIndex = master !== undefined ? await linkIndexOf(s, master) : undefined;
        try {
          await s.request(
            createLinkReq(spec, {
              ...(masterIndex !== undefined ? { masterIndex } : {}),
              ...(fd !== undefined ? { targetFd: fd } : {}),
            }),
          );
        } catch (e) {
          throw classify(e, ns, { what: `link ${spec.name}`, link: master ?? spec.name });
        }
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** One job on the thread pool, queued before this returns (a DEL overlaps it with its IPAM's). */
  async deleteLink(ns: NetnsRef, name: string): Promise<void> {
    checkPathLength(ns);
    try {
      await NlSocket.requestIn(this.addon, ns, delLinkReq(name), this.timeoutMs);
    } catch (e) {
      if ((e as { syscall?: unknown }).syscall === 'socket') throw socketError(e, ns);
      if (e instanceof NetlinkError && e.code === 'EINVAL' && name.length > 15) {
        throw new LinkNotFound(name, ns, { argv: [`netlink link ${name}`], errno: e.code, cause: e });
      }
      throw classify(e, ns, { what: `link ${name}`, link: name });
    }
  }

  setLink(ns: NetnsRef, name: string, change: LinkChange): Promise<void> {
    return this.with(ns, (s) => setLinkOn(s, name, change, this.fallback));
  }

  listAddrs(ns: NetnsRef, ifname?: string): Promise<Address[]> {
    return this.with(ns, async (s) => {
      const only = ifname !== undefined ? await linkIndexOf(s, ifname) : undefined;
      // Grouped by link in link order, as `ip addr show` prints them (the dump is by family first).
      const order =
        only === undefined
          ? (await dumpLinks(s)).map((m) => [linkIndex(m), linkName(m)] as const)
          : [[only, ifname!] as const];
      const byLink = new Map<number, Address[]>(order.map(([i]) => [i, []]));
      const names = new Map(order);
      for (const m of await dumpAddrs(s)) {
        const list = byLink.get(addrIndex(m));
        const a = list && toAddress(m, names.get(addrIndex(m)) ?? '');
        if (a) list.push(a);
      }
      return [...byLink.values()].flat();
    });
  }

  addAddr(ns: NetnsRef, ifname: string, cidr: string, opts: { noDad?: boolean } = {}): Promise<void> {
    return this.with(ns, (s) => addrOn(s, 'add', ifname, cidr, opts.noDad));
  }

  delAddr(ns: NetnsRef, ifname: string, cidr: string): Promise<void> {
    return this.with(ns, (s) => addrOn(s, 'del', ifname, cidr));
  }

  listRoutes(ns: NetnsRef, opts: { family?: 4 | 6; table?: number | 'all' } = {}): Promise<Route[]> {
    return this.with(ns, async (s) => {
      const names = new Map((await dumpLinks(s)).map((m) => [linkIndex(m), linkName(m)]));
      const all: Route[] = [];
      for (const m of await dumpRoutes(s, opts.family)) {
        const r = toRoute(m, (i) => names.get(i));
        if (r) all.push(r);
      }
      if (opts.table === 'all') return all;
      const want = opts.table === undefined || opts.table === 254 ? undefined : opts.table;
      return all.filter((r) => r.table === want);
    });
  }

  addRoute(ns: NetnsRef, route: Route): Promise<void> {
    return this.with(ns, (s) => routeOn(s, 'add', route));
  }
  replaceRoute(ns: NetnsRef, route: Route): Promise<void> {
    return this.with(ns, (s) => routeOn(s, 'replace', route));
  }
  delRoute(ns: NetnsRef, route: Route): Promise<void> {
    return this.with(ns, (s) => routeOn(s, 'del', route));
  }

  listRules(ns: NetnsRef, family: 4 | 6): Promise<Rule[]> {
    return this.with(ns, async (s) => (await dumpRules(s, family)).flatMap((m) => toRule(m, family) ?? []));
  }
  addRule(ns: NetnsRef, rule: Rule): Promise<void> {
    return this.with(ns, (s) => ruleOn(s, 'add', rule));
  }
  delRule(ns: NetnsRef, rule: Rule): Promise<void> {
    return this.with(ns, (s) => ruleOn(s, 'del', rule));
  }

  listNeighbours(ns: NetnsRef, ifname?: string): Promise<Neighbour[]> {
    return this.fallback.listNeighbours(ns, ifname);
  }

  setNeighbour(ns: NetnsRef, n: Neighbour): Promise<void> {
    return this.with(ns, (s) => neighOn(s, n));
  }

  async sysctlGet(ns: NetnsRef, key: string): Promise<string> {
    const path = sysctlPath(key);
    checkPathLength(ns);
    try {
      return ((await this.addon.sysctl(ns, `/proc/sys/${path}`)) ?? '').replace(/\n$/, '');
    } catch (e) {
      throw sysctlError(e, ns, path);
    }
  }

  async sysctlSet(ns: NetnsRef, key: string, value: string): Promise<void> {
    const path = sysctlPath(key);
    checkPathLength(ns);
    try {
      await this.addon.sysctl(ns, `/proc/sys/${path}`, value);
    } catch (e) {
      throw sysctlError(e, ns, path);
    }
  }

  /** In order, one socket for the whole batch; stops at the first failure like `ip -batch`. */
  async batch(ns: NetnsRef, ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.with(ns, async (s) => {
      for (const op of ops) {
        await runOp(s, op, this.fallback, (key, value) => this.sysctlSet(ns, key, value));
      }
    });
  }
}
