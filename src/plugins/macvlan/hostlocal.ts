// The shape of a host-local `ipam` section, checked before the reference host-local runs: it decodes
// the section into Go structs and reports a wrong type or a missing range as a plain error, which
// reaches the runtime as code 999 (internal). Ours says 7 (invalid config) with what was expected.
// Only what host-local decodes up front is checked (types, IP/CIDR syntax, at least one non-empty
// range set); its allocation-time rules (overlaps, rangeStart inside the subnet) stay its own.
// Go's decoder matches keys to fields case-insensitively ("Name" and "NAME" both fill `Name`), so
// every key that folds to a field's name is checked.
import { invalidConfig } from '../../cni/errors.js';
import { isCidr, isIP } from '../../cni/ip.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The values of every key of `o` that Go would decode into the field `field`, null ones left out. */
const values = (o: Record<string, unknown>, field: string): [string, unknown][] =>
  Object.entries(o).filter(([k, v]) => k.toLowerCase() === field.toLowerCase() && v !== null);

const shown = (v: unknown) => JSON.stringify(v ?? null).slice(0, 80);

/** Go's `net.IP` from JSON: null, an empty string, or an address. */
function ipField(o: Record<string, unknown>, field: string, where: string): void {
  for (const [k, v] of values(o, field)) {
    if (v !== '' && (typeof v !== 'string' || !isIP(v)))
      throw invalidConfig(`${where}.${k} must be an IP address, found ${shown(v)}`);
  }
}

function stringField(o: Record<string, unknown>, field: string, where: string): void {
  for (const [k, v] of values(o, field))
    if (typeof v !== 'string') throw invalidConfig(`${where}.${k} must be a string, found ${shown(v)}`);
}

/** Go's `types.IPNet`: a CIDR; `required` when the object is a range. */
function cidrField(o: Record<string, unknown>, field: string, where: string, required: boolean): number {
  const vs = values(o, field);
  if (required && vs.length === 0) {
    throw invalidConfig(
      `${where}.${field} must be a CIDR, found null`,
      'host-local allocates from ranges: [[{"subnet": "10.1.0.0/24"}]]',
    );
  }
  for (const [k, v] of vs) {
    if (typeof v !== 'string' || !isCidr(v))
      throw invalidConfig(`${where}.${k} must be a CIDR, found ${shown(v)}`);
  }
  return vs.length;
}

/** One `Range`: subnet required (a CIDR), rangeStart/rangeEnd/gateway optional addresses. */
function checkRange(v: unknown, where: string): void {
  if (!isObject(v)) throw invalidConfig(`${where} must be an object with a "subnet"`);
  cidrField(v, 'subnet', where, true);
  for (const k of ['rangeStart', 'rangeEnd', 'gateway']) ipField(v, k, where);
}

function checkRoutes(ipam: Record<string, unknown>): void {
  for (const [key, routes] of values(ipam, 'routes')) {
    if (!Array.isArray(routes)) throw invalidConfig(`ipam.${key} must be an array`);
    for (const [i, r] of routes.entries()) {
      if (r === null) continue;
      if (!isObject(r)) throw invalidConfig(`ipam.${key}[${i}] must be an object with a "dst"`);
      cidrField(r, 'dst', `ipam.${key}[${i}]`, true);
      ipField(r, 'gw', `ipam.${key}[${i}]`);
    }
  }
}

/** Range sets under `field` of `o`: their number, each checked. */
function checkRangeSets(o: Record<string, unknown>, field: string, where: string): number {
  let count = 0;
  for (const [key, sets] of values(o, field)) {
    if (!Array.isArray(sets)) throw invalidConfig(`${where}${key} must be an array of range sets`);
    for (const [i, set] of sets.entries()) {
      if (!Array.isArray(set) || set.length === 0)
        throw invalidConfig(`${where}${key}[${i}] must be a non-empty array of ranges`);
      for (const [j, r] of set.entries()) checkRange(r, `${where}${key}[${i}][${j}]`);
    }
    count += sets.length;
  }
  return count;
}

/** `ipam` is the section, `runtimeConfig` the config's own (its `ipRanges` capability adds ranges). */
export function checkHostLocal(ipam: Record<string, unknown>, runtimeConfig: unknown): void {
  for (const k of ['name', 'dataDir', 'resolvConf']) stringField(ipam, k, 'ipam');
  checkRoutes(ipam);
  let count = checkRangeSets(ipam, 'ranges', 'ipam.');
  if (isObject(runtimeConfig)) count += checkRangeSets(runtimeConfig, 'ipRanges', 'runtimeConfig.');
  // The old single-range form (subnet at the top) is prepended to the range sets by host-local.
  if (cidrField(ipam, 'subnet', 'ipam', false) > 0) checkRange(ipam, 'ipam');
  else if (count === 0) throw invalidConfig('ipam: no IP ranges specified', 'host-local needs "ranges"');
}
