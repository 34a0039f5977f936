// One entry of a network-selection annotation (NetworkSelectionElement), in the short form
// `[namespace/]name[@interface]` or as a JSON object, checked field by field as Multus reads it;
// every failure names the annotation, the entry and what was wrong with it.
import { invalidConfig } from '../cni/errors.js';
import { isCidr, isIP } from '../cni/ip.js';
import { interfaceNameProblem, isHardwareAddr, NAME_RE, OBJECT_NAME_RE } from './names.js';
import { isRecord } from './record.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

export interface Bandwidth {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

/** One requested attachment (NetworkSelectionElement); namespace already defaulted. */
export interface NetworkSelection {
  name: string;
  namespace: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  defaultRoute?: string[];
  cniArgs?: Record<string, unknown>;
  portMappings?: PortMapping[];
  bandwidth?: Bandwidth;
  infinibandGuid?: string;
  ipamClaimReference?: string;
  deviceID?: string;
}

export class EntryContext {
  constructor(
    readonly annotation: string,
    readonly where: string,
  ) {}
  fail(index: number, entry: string, problem: string): never {
    throw invalidConfig(
      `invalid ${this.annotation} annotation${this.where}: entry ${index + 1} (${entry}): ${problem}`,
    );
  }
}

function checkName(ctx: EntryContext, i: number, entry: string, what: string, value: string): void {
  if (!NAME_RE.test(value)) {
    ctx.fail(
      i,
      entry,
      `${what} "${value}" must consist of lower case alphanumeric characters or '-' and start and end with an alphanumeric character`,
    );
  }
}

function checkObjectName(ctx: EntryContext, i: number, e: string, what: string, value: string): void {
  if (value.length > 253 || !OBJECT_NAME_RE.test(value)) {
    ctx.fail(i, e, `${what} "${value}" cannot name a Kubernetes object (DNS-1123 subdomain expected)`);
  }
}

export function parseShortItem(
  ctx: EntryContext,
  i: number,
  raw: string,
  defaultNs: string,
): NetworkSelection {
  const item = raw.trim();
  const shown = JSON.stringify(item);
  const slash = item.split('/');
  if (slash.length > 2) ctx.fail(i, shown, "expected [namespace/]name[@interface], found more than one '/'");
  const ns = slash.length === 2 ? (slash[0] ?? '').trim() : '';
  const at = (slash.length === 2 ? (slash[1] ?? '') : item).split('@');
  if (at.length > 2) ctx.fail(i, shown, "expected [namespace/]name[@interface], found more than one '@'");
  const name = (at[0] ?? '').trim();
  const ifname = at.length === 2 ? (at[1] ?? '').trim() : '';
  if (name === '') ctx.fail(i, shown, 'network name is empty');
  if (ns !== '') checkName(ctx, i, shown, 'namespace', ns);
  checkName(ctx, i, shown, 'network name', name);
  // Multus reads "net-a@" as no interface requested (the delegate gets netN).
  if (ifname !== '') {
    const problem = interfaceNameProblem(ifname);
    if (problem !== undefined) ctx.fail(i, shown, `interface name "${ifname}" ${problem}`);
  }
  return { name, namespace: ns !== '' ? ns : defaultNs, ...(ifname !== '' ? { interface: ifname } : {}) };
}

function optString(ctx: EntryContext, i: number, e: string, obj: Record<string, unknown>, key: string) {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') ctx.fail(i, e, `"${key}" must be a string, found ${JSON.stringify(v)}`);
  return v === '' ? undefined : v;
}

function optStringList(ctx: EntryContext, i: number, e: string, obj: Record<string, unknown>, key: string) {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    ctx.fail(i, e, `"${key}" must be a list of strings, found ${JSON.stringify(v)}`);
  }
  return v as string[];
}

function parsePortMappings(ctx: EntryContext, i: number, e: string, v: unknown): PortMapping[] {
  if (!Array.isArray(v)) ctx.fail(i, e, `"portMappings" must be a list, found ${JSON.stringify(v)}`);
  return v.map((pm) => {
    const ok =
      isRecord(pm) &&
      Number.isInteger(pm.hostPort) &&
      Number.isInteger(pm.containerPort) &&
      (pm.protocol === undefined || typeof pm.protocol === 'string') &&
      (pm.hostIP === undefined || typeof pm.hostIP === 'string');
    if (!ok) {
      ctx.fail(
        i,
        e,
        `portMappings entry must be {hostPort, containerPort, protocol?, hostIP?}, found ${JSON.stringify(pm)}`,
      );
    }
    return pm as unknown as PortMapping;
  });
}

function parseBandwidth(ctx: EntryContext, i: number, e: string, v: unknown): Bandwidth {
  const keys = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'];
  if (!isRecord(v) || keys.some((k) => v[k] !== undefined && !Number.isInteger(v[k]))) {
    ctx.fail(i, e, `"bandwidth" must be an object of integer ${keys.join('/')}, found ${JSON.stringify(v)}`);
  }
  return v as Bandwidth;
}

export function parseJsonItem(
  ctx: EntryContext,
  i: number,
  raw: unknown,
  defaultNs: string,
): NetworkSelection {
  const e = JSON.stringify(raw);
  if (!isRecord(raw)) ctx.fail(i, e, 'expected an object with at least "name"');
  const name = optString(ctx, i, e, raw, 'name');
  if (name === undefined) ctx.fail(i, e, '"name" is required');
  checkObjectName(ctx, i, e, 'network name', name);
  const ns = optString(ctx, i, e, raw, 'namespace');
  if (ns !== undefined) checkObjectName(ctx, i, e, 'namespace', ns);
  // "interfaceRequest" is the pre-3.2 spelling Multus still honours when "interface" is absent.
  const ifname = optString(ctx, i, e, raw, 'interface') ?? optString(ctx, i, e, raw, 'interfaceRequest');
  if (ifname !== undefined) {
    const problem = interfaceNameProblem(ifname);
    if (problem !== undefined) ctx.fail(i, e, `interface name "${ifname}" ${problem}`);
  }
  const ips = optStringList(ctx, i, e, raw, 'ips');
  for (const ip of ips ?? []) {
    if (ip.includes('/') ? !isCidr(ip) : !isIP(ip))
      ctx.fail(i, e, `"ips" entry "${ip}" is not an IP address or CIDR`);
  }
  const mac = optString(ctx, i, e, raw, 'mac');
  if (mac !== undefined && !isHardwareAddr(mac)) ctx.fail(i, e, `"mac" "${mac}" is not a MAC address`);
  const guid = optString(ctx, i, e, raw, 'infiniband-guid');
  if (guid !== undefined && !isHardwareAddr(guid))
    ctx.fail(i, e, `"infiniband-guid" "${guid}" is not a GUID`);
  const gws = optStringList(ctx, i, e, raw, 'default-route');
  for (const gw of gws ?? []) {
    if (!isIP(gw)) ctx.fail(i, e, `"default-route" entry "${gw}" is not an IP address`);
  }
  const cniArgs = raw['cni-args'];
  if (cniArgs !== undefined && cniArgs !== null && !isRecord(cniArgs)) {
    ctx.fail(i, e, `"cni-args" must be an object, found ${JSON.stringify(cniArgs)}`);
  }
  const claim = optString(ctx, i, e, raw, 'ipam-claim-reference');
  const deviceID = optString(ctx, i, e, raw, 'deviceID');
  const pm = raw.portMappings;
  const bw = raw.bandwidth;
  return {
    name,
    namespace: ns ?? defaultNs,
    ...(ifname !== undefined ? { interface: ifname } : {}),
    ...(ips !== undefined ? { ips } : {}),
    ...(mac !== undefined ? { mac } : {}),
    ...(gws !== undefined ? { defaultRoute: gws } : {}),
    ...(isRecord(cniArgs) ? { cniArgs } : {}),
    ...(pm !== undefined && pm !== null ? { portMappings: parsePortMappings(ctx, i, e, pm) } : {}),
    ...(bw !== undefined && bw !== null ? { bandwidth: parseBandwidth(ctx, i, e, bw) } : {}),
    ...(guid !== undefined ? { infinibandGuid: guid } : {}),
    ...(claim !== undefined ? { ipamClaimReference: claim } : {}),
    ...(deviceID !== undefined ? { deviceID } : {}),
  };
}
