// Applies an IPAM result to an interface inside a namespace, as the reference plugins' ConfigureIface
// does: enable IPv6 where needed, add addresses, bring the link up, wait for DAD when an IPv6 gateway
// will be used, then add routes (a route without gw takes the first gateway of its family).
import { CniError, Code } from '../../cni/errors.js';
import type { Result } from '../../cni/types.js';
import type { BatchOp, Kernel } from '../../kernel/types.js';
import { splitCidr } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';

const DAD_TIMEOUT_MS = 5_000;

async function settleAddresses(kernel: Kernel, ns: string, ifname: string): Promise<void> {
  const deadline = Date.now() + DAD_TIMEOUT_MS;
  for (;;) {
    const addrs = await kernel.listAddrs(ns, ifname);
    const failed = addrs.find((a) => a.dadFailed);
    if (failed)
      throw new CniError(Code.Internal, `DAD failed for ${failed.cidr} on ${ifname}: the address is in use`);
    if (!addrs.some((a) => a.family === 6 && a.tentative && a.scope !== 'link')) return;
    if (Date.now() > deadline) {
      throw new CniError(
        Code.TryAgainLater,
        `IPv6 addresses on ${ifname} still tentative after ${DAD_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function configureIface(
  kernel: Kernel,
  ns: string,
  ifname: string,
  result: Result,
  index = 0,
): Promise<void> {
  const ips = (result.ips ?? []).filter((i) => i.interface === index);
  if (ips.some((i) => familyOf(splitCidr(i.address).ip) === 6)) {
    for (const dev of ['lo', ifname]) {
      const key = `net/ipv6/conf/${dev}/disable_ipv6`;
      const cur = await kernel.sysctlGet(ns, key).catch(() => undefined);
      if (cur !== undefined && cur !== '0') await kernel.sysctlSet(ns, key, '0');
    }
  }
  let v4gw: string | undefined;
  let v6gw: string | undefined;
  const ops: BatchOp[] = [];
  for (const ip of ips) {
    ops.push({ op: 'addAddr', ifname, cidr: ip.address });
    if (ip.gateway) {
      if (familyOf(ip.gateway) === 4) v4gw ??= ip.gateway;
      else v6gw ??= ip.gateway;
    }
  }
  ops.push({ op: 'setLink', name: ifname, change: { up: true } });
  await kernel.batch(ns, ops);
  if (v6gw) await settleAddresses(kernel, ns, ifname);
  const routeOps: BatchOp[] = (result.routes ?? []).map((r) => {
    const fam = familyOf(splitCidr(r.dst).ip);
    const gw = r.gw ?? (fam === 4 ? v4gw : v6gw);
    return {
      op: 'addRoute',
      // Like the reference (RouteAddEcmp): a pod that already has a default route (an overlay eth0)
      // gets a second one rather than a failed ADD.
      append: true,
      route: {
        family: fam,
        dst: r.dst,
        dev: ifname,
        ...(gw ? { gw } : {}),
        ...(r.priority !== undefined ? { metric: r.priority } : {}),
        ...(r.table !== undefined ? { table: r.table } : {}),
        ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
        ...(r.advmss !== undefined ? { advmss: r.advmss } : {}),
      },
    };
  });
  if (routeOps.length > 0) await kernel.batch(ns, routeOps);
}

/** CHECK helper: every expected address is on the interface, every expected route is present. */
export async function validateExpected(
  kernel: Kernel,
  ns: string,
  ifname: string,
  result: Result,
): Promise<void> {
  const have = new Set((await kernel.listAddrs(ns, ifname)).map((a) => a.cidr));
  for (const ip of result.ips ?? []) {
    if (!have.has(ip.address)) {
      throw new CniError(
        Code.Internal,
        `address ${ip.address} not found on ${ifname}`,
        `found ${[...have].join(', ') || 'none'}`,
      );
    }
  }
  const routes = await kernel.listRoutes(ns, { table: 'all' });
  for (const r of result.routes ?? []) {
    const found = routes.some(
      (k) =>
        asCidr(k.dst) === asCidr(r.dst) &&
        (r.gw === undefined || k.gw === r.gw) &&
        (r.table === undefined || k.table === r.table),
    );
    if (!found)
      throw new CniError(Code.Internal, `route to ${r.dst}${r.gw ? ` via ${r.gw}` : ''} not found in ${ns}`);
  }
}

const asCidr = (dst: string): string =>
  dst.includes('/') ? dst : `${dst}/${familyOf(dst) === 4 ? 32 : 128}`;
