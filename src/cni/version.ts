// Result conversion between the 0.1/0.2 (ip4/ip6), 0.3.x/0.4.0 (ips[].version) and 1.x formats.
// The canonical in-memory form is 1.x; a plugin prints in the version it was called with. The JSON
// produced matches the Go library's marshalling (e.g. "dns":{} is always present).

import { tryCidr } from '../net/cidr.js';
import { familyOf, parseIp } from '../net/ip.js';
import { decodeFailure, incompatibleVersion } from './errors.js';
import type { Dns, Interface, IpConfig, Result, Route } from './types.js';
import { SUPPORTED_VERSIONS } from './types.js';

type Rec = Record<string, unknown>;

function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Compares dotted versions numerically: <0, 0, >0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function assertSupported(v: string): void {
  if (!isSupportedVersion(v)) {
    throw incompatibleVersion(
      `incompatible CNI versions; config is "${v}", plugin supports ${JSON.stringify(SUPPORTED_VERSIONS)}`,
    );
  }
}

const isLegacy = (v: string) => compareVersions(v, '0.3.0') < 0;
const is1x = (v: string) => compareVersions(v, '1.0.0') >= 0;
const has11 = (v: string) => compareVersions(v, '1.1.0') >= 0;

function obj(x: unknown, what: string): Rec {
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    throw decodeFailure(`${what}: expected an object`);
  return x as Rec;
}
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);

// As Go's types decode them (an IPNet by ParseCIDR, an IP by ParseIP): a result whose addresses are
// not addresses fails to decode (code 6) rather than failing later inside a plugin.
function cidrField(text: string, what: string): string {
  if (tryCidr(text) === undefined)
    throw decodeFailure(
      `${what}: "${text}" is not a CIDR`,
      'expected an address with a prefix, e.g. 10.1.0.5/24',
    );
  return text;
}

function ipField(text: string, what: string): string {
  if (parseIp(text) === undefined)
    throw decodeFailure(`${what}: "${text}" is not an IP address`, 'expected e.g. 10.1.0.1 or fd00::1');
  return text;
}

function decodeRoute(r: unknown): Route {
  const o = obj(r, 'route');
  const dst = str(o['dst']);
  if (!dst) throw decodeFailure('route: missing "dst"');
  const route: Route = { dst: cidrField(dst, 'route dst') };
  const gw = str(o['gw']);
  if (gw) route.gw = ipField(gw, 'route gw');
  for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const n = num(o[k]);
    if (n !== undefined) route[k] = n;
  }
  return route;
}

function decodeDns(d: unknown): Dns | undefined {
  if (d === undefined || d === null) return undefined;
  const o = obj(d, 'dns');
  const dns: Dns = {};
  const arr = (x: unknown) => (Array.isArray(x) && x.length > 0 ? x.map(String) : undefined);
  if (arr(o['nameservers'])) dns.nameservers = arr(o['nameservers'])!;
  if (str(o['domain'])) dns.domain = str(o['domain'])!;
  if (arr(o['search'])) dns.search = arr(o['search'])!;
  if (arr(o['options'])) dns.options = arr(o['options'])!;
  return Object.keys(dns).length > 0 ? dns : undefined;
}

/** Any supported version → canonical 1.x form (cniVersion kept as the source version). */
export function decodeResult(raw: unknown, version?: string): Result {
  const o = obj(raw, 'result');
  const v = version ?? str(o['cniVersion']) ?? '0.1.0';
  const out: Result = { cniVersion: v };
  const dns = decodeDns(o['dns']);
  if (dns) out.dns = dns;
  if (isLegacy(v)) {
    const ips: IpConfig[] = [];
    const routes: Route[] = [];
    for (const key of ['ip4', 'ip6'] as const) {
      if (o[key] === undefined || o[key] === null) continue;
      const ipc = obj(o[key], key);
      const address = str(ipc['ip']);
      if (!address) throw decodeFailure(`${key}: missing "ip"`);
      const gateway = str(ipc['gateway']);
      ips.push({
        address: cidrField(address, `${key} ip`),
        ...(gateway ? { gateway: ipField(gateway, `${key} gateway`) } : {}),
      });
      if (Array.isArray(ipc['routes'])) routes.push(...ipc['routes'].map(decodeRoute));
    }
    if (ips.length) out.ips = ips;
    if (routes.length) out.routes = routes;
    return out;
  }
  if (Array.isArray(o['interfaces'])) {
    out.interfaces = o['interfaces'].map((i): Interface => {
      const io = obj(i, 'interface');
      const itf: Interface = { name: String(io['name'] ?? '') };
      for (const k of ['mac', 'sandbox', 'socketPath', 'pciID'] as const)
        if (str(io[k])) itf[k] = str(io[k])!;
      if (num(io['mtu'])) itf.mtu = num(io['mtu'])!;
      return itf;
    });
  }
  if (Array.isArray(o['ips'])) {
    out.ips = o['ips'].map((i): IpConfig => {
      const io = obj(i, 'ip');
      const address = str(io['address']);
      if (!address) throw decodeFailure('ips: missing "address"');
      const ipc: IpConfig = { address: cidrField(address, 'ips address') };
      const gateway = str(io['gateway']);
      if (gateway) ipc.gateway = ipField(gateway, 'ips gateway');
      if (num(io['interface']) !== undefined) ipc.interface = num(io['interface'])!;
      return ipc;
    });
  }
  if (Array.isArray(o['routes'])) out.routes = o['routes'].map(decodeRoute);
  return out;
}

function encodeRoute(r: Route, v: string): Rec {
  const o: Rec = { dst: r.dst };
  if (r.gw) o['gw'] = r.gw;
  if (has11(v))
    for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const)
      if (r[k] !== undefined) o[k] = r[k];
  return o;
}

const encodeDns = (d: Dns | undefined): Rec => ({ ...(d ?? {}) });

/** Canonical → the wire form of `version`. */
export function encodeResult(r: Result, version: string): Rec {
  assertSupported(version);
  if (isLegacy(version)) {
    const out: Rec = { cniVersion: version };
    for (const fam of [4, 6] as const) {
      const ip = (r.ips ?? []).find((i) => familyOf(i.address) === fam);
      if (!ip) continue;
      const routes = (r.routes ?? [])
        .filter((rt) => familyOf(rt.dst) === fam)
        .map((rt) => encodeRoute(rt, version));
      out[fam === 4 ? 'ip4' : 'ip6'] = {
        ip: ip.address,
        ...(ip.gateway ? { gateway: ip.gateway } : {}),
        ...(routes.length ? { routes } : {}),
      };
    }
    out['dns'] = encodeDns(r.dns);
    return out;
  }
  const out: Rec = { cniVersion: version };
  if (r.interfaces?.length) {
    out['interfaces'] = r.interfaces.map((i) => {
      const o: Rec = { name: i.name };
      if (i.mac) o['mac'] = i.mac;
      if (has11(version) && i.mtu) o['mtu'] = i.mtu;
      if (i.sandbox) o['sandbox'] = i.sandbox;
      if (has11(version) && i.socketPath) o['socketPath'] = i.socketPath;
      if (has11(version) && i.pciID) o['pciID'] = i.pciID;
      return o;
    });
  }
  if (r.ips?.length) {
    out['ips'] = r.ips.map((i) => {
      const o: Rec = {};
      if (!is1x(version)) o['version'] = String(familyOf(i.address));
      if (i.interface !== undefined) o['interface'] = i.interface;
      o['address'] = i.address;
      if (i.gateway) o['gateway'] = i.gateway;
      return o;
    });
  }
  if (r.routes?.length) out['routes'] = r.routes.map((rt) => encodeRoute(rt, version));
  out['dns'] = encodeDns(r.dns);
  return out;
}

/** Re-targets a result to another version through the canonical form. */
export function convertResult(raw: unknown, from: string, to: string): Rec {
  return encodeResult(decodeResult(raw, from), to);
}
