import { LinkNotFound } from '../errors.js';
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
import {
  addrArgs,
  linkAddArgs,
  linkSetArgs,
  neighArgs,
  routeArgs,
  routeWhat,
  ruleArgs,
  ruleWhat,
} from './args.js';
import { runBatch } from './batch.js';
import { classify } from './classify.js';
import { checkNetnsPath, ipArgv, netnsPath } from './netns.js';
import { parseJson, toAddrs, toLink, toNeighbour, toRoute, toRule } from './parse.js';
import { run } from './run.js';
import { sysctlGet, sysctlSetMany } from './sysctl.js';

interface Ctx {
  what: string;
  link?: string;
  target?: string;
}

/** The Kernel on iproute2: one `ip` process per call (two for some listings), `ip -batch` for batches. */
export class Iproute2Kernel implements Kernel {
  private async ip(ns: NetnsRef, args: readonly string[], ctx: Ctx): Promise<string> {
    const argv = ipArgv(ns, args);
    const r = await run(argv);
    if (r.code !== 0) throw classify(r.stderr, { ns, argv, ...ctx });
    return r.stdout;
  }

  private async ipJson(ns: NetnsRef, args: readonly string[], ctx: Ctx) {
    return parseJson(await this.ip(ns, ['-j', ...args], ctx), args);
  }

  /** Resolve and check a namespace named as the destination of a link, so a bad path is NetnsNotFound. */
  private async target(ns: NetnsRef | undefined): Promise<string | undefined> {
    if (ns === undefined) return undefined;
    await checkNetnsPath(ns);
    return netnsPath(ns);
  }

  checkNetns(ns: NetnsRef): Promise<void> {
    return checkNetnsPath(ns);
  }

  async listLinks(ns: NetnsRef): Promise<Link[]> {
    return (await this.ipJson(ns, ['-d', 'link', 'show'], { what: 'links' })).map(toLink);
  }

  async getLink(ns: NetnsRef, name: string): Promise<Link> {
    const [j] = await this.ipJson(ns, ['-d', 'link', 'show', 'dev', name], {
      what: `link ${name}`,
      link: name,
    });
    if (j === undefined) throw new LinkNotFound(name, ns);
    return toLink(j);
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
    const dest = spec.kind === 'macvlan' ? spec.netns : spec.kind === 'veth' ? spec.peerNetns : undefined;
    const target = await this.target(dest);
    const master = spec.kind === 'macvlan' || spec.kind === 'vlan' ? spec.master : spec.name;
    await this.ip(ns, linkAddArgs(spec, target), {
      what: `link ${spec.name}`,
      link: master,
      ...(target !== undefined ? { target } : {}),
    });
  }

  async deleteLink(ns: NetnsRef, name: string): Promise<void> {
    await this.ip(ns, ['link', 'del', 'dev', name], { what: `link ${name}`, link: name });
  }

  async setLink(ns: NetnsRef, name: string, change: LinkChange): Promise<void> {
    const target = await this.target(change.netns);
    await this.ip(ns, linkSetArgs(name, change, target), {
      what: `link ${change.name ?? name}`,
      link: name,
      ...(target !== undefined ? { target } : {}),
    });
  }

  async listAddrs(ns: NetnsRef, ifname?: string): Promise<Address[]> {
    const dev = ifname !== undefined ? ['dev', ifname] : [];
    return toAddrs(
      await this.ipJson(ns, ['addr', 'show', ...dev], { what: 'addresses', link: ifname ?? '' }),
    );
  }

  async addAddr(ns: NetnsRef, ifname: string, cidr: string, opts: { noDad?: boolean } = {}): Promise<void> {
    await this.ip(ns, addrArgs('add', ifname, cidr, opts.noDad), {
      what: `address ${cidr} on ${ifname}`,
      link: ifname,
    });
  }

  async delAddr(ns: NetnsRef, ifname: string, cidr: string): Promise<void> {
    await this.ip(ns, addrArgs('del', ifname, cidr), { what: `address ${cidr} on ${ifname}`, link: ifname });
  }

  async listRoutes(ns: NetnsRef, opts: { family?: 4 | 6; table?: number | 'all' } = {}): Promise<Route[]> {
    const { family, table } = opts;
    if (family !== undefined) {
      const args = ['-d', `-${family}`, 'route', 'show', 'table', String(table ?? 'main')];
      const asked = table === 'all' ? undefined : (table ?? 254);
      return (await this.ipJson(ns, args, { what: 'routes' })).map((j) => toRoute(j, family, asked));
    }
    // Without a family, ip lists only IPv4 unless the table is "all"; list all and filter.
    const all = (await this.ipJson(ns, ['-d', 'route', 'show', 'table', 'all'], { what: 'routes' })).map(
      (j) => toRoute(j, undefined, undefined),
    );
    if (table === 'all') return all;
    const want = table === undefined || table === 254 ? undefined : table;
    return all.filter((r) => r.table === want);
  }

  async addRoute(ns: NetnsRef, route: Route): Promise<void> {
    await this.ip(ns, routeArgs('add', route), { what: routeWhat(route), link: route.dev ?? '' });
  }

  async replaceRoute(ns: NetnsRef, route: Route): Promise<void> {
    await this.ip(ns, routeArgs('replace', route), { what: routeWhat(route), link: route.dev ?? '' });
  }

  async delRoute(ns: NetnsRef, route: Route): Promise<void> {
    await this.ip(ns, routeArgs('del', route), { what: routeWhat(route), link: route.dev ?? '' });
  }

  async listRules(ns: NetnsRef, family: 4 | 6): Promise<Rule[]> {
    return (await this.ipJson(ns, [`-${family}`, 'rule', 'show'], { what: 'rules' })).map((j) =>
      toRule(j, family),
    );
  }

  async addRule(ns: NetnsRef, rule: Rule): Promise<void> {
    await this.ip(ns, [`-${rule.family}`, ...ruleArgs('add', rule)], { what: ruleWhat(rule) });
  }

  async delRule(ns: NetnsRef, rule: Rule): Promise<void> {
    await this.ip(ns, [`-${rule.family}`, ...ruleArgs('del', rule)], { what: ruleWhat(rule) });
  }

  async listNeighbours(ns: NetnsRef, ifname?: string): Promise<Neighbour[]> {
    const dev = ifname !== undefined ? ['dev', ifname] : [];
    const ctx = { what: 'neighbours', link: ifname ?? '' };
    return (await this.ipJson(ns, ['neigh', 'show', ...dev], ctx)).map((j) => toNeighbour(j, ifname));
  }

  async setNeighbour(ns: NetnsRef, n: Neighbour): Promise<void> {
    await this.ip(ns, neighArgs(n), { what: `neighbour ${n.ip} on ${n.dev}`, link: n.dev });
  }

  sysctlGet(ns: NetnsRef, key: string): Promise<string> {
    return sysctlGet(ns, key);
  }

  sysctlSet(ns: NetnsRef, key: string, value: string): Promise<void> {
    return sysctlSetMany(ns, [[key, value]]);
  }

  async batch(ns: NetnsRef, ops: BatchOp[]): Promise<void> {
    for (const op of ops) if (op.op === 'setLink') await this.target(op.change.netns);
    await runBatch(ns, ops);
  }
}
