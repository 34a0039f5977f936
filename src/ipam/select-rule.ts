// The first step of pool selection: the highest-priority rule that names pools for this NIC wins
// (pod `ippools` → pod `ippool` → namespace defaults → IPAM config defaults → pools with spec.default).
import {
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  type PoolNames,
  parseNamespaceDefaults,
  parsePodIPPool,
  parsePodIPPools,
} from './annotations.js';
import { NoEligiblePoolError } from './errors.js';
import type { Family } from './ranges.js';
import { safeFamily } from './select-fit.js';
import { type SelectInput, whoOf } from './select-input.js';

export type RuleSource = 'pod:ippools' | 'pod:ippool' | 'namespace' | 'ipam-config' | 'cluster-default';

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
