// Spiderpool's pod and namespace annotations, parsed strictly: a malformed annotation is an error
// naming the pod and the annotation rather than silently falling through to another rule.

import { assertShallow } from '../cni/conf.js';
import { errorText, invalidConfig } from '../cni/errors.js';
import { tryCidr } from '../net/cidr.js';
import { parseIpOf } from '../net/ip.js';

export const ANNO_POD_IPPOOLS = 'ipam.spidernet.io/ippools';
export const ANNO_POD_IPPOOL = 'ipam.spidernet.io/ippool';
export const ANNO_POD_ROUTES = 'ipam.spidernet.io/routes';
export const ANNO_NS_DEFAULT_V4 = 'ipam.spidernet.io/default-ipv4-ippool';
const ANNO_NS_DEFAULT_V6 = 'ipam.spidernet.io/default-ipv6-ippool';
// Spelling of Spiderpool before v0.4; still found in old manifests.
const ANNO_NS_LEGACY_V4 = 'ipam.spidernet.io/defaultv4ippool';
const ANNO_NS_LEGACY_V6 = 'ipam.spidernet.io/defaultv6ippool';

export interface PoolNames {
  ipv4: string[];
  ipv6: string[];
  cleanGateway: boolean;
  /** Present for `ippools` entries (required) and legacy `ippool` values that carry one. */
  interface?: string;
}

function bad(where: string, annotation: string, msg: string, cause?: unknown) {
  return invalidConfig(`${where}: annotation ${annotation}: ${msg}`, undefined, { cause });
}

function parseJson(where: string, annotation: string, value: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch (e) {
    throw bad(where, annotation, `not valid JSON (${errorText(e)})`, e);
  }
  assertShallow(value, `${where}: annotation ${annotation}`);
  return v;
}

function names(where: string, annotation: string, field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    throw bad(where, annotation, `${field} must be a list of pool names`);
  }
  return v as string[];
}

function poolNames(where: string, annotation: string, o: Record<string, unknown>): PoolNames {
  // "ipv4pools"/"ipv6pools" are the field names of Spiderpool before v0.4.
  const ipv4 = names(where, annotation, 'ipv4', o['ipv4'] ?? o['ipv4pools']);
  const ipv6 = names(where, annotation, 'ipv6', o['ipv6'] ?? o['ipv6pools']);
  const cg = o['cleangateway'];
  if (cg !== undefined && typeof cg !== 'boolean')
    throw bad(where, annotation, 'cleangateway must be true or false');
  const iface = o['interface'];
  if (iface !== undefined && typeof iface !== 'string')
    throw bad(where, annotation, 'interface must be a string');
  return {
    ipv4,
    ipv6,
    cleanGateway: cg === true,
    // An empty interface counts as none, as in Spiderpool (Go's omitempty).
    ...(typeof iface === 'string' && iface !== '' ? { interface: iface } : {}),
  };
}

/**
 * `ipam.spidernet.io/ippools`: a non-empty list whose entries either all name their `interface` (each
 * once) or all leave it out — then they belong to the pod's interfaces by order (Spiderpool's
 * validateAndMutateMultipleNICAnnotations).
 */
export function parsePodIPPools(where: string, value: string): PoolNames[] {
  const v = parseJson(where, ANNO_POD_IPPOOLS, value);
  if (!Array.isArray(v) || v.length === 0)
    throw bad(where, ANNO_POD_IPPOOLS, 'expected a non-empty JSON list');
  const seen = new Set<string>();
  const entries = v.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw bad(where, ANNO_POD_IPPOOLS, `entry ${i} must be an object`);
    }
    const p = poolNames(where, ANNO_POD_IPPOOLS, item as Record<string, unknown>);
    if (p.interface !== undefined && seen.has(p.interface))
      throw bad(where, ANNO_POD_IPPOOLS, `interface ${p.interface} is listed twice`);
    if (p.interface !== undefined) seen.add(p.interface);
    return p;
  });
  if (seen.size !== 0 && seen.size !== entries.length) {
    throw bad(
      where,
      ANNO_POD_IPPOOLS,
      'entries must either all name their interface or all leave it out (then they go to the interfaces by order)',
    );
  }
  return entries;
}

/** `ipam.spidernet.io/ippool`: one {ipv4, ipv6} object (legacy `interface` key accepted). */
export function parsePodIPPool(where: string, value: string): PoolNames {
  const v = parseJson(where, ANNO_POD_IPPOOL, value);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad(where, ANNO_POD_IPPOOL, 'expected a JSON object');
  return poolNames(where, ANNO_POD_IPPOOL, v as Record<string, unknown>);
}

/** Namespace defaults: `'["p1","p2"]'` per family; empty lists when absent. */
export function parseNamespaceDefaults(
  where: string,
  annotations: Record<string, string> | undefined,
): { ipv4: string[]; ipv6: string[] } {
  const read = (key: string, legacy: string) => {
    const [k, raw] =
      annotations?.[key] !== undefined ? [key, annotations[key]] : [legacy, annotations?.[legacy]];
    if (raw === undefined || raw.trim() === '') return [];
    return names(where, k, 'value', parseJson(where, k, raw));
  };
  return {
    ipv4: read(ANNO_NS_DEFAULT_V4, ANNO_NS_LEGACY_V4),
    ipv6: read(ANNO_NS_DEFAULT_V6, ANNO_NS_LEGACY_V6),
  };
}

/**
 * `ipam.spidernet.io/routes`: [{dst, gw}], each an IPv4 CIDR with an IPv4 gateway or an IPv6 CIDR with an
 * IPv6 gateway (Spiderpool's IsRouteWithoutIPVersion); anything else fails the ADD.
 */
export function parsePodRoutes(where: string, value: string | undefined): { dst: string; gw: string }[] {
  if (value === undefined) return [];
  const v = parseJson(where, ANNO_POD_ROUTES, value);
  if (!Array.isArray(v)) throw bad(where, ANNO_POD_ROUTES, 'expected a JSON list of {dst, gw}');
  return v.map((r, i) => {
    const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    const dst = o['dst'];
    const gw = o['gw'];
    if (typeof dst !== 'string' || typeof gw !== 'string') {
      throw bad(where, ANNO_POD_ROUTES, `entry ${i} needs string dst and gw`);
    }
    const d = tryCidr(dst);
    if (d === undefined || parseIpOf(gw, d.family) === undefined) {
      throw bad(
        where,
        ANNO_POD_ROUTES,
        `entry ${i} {dst: ${JSON.stringify(dst)}, gw: ${JSON.stringify(gw)}} is not a route: expected dst an IPv4 CIDR with an IPv4 gw, or an IPv6 CIDR with an IPv6 gw`,
      );
    }
    return { dst, gw };
  });
}
