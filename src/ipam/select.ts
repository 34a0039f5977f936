// Which pools may serve one NIC, in Spiderpool's order. First the highest-priority rule that names
// pools wins (pod `ippools` → pod `ippool` → namespace defaults → IPAM config defaults → pools with
// spec.default); then candidates the pod may not use are dropped with a reason; the rest are ordered
// podAffinity-bound first, then nodeName, nodeAffinity, namespaceName, namespaceAffinity, multusName
// (stable, so ties keep the order the rule listed them in).

import type { NamespaceInfo, NodeInfo, PodInfo, SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { invalidConfig } from '../cni/errors.js';
import { cidrContains, tryCidr } from '../net/cidr.js';
import { parseIp } from '../net/ip.js';
import {
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  type PoolNames,
  parseNamespaceDefaults,
  parsePodIPPool,
  parsePodIPPools,
} from './annotations.js';
import { NoEligiblePoolError, type Who } from './errors.js';
import { hasWildcard, matchesSelector, wildcardToRegExp } from './labels.js';
import { type Family, type Interval, poolFamily, poolIntervals, reservedIntervals } from './ranges.js';
import { formatIssue, type Issue, validatePools } from './validate.js';

export interface SelectInput {
  pools: readonly SpiderIPPool[];
  reserved: readonly SpiderReservedIP[];
  /** Validation result of `pools` (validatePools); computed when absent. */
  issues?: Map<string, Issue[]>;
  pod?: PodInfo;
  /** Pod identity from CNI_ARGS; used when the pod object itself is unknown. */
  podNamespace?: string;
  podName?: string;
  namespace?: NamespaceInfo;
  node?: NodeInfo;
  nodeName?: string;
  ifname: string;
  /** The NetworkAttachmentDefinition ("ns/name") or network name this NIC is attached through. */
  multusName?: string;
  /** Namespace assumed for spec.multusName entries without one (Spiderpool: its own namespace). */
  multusNamespace?: string;
  defaults?: { ipv4?: readonly string[]; ipv6?: readonly string[] };
  /** The IPAM config's clean_gateway: every rule but a pod `ippools` entry uses it. */
  cleanGateway?: boolean;
  /** This NIC's position among the pod's interfaces (eth0 0, then the networks annotation's order). */
  nicIndex?: number;
  /**
   * match_master_subnet: the master interface's addresses; only pools whose subnet holds one of them
   * may serve this NIC.
   */
  masterAddrs?: readonly string[];
}

export type RuleSource = 'pod:ippools' | 'pod:ippool' | 'namespace' | 'ipam-config' | 'cluster-default';

interface Candidate {
  name: string;
  pool: SpiderIPPool;
  family: Family;
  intervals: Interval[];
}

export interface FamilyChoice {
  family: Family;
  patterns: string[];
  candidates: Candidate[];
  rejected: { pool: string; reason: string }[];
}

interface Selection {
  source: RuleSource;
  cleanGateway: boolean;
  families: FamilyChoice[];
}

export function whoOf(input: Pick<SelectInput, 'pod' | 'podNamespace' | 'podName' | 'ifname'>): Who {
  const ns = input.pod?.metadata.namespace ?? input.podNamespace;
  const name = input.pod?.metadata.name ?? input.podName;
  return { pod: ns && name ? `${ns}/${name}` : '(unknown pod)', ifname: input.ifname };
}

interface Rule {
  source: RuleSource;
  ipv4: readonly string[];
  ipv6: readonly string[];
  cleanGateway: boolean;
}

function ippoolsEntry(input: SelectInput, where: string, value: string): PoolNames {
  const who = whoOf(input);
  const entries = parsePodIPPools(where, value);
  if (entries[0]?.interface !== undefined) {
    const mine = entries.find((e) => e.interface === input.ifname);
    if (mine === undefined) {
      throw new NoEligiblePoolError(
        who,
        `annotation ${ANNO_POD_IPPOOLS} lists interfaces ${entries.map((e) => e.interface).join(', ')} but not ${input.ifname}`,
      );
    }
    return mine;
  }
  const i = input.nicIndex;
  const mine = i === undefined ? undefined : entries[i];
  if (mine === undefined) {
    const at = i === undefined ? 'not among the pod’s interfaces' : `interface number ${i + 1}`;
    throw new NoEligiblePoolError(
      who,
      `annotation ${ANNO_POD_IPPOOLS} has ${entries.length} entries without interface, given to the pod's interfaces in order; ${input.ifname} is ${at}`,
    );
  }
  return mine;
}

/** The winning rule for this NIC: which pool names (or wildcards) per family. */
export function pickRule(input: SelectInput): Rule {
  const who = whoOf(input);
  const where = `pod ${who.pod}`;
  const annotations = input.pod?.metadata.annotations ?? {};
  const cleanGateway = input.cleanGateway === true;
  const many = annotations[ANNO_POD_IPPOOLS];
  if (many !== undefined) {
    const mine = ippoolsEntry(input, where, many);
    return { source: 'pod:ippools', ipv4: mine.ipv4, ipv6: mine.ipv6, cleanGateway: mine.cleanGateway };
  }
  const one = annotations[ANNO_POD_IPPOOL];
  if (one !== undefined) {
    const p = parsePodIPPool(where, one);
    // Legacy values name their interface; for another NIC the annotation does not apply.
    if (p.interface === undefined || p.interface === input.ifname) {
      return { source: 'pod:ippool', ipv4: p.ipv4, ipv6: p.ipv6, cleanGateway };
    }
  }
  const ns = parseNamespaceDefaults(
    `namespace ${input.namespace?.metadata.name ?? ''}`,
    input.namespace?.metadata.annotations,
  );
  if (ns.ipv4.length > 0 || ns.ipv6.length > 0) return { source: 'namespace', ...ns, cleanGateway };
  const d4 = input.defaults?.ipv4 ?? [];
  const d6 = input.defaults?.ipv6 ?? [];
  if (d4.length > 0 || d6.length > 0) return { source: 'ipam-config', ipv4: d4, ipv6: d6, cleanGateway };
  const defaults = input.pools.filter((p) => p.spec?.default === true);
  if (defaults.length === 0) {
    throw new NoEligiblePoolError(
      who,
      'no pool selection rule applies: no pod or namespace annotation, no default_ipv4_ippool/default_ipv6_ippool ' +
        'in the IPAM config, and no SpiderIPPool with spec.default: true',
    );
  }
  // A default pool whose family cannot be told is listed for IPv4 so that its validation error surfaces.
  const names = (f: Family) => defaults.filter((p) => (safeFamily(p) ?? 4) === f).map((p) => p.metadata.name);
  return { source: 'cluster-default', ipv4: names(4), ipv6: names(6), cleanGateway };
}

function safeFamily(p: SpiderIPPool): Family | undefined {
  try {
    return poolFamily(p);
  } catch {
    return undefined;
  }
}

/**
 * Pool names in the rule's order, wildcards expanded (by name, among pools of this family) as
 * Spiderpool's ParseWildcardPoolNameList does. Like Spiderpool, a name listed twice (also through a
 * wildcard) is an error, and so is a name no SpiderIPPool has.
 */
function expand(
  patterns: readonly string[],
  byName: Map<string, SpiderIPPool>,
  family: Family,
  rejected: FamilyChoice['rejected'],
  input: SelectInput,
) {
  const out: { pool: SpiderIPPool; wildcard: boolean }[] = [];
  const taken = new Set<string>();
  const take = (name: string, wildcard: boolean) => {
    if (taken.has(name)) {
      throw invalidConfig(
        `pod ${whoOf(input).pod} interface ${input.ifname}: IPv${family} pool "${name}" is listed twice`,
        'expected each SpiderIPPool at most once per interface and family (wildcards included)',
      );
    }
    taken.add(name);
    const pool = byName.get(name);
    if (pool === undefined) {
      throw new NoEligiblePoolError(whoOf(input), `SpiderIPPool "${name}" (IPv${family}) does not exist`, [
        `expected one of: ${[...byName.keys()].sort().join(', ') || '(no pools)'}`,
      ]);
    }
    out.push({ pool, wildcard });
  };
  for (const pat of patterns) {
    if (!hasWildcard(pat)) {
      take(pat, false);
      continue;
    }
    const re = wildcardToRegExp(pat);
    const hits = [...byName.keys()].filter((n) => re.test(n) && safeFamily(byName.get(n)!) === family).sort();
    if (hits.length === 0)
      rejected.push({ pool: pat, reason: `wildcard matches no IPv${family} SpiderIPPool` });
    for (const n of hits) take(n, true);
  }
  return out;
}

function multusMatches(entry: string, input: SelectInput): boolean {
  const nad = input.multusName;
  if (nad === undefined) return false;
  const full = entry.includes('/') ? entry : `${input.multusNamespace ?? 'kube-system'}/${entry}`;
  return full === nad || (!nad.includes('/') && entry === nad);
}

/** Why the pod may not use this pool, or undefined when it may. */
function mismatch(p: SpiderIPPool, family: Family, input: SelectInput): string | undefined {
  const s = p.spec;
  if (s.disable === true) return 'disabled (spec.disable: true)';
  const f = poolFamily(p);
  if (f !== family) return `is an IPv${f} pool, listed for IPv${family}`;
  const nodeName = input.pod?.nodeName ?? input.nodeName;
  if (s.nodeName !== undefined && s.nodeName.length > 0) {
    if (nodeName === undefined || !s.nodeName.includes(nodeName)) {
      return `spec.nodeName [${s.nodeName.join(', ')}] does not include node ${nodeName ?? '(unknown)'}`;
    }
  } else if (s.nodeAffinity !== undefined) {
    if (input.node === undefined)
      return `spec.nodeAffinity set but node ${nodeName ?? '(unknown)'} is not known`;
    if (!matchesSelector(s.nodeAffinity, input.node.metadata.labels)) {
      return `spec.nodeAffinity does not match the labels of node ${input.node.metadata.name}`;
    }
  }
  const nsName = input.pod?.metadata.namespace ?? input.podNamespace;
  if (s.namespaceName !== undefined && s.namespaceName.length > 0) {
    if (nsName === undefined || !s.namespaceName.includes(nsName)) {
      return `spec.namespaceName [${s.namespaceName.join(', ')}] does not include namespace ${nsName ?? '(unknown)'}`;
    }
  } else if (s.namespaceAffinity !== undefined) {
    if (!matchesSelector(s.namespaceAffinity, input.namespace?.metadata.labels)) {
      return `spec.namespaceAffinity does not match the labels of namespace ${nsName ?? '(unknown)'}`;
    }
  }
  if (s.podAffinity !== undefined && !matchesSelector(s.podAffinity, input.pod?.metadata.labels)) {
    return 'spec.podAffinity does not match the pod labels';
  }
  if (
    s.multusName !== undefined &&
    s.multusName.length > 0 &&
    !s.multusName.some((m) => multusMatches(m, input))
  ) {
    return `spec.multusName [${s.multusName.join(', ')}] does not include ${input.multusName ?? 'this interface (not attached through a NetworkAttachmentDefinition)'}`;
  }
  if (input.masterAddrs !== undefined && !onMaster(s.subnet, input.masterAddrs)) {
    return `match_master_subnet: spec.subnet ${s.subnet} holds none of the master's addresses [${input.masterAddrs.join(', ')}]`;
  }
  return undefined;
}

function onMaster(subnet: string, addrs: readonly string[]): boolean {
  const c = tryCidr(subnet);
  return (
    c !== undefined &&
    addrs.some((t) => {
      const a = parseIp(t);
      return a !== undefined && cidrContains(c, a);
    })
  );
}

function priority(p: SpiderIPPool): number[] {
  const s = p.spec;
  const has = (v: unknown[] | undefined) => (v !== undefined && v.length > 0 ? 1 : 0);
  return [
    s.podAffinity !== undefined ? 1 : 0,
    has(s.nodeName),
    s.nodeAffinity !== undefined ? 1 : 0,
    has(s.namespaceName),
    s.namespaceAffinity !== undefined ? 1 : 0,
    has(s.multusName),
  ];
}

function byPriority(a: Candidate, b: Candidate): number {
  const pa = priority(a.pool);
  const pb = priority(b.pool);
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return (pb[i] ?? 0) - (pa[i] ?? 0);
  return 0;
}

export function selectPools(input: SelectInput): Selection {
  const rule = pickRule(input);
  const issues = input.issues ?? validatePools(input.pools);
  const byName = new Map(input.pools.map((p) => [p.metadata.name, p]));
  const families: FamilyChoice[] = [];
  for (const [family, patterns] of [
    [4, rule.ipv4],
    [6, rule.ipv6],
  ] as const) {
    if (patterns.length === 0) continue;
    const choice: FamilyChoice = { family, patterns: [...patterns], candidates: [], rejected: [] };
    const reserved = reservedIntervals(input.reserved, family);
    for (const { pool: p, wildcard } of expand(patterns, byName, family, choice.rejected, input)) {
      const name = p.metadata.name;
      const bad = issues.get(name);
      if (bad !== undefined && bad.length > 0) {
        // A pool named outright must be fixed; one a wildcard happened to match is only skipped.
        const text = bad.map(formatIssue).join('; ');
        if (!wildcard) {
          throw invalidConfig(
            `pool selected for pod ${whoOf(input).pod} interface ${input.ifname} is invalid: ${text}`,
          );
        }
        choice.rejected.push({ pool: name, reason: `invalid: ${text}` });
        continue;
      }
      const why = mismatch(p, family, input);
      if (why !== undefined) {
        choice.rejected.push({ pool: name, reason: why });
        continue;
      }
      const intervals = poolIntervals(p, reserved);
      if (intervals.length === 0) {
        choice.rejected.push({ pool: name, reason: 'every address is excluded, reserved or the gateway' });
        continue;
      }
      choice.candidates.push({ name, pool: p, family, intervals });
    }
    choice.candidates.sort(byPriority);
    families.push(choice);
  }
  return { source: rule.source, cleanGateway: rule.cleanGateway, families };
}
