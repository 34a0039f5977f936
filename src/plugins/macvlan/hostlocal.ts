// The shape of a host-local `ipam` section, checked before the reference host-local runs: it decodes
// the section into Go structs and reports a wrong type or a missing range as a plain error, which
// reaches the runtime as code 999 (internal). Ours says 7 (invalid config) with what was expected.
// Only what host-local decodes up front is checked (types, IP/CIDR syntax, at least one non-empty
// range set); its allocation-time rules (overlaps, rangeStart inside the subnet) stay its own.
import { invalidConfig } from '../../cni/errors.js';
import { isCidr, isIP } from '../../cni/ip.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go's `net.IP` from JSON: null, an empty string, or an address. */
function ipField(o: Record<string, unknown>, key: string, where: string): void {
  const v = o[key];
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string' || !isIP(v))
    throw invalidConfig(`${where}.${key} must be an IP address, found ${JSON.stringify(v).slice(0, 80)}`);
}

/** One `Range`: subnet required (a CIDR), rangeStart/rangeEnd/gateway optional addresses. */
function checkRange(v: unknown, where: string): void {
  if (!isObject(v)) throw invalidConfig(`${where} must be an object with a "subnet"`);
  const subnet = v['subnet'];
  if (typeof subnet !== 'string' || !isCidr(subnet)) {
    throw invalidConfig(
      `${where}.subnet must be a CIDR, found ${JSON.stringify(subnet ?? null).slice(0, 80)}`,
      'host-local allocates from ranges: [[{"subnet": "10.1.0.0/24"}]]',
    );
  }
  for (const k of ['rangeStart', 'rangeEnd', 'gateway']) ipField(v, k, where);
}

function checkRoutes(routes: unknown): void {
  if (routes === undefined || routes === null) return;
  if (!Array.isArray(routes)) throw invalidConfig('ipam.routes must be an array');
  routes.forEach((r, i) => {
    if (r === null) return;
    const dst = isObject(r) ? r['dst'] : undefined;
    if (typeof dst !== 'string' || !isCidr(dst))
      throw invalidConfig(
        `ipam.routes[${i}].dst must be a CIDR, found ${JSON.stringify(dst ?? null).slice(0, 80)}`,
      );
    ipField(r as Record<string, unknown>, 'gw', `ipam.routes[${i}]`);
  });
}

export function checkHostLocal(ipam: Record<string, unknown>): void {
  for (const k of ['dataDir', 'resolvConf']) {
    const v = ipam[k];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw invalidConfig(`ipam.${k} must be a string`);
  }
  checkRoutes(ipam['routes']);
  const ranges = ipam['ranges'] ?? [];
  if (!Array.isArray(ranges)) throw invalidConfig('ipam.ranges must be an array of range sets');
  // The old single-range form (subnet at the top) is prepended to the range sets by host-local.
  if (ipam['subnet'] !== undefined && ipam['subnet'] !== null) checkRange(ipam, 'ipam');
  else if (ranges.length === 0)
    throw invalidConfig('ipam: no IP ranges specified', 'host-local needs "ranges"');
  ranges.forEach((set, i) => {
    if (!Array.isArray(set) || set.length === 0)
      throw invalidConfig(`ipam.ranges[${i}] must be a non-empty array of ranges`);
    for (const [j, r] of set.entries()) checkRange(r, `ipam.ranges[${i}][${j}]`);
  });
}
