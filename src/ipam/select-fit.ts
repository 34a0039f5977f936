// Whether a pod may use a pool (disable, nodeName/nodeAffinity, namespaceName/namespaceAffinity,
// podAffinity, multusName, match_master_subnet), with the reason when it may not, and the order
// Spiderpool prefers the pools that remain: the more specific a pool's binding, the earlier.
import type { SpiderIPPool } from '../cluster/types.js';
import { cidrContains, tryCidr } from '../net/cidr.js';
import { parseIp } from '../net/ip.js';
import { matchesSelector } from './labels.js';
import { type Family, poolFamily } from './ranges.js';
import type { SelectInput } from './select-input.js';

/** The pool's family, or undefined when its spec cannot tell (validation reports why). */
export function safeFamily(p: SpiderIPPool): Family | undefined {
  try {
    return poolFamily(p);
  } catch {
    return undefined;
  }
}

function multusMatches(entry: string, input: SelectInput): boolean {
  const nad = input.multusName;
  if (nad === undefined) return false;
  const full = entry.includes('/') ? entry : `${input.multusNamespace ?? 'kube-system'}/${entry}`;
  return full === nad || (!nad.includes('/') && entry === nad);
}

/** Why the pod may not use this pool, or undefined when it may. */
export function mismatch(p: SpiderIPPool, family: Family, input: SelectInput): string | undefined {
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

export function byPriority(a: { pool: SpiderIPPool }, b: { pool: SpiderIPPool }): number {
  const pa = priority(a.pool);
  const pb = priority(b.pool);
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return (pb[i] ?? 0) - (pa[i] ?? 0);
  return 0;
}
