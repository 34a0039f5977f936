// loadConf: validates every coordinator field before any side effect. Field names are Spiderpool's;
// where its CRD or IPAM spell one differently, both spellings are accepted.
import { invalidConfig } from '../../cni/errors.js';
import { isCidr, isIP } from '../../cni/ip.js';
import type { CniEnv, NetConf } from '../../cni/types.js';
import {
  type CoordinatorConf,
  type DetectOptions,
  MAIN_TABLE,
  MODES,
  type Mode,
  POD_CIDR_TYPES,
  type PodCidrType,
} from './types.js';

const DEFAULT_HOST_RULE_TABLE = 500;
const DEFAULT_VETH_MTU = 1500;

function bool(raw: NetConf, key: string, alias: string | undefined, dflt: boolean): boolean {
  const v = raw[key] ?? (alias !== undefined ? raw[alias] : undefined);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidConfig(`"${key}" must be a boolean, found ${JSON.stringify(v)}`);
  return v;
}

function int(raw: NetConf, key: string, dflt: number, ok: (n: number) => boolean, expect: string): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || !ok(v))
    throw invalidConfig(`invalid "${key}": ${JSON.stringify(v)}`, `expected ${expect}`);
  return v;
}

function str(raw: NetConf, key: string, alias?: string): string | undefined {
  const a = raw[key];
  const b = alias !== undefined ? raw[alias] : undefined;
  for (const [k, v] of [
    [key, a],
    [alias, b],
  ] as const) {
    if (v !== undefined && typeof v !== 'string') throw invalidConfig(`"${k}" must be a string`);
  }
  if (a !== undefined && b !== undefined && a !== b)
    throw invalidConfig(`"${key}" (${a}) and "${alias}" (${b}) disagree`, 'give one of them');
  const v = (a ?? b) as string | undefined;
  return v === '' ? undefined : v;
}

function cidrs(raw: NetConf, key: string): string[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidConfig(`"${key}" must be an array of CIDRs`);
  return v.map((c) => {
    const t = typeof c === 'string' ? c.trim() : c;
    if (typeof t !== 'string' || !isCidr(t))
      throw invalidConfig(`invalid CIDR in "${key}": ${JSON.stringify(c)}`, 'expected e.g. 10.96.0.0/12');
    return t;
  });
}

function mode(v: unknown): Mode {
  if (v === undefined || v === '') return 'auto';
  if (typeof v !== 'string' || !(MODES as readonly string[]).includes(v))
    throw invalidConfig(`invalid "mode": ${JSON.stringify(v)}`, `expected one of ${MODES.join(', ')}`);
  return v === 'disable' ? 'disabled' : (v as Mode);
}

function podCidrType(v: unknown): PodCidrType {
  if (v === undefined || v === '') return 'cluster';
  if (typeof v !== 'string' || !(POD_CIDR_TYPES as readonly string[]).includes(v)) {
    throw invalidConfig(
      `invalid "podCIDRType": ${JSON.stringify(v)}`,
      `expected one of ${POD_CIDR_TYPES.join(', ')}`,
    );
  }
  return v as PodCidrType;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** Go's time.ParseDuration subset: "100ms", "1s", "1m30s". */
export function parseDuration(text: string, key: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * (UNITS[m[2]!] ?? 0);
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length)
    throw invalidConfig(`invalid detectOptions.${key} "${text}"`, 'expected a duration such as 100ms or 1s');
  return ms;
}

function detectOptions(v: unknown): DetectOptions {
  // Spiderpool's defaults when detectOptions is given without values: 3 retries, 10ms, 100ms.
  const out: DetectOptions = { retries: 3, intervalMs: 10, timeoutMs: 100 };
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidConfig('"detectOptions" must be an object');
  const o = v as Record<string, unknown>;
  if (o['retries'] !== undefined && o['retries'] !== 0) {
    const r = o['retries'];
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 100)
      throw invalidConfig(`invalid detectOptions.retries: ${JSON.stringify(r)}`, 'expected 1..100');
    out.retries = r;
  }
  for (const [key, field] of [
    ['interval', 'intervalMs'],
    ['timeout', 'timeoutMs'],
  ] as const) {
    const t = o[key];
    if (t === undefined || t === '') continue;
    if (typeof t !== 'string') throw invalidConfig(`detectOptions.${key} must be a string such as "100ms"`);
    out[field] = parseDuration(t, key);
  }
  if (out.timeoutMs <= 0) throw invalidConfig('detectOptions.timeout must be positive');
  return out;
}

const MAC_PREFIX = /^[0-9a-f][02468ace][:-][0-9a-f]{2}$/i;

export function loadConf(raw: NetConf, _env: CniEnv): CoordinatorConf {
  const vethLinkAddress = str(raw, 'vethLinkAddress');
  if (vethLinkAddress !== undefined && !isIP(vethLinkAddress))
    throw invalidConfig(`invalid "vethLinkAddress": ${vethLinkAddress}`, 'expected an IP address');
  const podMACPrefix = str(raw, 'podMACPrefix');
  if (podMACPrefix !== undefined && !MAC_PREFIX.test(podMACPrefix)) {
    throw invalidConfig(
      `invalid "podMACPrefix": ${podMACPrefix}`,
      'expected two unicast MAC bytes such as "0a:1b" (the first byte must be even)',
    );
  }
  const podDefaultRouteNic = str(raw, 'podDefaultRouteNic', 'podDefaultRouteNIC');
  const rp = (n: number) => n <= 2; // any negative value means "leave alone"
  const hostRuleTable = int(
    raw,
    'hostRuleTable',
    DEFAULT_HOST_RULE_TABLE,
    (n) => n > 0 && n < 2 ** 32 && n !== MAIN_TABLE && n !== 253 && n !== 255,
    'a routing table id other than 0, 253 (default), 254 (main) and 255 (local)',
  );
  const conf: CoordinatorConf = {
    ...raw,
    mode: mode(raw['mode']),
    podCIDRType: podCidrType(raw['podCIDRType']),
    overlayPodCIDR: cidrs(raw, 'overlayPodCIDR'),
    serviceCIDR: cidrs(raw, 'serviceCIDR'),
    hijackCIDR: cidrs(raw, 'hijackCIDR'),
    policyRoutes: bool(raw, 'policyRoutes', undefined, true),
    tunePodRoutes: bool(raw, 'tunePodRoutes', undefined, true),
    podDefaultCniNic: str(raw, 'podDefaultCniNic') ?? 'eth0',
    multusNicPrefix: str(raw, 'multusNicPrefix') ?? 'net',
    hostRuleTable,
    hostRPFilter: Math.max(-1, int(raw, 'hostRPFilter', -1, rp, '-1 (leave alone), 0, 1 or 2')),
    podRPFilter: Math.max(-1, int(raw, 'podRPFilter', 0, rp, '-1 (leave alone), 0, 1 or 2')),
    txQueueLen: int(raw, 'txQueueLen', 0, (n) => n >= 0 && n < 2 ** 32, 'a non-negative integer'),
    vethMTU: int(raw, 'vethMTU', DEFAULT_VETH_MTU, (n) => n >= 68 && n <= 65535, '68..65535'),
    detectIPConflict: bool(raw, 'detectIPConflict', 'enableIPConflictDetection', false),
    detectGateway: bool(raw, 'detectGateway', 'enableGatewayDetection', false),
    detect: detectOptions(raw['detectOptions']),
  };
  delete conf.podDefaultRouteNic;
  delete conf.vethLinkAddress;
  delete conf.podMACPrefix;
  if (podDefaultRouteNic !== undefined) conf.podDefaultRouteNic = podDefaultRouteNic;
  if (vethLinkAddress !== undefined) conf.vethLinkAddress = vethLinkAddress;
  if (podMACPrefix !== undefined) conf.podMACPrefix = podMACPrefix.toLowerCase().replace('-', ':');
  return conf;
}

/** The CIDRs pod traffic reaches through the node: overlay pods (unless podCIDRType none), Services, extras. */
export function nodeCidrs(conf: CoordinatorConf): string[] {
  const pods = conf.podCIDRType === 'none' ? [] : conf.overlayPodCIDR;
  return [...new Set([...pods, ...conf.serviceCIDR, ...conf.hijackCIDR])];
}
