// Which pools may serve one NIC, in Spiderpool's order. First the highest-priority rule that names
// pools wins (pod `ippools` → pod `ippool` → namespace defaults → IPAM config defaults → pools with
// spec.default); then candidates the pod may not use are dropped with a reason; the rest are ordered
// podAffinity-bound first, then nodeName, nodeAffinity, namespaceName, namespaceAffinity, multusName
// (stable, so ties keep the order the rule listed them in).

import type { SpiderIPPool } from '../cluster/types.js';
import { invalidConfig } from '../cni/errors.js';
import { NoEligiblePoolError } from './errors.js';
import { hasWildcard, wildcardToRegExp } from './labels.js';
import { type Family, type Interval, poolIntervals, reservedIntervals } from './ranges.js';
import { byPriority, mismatch, safeFamily } from './select-fit.js';
import { type SelectInput, whoOf } from './select-input.js';
import { pickRule, type RuleSource } from './select-rule.js';
import { formatIssue, validatePools } from './validate.js';

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
