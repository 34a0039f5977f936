// The `k8s.v1.cni.cncf.io/network-status` annotation built from delegate results, following the
// network-attachment-definition-client's CreateNetworkStatuses: a result with exactly one interface
// gives one entry; otherwise one entry per pod-side interface, so a delegate that created no
// interface in the pod (none listed) gets no entry at all.
import type { Dns, Result } from '../cni/types.js';
import type { Delegate } from './delegates.js';
import { isDefaultRoute } from './routes.js';

/** One entry, field names and order as the NPWG spec's NetworkStatus. */
export interface NetworkStatus {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  mtu?: number;
  default: boolean;
  dns: Dns;
  gateway?: string[];
  'device-info'?: unknown;
}

const addrOf = (cidr: string) => cidr.split('/')[0] ?? cidr;

function dnsOf(r: Result): Dns {
  const d = r.dns ?? {};
  return {
    ...(d.nameservers?.length ? { nameservers: d.nameservers } : {}),
    ...(d.domain ? { domain: d.domain } : {}),
    ...(d.search?.length ? { search: d.search } : {}),
    ...(d.options?.length ? { options: d.options } : {}),
  };
}

function entry(
  name: string,
  isDefault: boolean,
  dns: Dns,
  f: Partial<NetworkStatus>,
  deviceInfo: unknown,
): NetworkStatus {
  return {
    name,
    ...(f.interface ? { interface: f.interface } : {}),
    ...(f.ips?.length ? { ips: f.ips } : {}),
    ...(f.mac ? { mac: f.mac } : {}),
    ...(f.mtu ? { mtu: f.mtu } : {}),
    default: isDefault,
    dns,
    ...(f.gateway?.length ? { gateway: f.gateway } : {}),
    ...(deviceInfo !== undefined ? { 'device-info': deviceInfo } : {}),
  };
}

/** Status entries of one delegate; `deviceInfo` is its CNIDeviceInfoFile's content, if any. */
export function networkStatusFor(d: Delegate, result: Result, deviceInfo?: unknown): NetworkStatus[] {
  const dns = dnsOf(result);
  // A default route without "gw" (host-local's {"dst": "0.0.0.0/0"}) goes via the address's gateway.
  const ipGw = (fam: string) =>
    result.ips?.find((c) => c.gateway !== undefined && c.gateway.includes(':') === (fam === '6'))?.gateway;
  const gateway = (result.routes ?? [])
    .filter(isDefaultRoute)
    .map((r) => r.gw ?? ipGw(r.dst === '::/0' ? '6' : '4'))
    .filter((g): g is string => g !== undefined);
  const all = result.interfaces ?? [];
  const ips = result.ips ?? [];
  if (all.length === 1) {
    const i = all[0]!;
    const pod = i.sandbox !== undefined && i.sandbox !== '';
    return [
      entry(
        d.name,
        d.master,
        dns,
        {
          ...(pod ? { interface: i.name } : {}),
          ips: ips.map((c) => addrOf(c.address)),
          ...(pod && i.mac !== undefined ? { mac: i.mac } : {}),
          ...(pod && i.mtu !== undefined ? { mtu: i.mtu } : {}),
          gateway,
        },
        deviceInfo,
      ),
    ];
  }
  const ifaces = all.map((i, idx) => ({ ...i, idx })).filter((i) => i.sandbox);
  if (ifaces.length === 0) return [];
  // Several pod-side interfaces: the default one is the first with a gateway, else the first.
  const gwIdx = ips.find((c) => c.gateway !== undefined && c.interface !== undefined)?.interface;
  const defIdx = d.master ? (ifaces.some((i) => i.idx === gwIdx) ? gwIdx : ifaces[0]!.idx) : -1;
  const last = ifaces[ifaces.length - 1]!.idx;
  return ifaces.map((i) => {
    const mine = ips.filter((c) => c.interface === i.idx || (c.interface === undefined && i.idx === last));
    return entry(
      d.name,
      i.idx === defIdx,
      dns,
      {
        interface: i.name,
        ips: mine.map((c) => addrOf(c.address)),
        ...(i.mac !== undefined ? { mac: i.mac } : {}),
        ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
        gateway,
      },
      deviceInfo,
    );
  });
}

/** The whole annotation value's entries, delegate order; exactly one has default: true. */
export function buildNetworkStatus(
  items: ReadonlyArray<{ delegate: Delegate; result: Result; deviceInfo?: unknown }>,
): NetworkStatus[] {
  return items.flatMap(({ delegate, result, deviceInfo }) => networkStatusFor(delegate, result, deviceInfo));
}

/** The annotation value (a JSON list), as the plugin writes it. */
export function networkStatusAnnotation(entries: NetworkStatus[]): string {
  return JSON.stringify(entries);
}
