// One NIC's entry in a SpiderEndpoint, from what the ADD handed out: each family's address with its
// prefix, pool and gateway, the NIC's non-default routes, the pool's VLAN, and cleanGateway as
// Spiderpool records them (the default route is derived from gateway and cleanGateway).
import type { EndpointNic, SpiderEndpoint, SpiderIPPool } from '../cluster/types.js';
import type { Allocation } from '../store/types.js';
import type { Family } from './ranges.js';
import type { IpamResult } from './result.js';
import type { Sticky } from './sticky.js';

const DEFAULT_DST = new Set(['0.0.0.0/0', '::/0']);

export function nicDetail(
  ifname: string,
  allocations: readonly Allocation[],
  result: IpamResult,
  pools: ReadonlyMap<string, SpiderIPPool>,
  cleanGateway: boolean,
): EndpointNic {
  const nic: EndpointNic = { interface: ifname, vlan: 0 };
  let gateway = false;
  for (const a of allocations) {
    const pool = pools.get(a.pool);
    const address = result.ips.find((i) => i.address.split('/')[0] === a.ip)?.address ?? a.ip;
    const gw = pool?.spec.gateway;
    if (a.family === 4)
      Object.assign(nic, { ipv4: address, ipv4Pool: a.pool }, gw ? { ipv4Gateway: gw } : {});
    else Object.assign(nic, { ipv6: address, ipv6Pool: a.pool }, gw ? { ipv6Gateway: gw } : {});
    if (gw) gateway = true;
    if (pool?.spec.vlan) nic.vlan = pool.spec.vlan;
  }
  if (gateway) nic.cleanGateway = cleanGateway;
  const routes = result.routes
    .filter((r) => r.gw !== undefined && !DEFAULT_DST.has(r.dst))
    .map((r) => ({ dst: r.dst, gw: r.gw! }));
  if (routes.length > 0) nic.routes = routes;
  return nic;
}

/** The addresses an endpoint records for one NIC, per family. */
export function recorded(ep: SpiderEndpoint, ifname: string): Sticky['addresses'] {
  const nic = ep.status.current.ips.find((i) => i.interface === ifname);
  if (nic === undefined) return [];
  const out: Sticky['addresses'] = [];
  const bare = (a: string) => a.split('/')[0]!;
  const push = (family: Family, ip: string | undefined, pool: string | undefined) => {
    if (ip && pool) out.push({ family, ip: bare(ip), pool });
  };
  push(4, nic.ipv4, nic.ipv4Pool);
  push(6, nic.ipv6, nic.ipv6Pool);
  return out;
}
