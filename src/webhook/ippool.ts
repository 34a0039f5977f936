// SpiderIPPool: the IPAM's own rules (validatePool / validatePools, so the pool's overlap with every
// other pool follows Spiderpool's disjoint-IP rule), plus the rules that need the pool's history: a
// pool in use keeps its subnet and ipVersion and keeps every allocated address. Defaults as
// Spiderpool's mutating webhook (pkg/ippoolmanager, mutateIPPool) sets them: the deletion-protection
// finalizer, ipVersion from the subnet, the ippool-cidr label, and spec.ips / spec.excludeIPs
// sorted and merged into the fewest ranges.
import type { SpiderIPPool } from '../cluster/types.js';
import { POOL_FINALIZER } from '../ipam/finalizer.js';
import {
  formatIntervals,
  intervalsContain,
  parseCidr,
  parseEntries,
  parseIp,
  poolTotalIntervals,
} from '../ipam/ranges.js';
import { formatIssue, validatePool, validatePools } from '../ipam/validate.js';
import {
  type AdmissionRequest,
  type JsonPatchOp,
  type KindHandler,
  pointer,
  type WebhookContext,
} from './review.js';

type Meta = SpiderIPPool['metadata'] & { finalizers?: string[]; deletionTimestamp?: string };
/** Spiderpool's label of a pool's subnet, so pools can be listed by CIDR. */
const CIDR_LABEL = 'ipam.spidernet.io/ippool-cidr';
/** Spiderpool's CIDRToLabelValue: "10.7.0.0/24" → "10-7-0-0-24", "fd00::/64" → "fd00---64". */
const cidrLabel = (subnet: string) => subnet.replaceAll('.', '-').replaceAll(':', '-').replace('/', '-');

const strip = (s: string) => s.replace(/^SpiderIPPool "[^"]*": /, '');

function allocated(pool: SpiderIPPool): string[] {
  const text = pool.status?.allocatedIPs;
  if (typeof text !== 'string' || text === '') return [];
  try {
    return Object.keys(JSON.parse(text) as Record<string, unknown>);
  } catch {
    return [];
  }
}

function usageProblems(pool: SpiderIPPool, old: SpiderIPPool): string[] {
  const held = allocated(old);
  if (held.length === 0 && (old.status?.allocatedIPCount ?? 0) === 0) return [];
  const out: string[] = [];
  const inUse = `pool "${old.metadata.name}" has ${held.length || old.status?.allocatedIPCount} allocated address(es)`;
  if (pool.spec.subnet !== old.spec.subnet)
    out.push(
      `spec.subnet: changed from ${old.spec.subnet} to ${pool.spec.subnet}, expected unchanged while ${inUse}`,
    );
  const oldVersion = old.spec.ipVersion ?? parseCidr(old.spec.subnet).family;
  if (pool.spec.ipVersion !== undefined && pool.spec.ipVersion !== oldVersion)
    out.push(
      `spec.ipVersion: changed from ${oldVersion} to ${pool.spec.ipVersion}, expected unchanged while ${inUse}`,
    );
  if (out.length > 0) return out;
  const ips = poolTotalIntervals(pool);
  const lost = held.filter((a) => {
    const ip = parseIp(a);
    return ip !== undefined && !intervalsContain(ips, ip.value);
  });
  if (lost.length > 0)
    out.push(
      `spec.ips: no longer contains allocated address(es) ${lost.slice(0, 5).join(', ')}, expected every allocated address to stay in the pool (release them first)`,
    );
  return out;
}

export const ippool: KindHandler = {
  async validate(req: AdmissionRequest, ctx: WebhookContext) {
    if (req.operation === 'DELETE') return [];
    const pool = req.object as unknown as SpiderIPPool;
    const own = validatePool(pool).map((i) => strip(formatIssue(i)));
    if (own.length > 0) return own;
    const name = pool.metadata.name;
    const others = (await ctx.source.listIPPools()).filter((p) => p.metadata.name !== name);
    const clashes = (validatePools([...others, pool]).get(name) ?? []).map((i) => strip(formatIssue(i)));
    if (clashes.length > 0) return clashes;
    const old = req.oldObject as unknown as SpiderIPPool | undefined;
    return req.operation === 'UPDATE' && old ? usageProblems(pool, old) : [];
  },
  async mutate(req: AdmissionRequest) {
    const pool = req.object as unknown as (SpiderIPPool & { metadata: Meta }) | undefined;
    if (!pool?.spec || pool.metadata?.deletionTimestamp !== undefined) return [];
    const ops: JsonPatchOp[] = [];
    const fins = pool.metadata.finalizers;
    if (!fins?.includes(POOL_FINALIZER))
      ops.push(
        fins
          ? { op: 'add', path: '/metadata/finalizers/-', value: POOL_FINALIZER }
          : { op: 'add', path: '/metadata/finalizers', value: [POOL_FINALIZER] },
      );
    let family: 4 | 6;
    try {
      family = pool.spec.ipVersion ?? parseCidr(pool.spec.subnet).family;
    } catch {
      return ops; // an unparsable subnet is the validating webhook's to report
    }
    if (pool.spec.ipVersion === undefined) ops.push({ op: 'add', path: '/spec/ipVersion', value: family });
    const label = cidrLabel(pool.spec.subnet);
    if (pool.metadata.labels?.[CIDR_LABEL] !== label)
      ops.push(
        pool.metadata.labels
          ? { op: 'add', path: `/metadata/labels/${pointer(CIDR_LABEL)}`, value: label }
          : { op: 'add', path: '/metadata/labels', value: { [CIDR_LABEL]: label } },
      );
    for (const key of ['ips', 'excludeIPs'] as const) {
      const list = pool.spec[key];
      if (!Array.isArray(list) || list.length < 2) continue;
      try {
        const merged = formatIntervals(family, parseEntries(list, family));
        if (JSON.stringify(merged) !== JSON.stringify(list))
          ops.push({ op: 'replace', path: `/spec/${key}`, value: merged });
      } catch {
        // bad entries: the validating webhook names them
      }
    }
    return ops;
  },
};
