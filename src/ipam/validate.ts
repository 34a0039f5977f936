// SpiderIPPool / SpiderReservedIP validation with Spiderpool's webhook rules. Each issue names the
// object and the field, e.g. `SpiderIPPool "vlan100-v4": spec.ips[1]: "10.2.0.5" is outside spec.subnet 10.1.0.0/24`.
import type { SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { errorText } from '../cni/errors.js';
import {
  type Cidr,
  count,
  formatCidr,
  formatIntervals,
  intersect,
  parseCidr,
  parseIp,
  parseRange,
  poolTotalIntervals,
} from './ranges.js';
import { checkEntries, checkNames, checkSelector } from './validate-fields.js';

export interface Issue {
  kind: 'SpiderIPPool' | 'SpiderReservedIP';
  name: string;
  field: string;
  message: string;
}

export function formatIssue(i: Issue): string {
  return `${i.kind} "${i.name}": ${i.field}: ${i.message}`;
}

/** Checks one pool on its own. */
export function validatePool(pool: SpiderIPPool): Issue[] {
  const name = pool.metadata?.name ?? '';
  const out: Issue[] = [];
  const issue = (field: string, message: string) => {
    out.push({ kind: 'SpiderIPPool', name, field, message });
  };
  if (!name) issue('metadata.name', 'required');
  const spec = pool.spec;
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    issue('spec', 'required');
    return out;
  }
  let subnet: Cidr | undefined;
  if (typeof spec.subnet !== 'string' || spec.subnet === '') issue('spec.subnet', 'required');
  else {
    try {
      subnet = parseCidr(spec.subnet);
      if (!subnet.isNetwork) {
        issue('spec.subnet', `"${spec.subnet}" has host bits set; write it as ${formatCidr(subnet)}`);
      }
    } catch (e) {
      issue('spec.subnet', errorText(e));
    }
  }
  const v = spec.ipVersion;
  if (v !== undefined && v !== 4 && v !== 6)
    issue('spec.ipVersion', `expected 4 or 6, found ${JSON.stringify(v)}`);
  else if (v !== undefined && subnet !== undefined && v !== subnet.family) {
    issue('spec.ipVersion', `is ${v} but spec.subnet ${spec.subnet} is IPv${subnet.family}`);
  }
  const family = subnet?.family ?? (v === 4 || v === 6 ? v : undefined);
  checkEntries(issue, 'spec.ips', spec.ips, family, subnet);
  checkEntries(issue, 'spec.excludeIPs', spec.excludeIPs, family, subnet);

  if (spec.gateway !== undefined) {
    const gw = typeof spec.gateway === 'string' ? parseIp(spec.gateway) : undefined;
    if (gw === undefined) issue('spec.gateway', `${JSON.stringify(spec.gateway)} is not an IP address`);
    else if (family !== undefined && gw.family !== family)
      issue('spec.gateway', `${spec.gateway} is not IPv${family}`);
    else if (subnet !== undefined && (gw.value < subnet.network || gw.value > subnet.broadcast)) {
      issue('spec.gateway', `${spec.gateway} is outside spec.subnet ${formatCidr(subnet)}`);
    } else {
      // As Spiderpool: the gateway may sit inside spec.ips only when spec.excludeIPs removes it.
      const inRange = (e: unknown) => {
        try {
          const iv = parseRange(String(e));
          return gw.value >= iv.start && gw.value <= iv.end;
        } catch {
          return false;
        }
      };
      // Either list may be of the wrong type here (reported above by checkEntries).
      const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
      const excluded = list(spec.excludeIPs).some(inRange);
      const i = list(spec.ips).findIndex(inRange);
      if (!excluded && i >= 0) {
        issue(
          `spec.ips[${i}]`,
          `"${spec.ips?.[i]}" contains spec.gateway ${spec.gateway}; add the gateway to spec.excludeIPs or remove it from spec.ips`,
        );
      }
    }
  }

  if (spec.routes !== undefined) {
    if (!Array.isArray(spec.routes)) issue('spec.routes', 'must be a list of {dst, gw}');
    else {
      const seen = new Set<string>();
      spec.routes.forEach((r, i) => {
        const f = `spec.routes[${i}]`;
        let dst: Cidr | undefined;
        try {
          dst = parseCidr(String(r?.dst));
        } catch (e) {
          issue(`${f}.dst`, errorText(e));
        }
        if (dst !== undefined) {
          if (family !== undefined && dst.family !== family)
            issue(`${f}.dst`, `${r.dst} is not IPv${family}`);
          else if (dst.prefix === 0)
            issue(`${f}.dst`, `${r.dst} is a default route; set spec.gateway instead`);
          if (seen.has(formatCidr(dst))) issue(`${f}.dst`, `${r.dst} is listed twice`);
          seen.add(formatCidr(dst));
        }
        const gw = typeof r?.gw === 'string' ? parseIp(r.gw) : undefined;
        if (gw === undefined) issue(`${f}.gw`, `${JSON.stringify(r?.gw)} is not an IP address`);
        else if (
          subnet !== undefined &&
          (gw.family !== subnet.family || gw.value < subnet.network || gw.value > subnet.broadcast)
        ) {
          issue(`${f}.gw`, `${r.gw} is outside spec.subnet ${formatCidr(subnet)}`);
        }
      });
    }
  }

  checkSelector(issue, 'spec.podAffinity', spec.podAffinity);
  if (
    spec.podAffinity !== undefined &&
    Object.keys(spec.podAffinity.matchLabels ?? {}).length === 0 &&
    (spec.podAffinity.matchExpressions ?? []).length === 0
  ) {
    issue('spec.podAffinity', 'an empty selector is not allowed; remove it to allow all pods');
  }
  checkSelector(issue, 'spec.namespaceAffinity', spec.namespaceAffinity);
  checkSelector(issue, 'spec.nodeAffinity', spec.nodeAffinity);
  checkNames(issue, 'spec.nodeName', spec.nodeName);
  checkNames(issue, 'spec.namespaceName', spec.namespaceName);
  checkNames(issue, 'spec.multusName', spec.multusName);
  for (const k of ['default', 'disable'] as const) {
    if (spec[k] !== undefined && typeof spec[k] !== 'boolean')
      issue(`spec.${k}`, `expected true or false, found ${JSON.stringify(spec[k])}`);
  }
  return out;
}

/**
 * Checks every pool, then pools against each other: different subnets of one family must not
 * overlap, and pools on the same subnet must not share addresses. Both pools of a clash are marked.
 */
export function validatePools(pools: readonly SpiderIPPool[]): Map<string, Issue[]> {
  const result = new Map<string, Issue[]>();
  const add = (name: string, i: Issue) => result.set(name, [...(result.get(name) ?? []), i]);
  const valid: { pool: SpiderIPPool; subnet: Cidr; ips: ReturnType<typeof poolTotalIntervals> }[] = [];
  const seen = new Set<string>();
  for (const p of pools) {
    const issues = validatePool(p);
    const name = p.metadata?.name ?? '';
    if (seen.has(name))
      issues.push({ kind: 'SpiderIPPool', name, field: 'metadata.name', message: 'defined more than once' });
    seen.add(name);
    for (const i of issues) add(name, i);
    if (issues.length === 0)
      valid.push({ pool: p, subnet: parseCidr(p.spec.subnet), ips: poolTotalIntervals(p) });
  }
  for (let a = 0; a < valid.length; a++) {
    for (let b = a + 1; b < valid.length; b++) {
      const x = valid[a]!;
      const y = valid[b]!;
      if (x.subnet.family !== y.subnet.family) continue;
      const xn = x.pool.metadata.name;
      const yn = y.pool.metadata.name;
      const sameSubnet = x.subnet.network === y.subnet.network && x.subnet.prefix === y.subnet.prefix;
      if (!sameSubnet) {
        if (x.subnet.network <= y.subnet.broadcast && y.subnet.network <= x.subnet.broadcast) {
          const msg = (other: string, o: Cidr) =>
            `overlaps spec.subnet ${formatCidr(o)} of SpiderIPPool "${other}"`;
          add(xn, { kind: 'SpiderIPPool', name: xn, field: 'spec.subnet', message: msg(yn, y.subnet) });
          add(yn, { kind: 'SpiderIPPool', name: yn, field: 'spec.subnet', message: msg(xn, x.subnet) });
        }
        continue;
      }
      const shared = intersect(x.ips, y.ips);
      if (count(shared) > 0n) {
        const list = formatIntervals(x.subnet.family, shared).slice(0, 5).join(', ');
        const msg = (other: string) => `shares addresses ${list} with SpiderIPPool "${other}"`;
        add(xn, { kind: 'SpiderIPPool', name: xn, field: 'spec.ips', message: msg(yn) });
        add(yn, { kind: 'SpiderIPPool', name: yn, field: 'spec.ips', message: msg(xn) });
      }
    }
  }
  return result;
}

export function validateReservedIP(r: SpiderReservedIP): Issue[] {
  const name = r.metadata?.name ?? '';
  const out: Issue[] = [];
  const issue = (field: string, message: string) => {
    out.push({ kind: 'SpiderReservedIP', name, field, message });
  };
  if (!name) issue('metadata.name', 'required');
  const v = r.spec?.ipVersion;
  if (v !== undefined && v !== 4 && v !== 6)
    issue('spec.ipVersion', `expected 4 or 6, found ${JSON.stringify(v)}`);
  checkEntries(issue, 'spec.ips', r.spec?.ips, v === 4 || v === 6 ? v : undefined, undefined);
  return out;
}
