// From held addresses to the CNI IPAM result: each address with its pool's prefix length and gateway,
// the pool's routes, the pod's `ipam.spidernet.io/routes` whose gateway lies in that pool's subnet
// (as Spiderpool assigns custom routes to NICs), and a default route via the gateway unless the
// pod's `cleangateway` asks to leave it out.

import type { SpiderIPPool } from '../cluster/types.js';
import type { IpConfig, Route } from '../cni/types.js';
import { BITS } from '../store/ip.js';
import type { Allocation } from '../store/types.js';
import { type Cidr, parseCidr, parseIp } from './ranges.js';

export interface IpamResult {
  ips: IpConfig[];
  routes: Route[];
}

function within(subnet: Cidr | undefined, ip: string): boolean {
  const a = parseIp(ip);
  return (
    subnet !== undefined &&
    a !== undefined &&
    a.family === subnet.family &&
    a.value >= subnet.network &&
    a.value <= subnet.broadcast
  );
}

export function buildResult(
  allocations: readonly Allocation[],
  pools: ReadonlyMap<string, SpiderIPPool>,
  opts: { cleanGateway?: boolean; customRoutes?: readonly { dst: string; gw: string }[] } = {},
): IpamResult {
  const ips: IpConfig[] = [];
  const routes: Route[] = [];
  const defaults: Route[] = [];
  const custom = [...(opts.customRoutes ?? [])];
  const ordered = [...allocations].sort((a, b) => a.family - b.family);
  for (const a of ordered) {
    const pool = pools.get(a.pool);
    let subnet: Cidr | undefined;
    try {
      subnet = pool === undefined ? undefined : parseCidr(pool.spec.subnet);
    } catch {
      subnet = undefined;
    }
    // A pool deleted since the address was handed out: the address still belongs to the holder.
    const prefix = subnet?.prefix ?? BITS[a.family];
    const gateway = pool?.spec.gateway;
    ips.push({ address: `${a.ip}/${prefix}`, ...(gateway ? { gateway } : {}) });
    for (const r of pool?.spec.routes ?? []) routes.push({ dst: r.dst, gw: r.gw });
    for (let i = 0; i < custom.length; i++) {
      const r = custom[i]!;
      if (within(subnet, r.gw)) {
        routes.push({ dst: r.dst, gw: r.gw });
        custom.splice(i--, 1);
      }
    }
    if (gateway && !opts.cleanGateway)
      defaults.push({ dst: a.family === 4 ? '0.0.0.0/0' : '::/0', gw: gateway });
  }
  return { ips, routes: [...routes, ...defaults] };
}
