// SpiderIPPool: the IPAM's own rules (validatePool / validatePools, so the pool's overlap with every
// other pool follows Spiderpool's disjoint-IP rule), plus the rules that need the pool's history: a
// pool in use keeps its subnet and ipVersion and keeps every allocated address. Defaults: ipVersion
// from the subnet, as Spiderpool's mutating webhook sets it.
import type { SpiderIPPool } from '../cluster/types.js';
import { intervalsContain, parseCidr, parseIp, poolTotalIntervals } from '../ipam/ranges.js';
import { formatIssue, validatePool, validatePools } from '../ipam/validate.js';
import type { AdmissionRequest, JsonPatchOp, KindHandler, WebhookContext } from './review.js';

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
    const pool = req.object as unknown as SpiderIPPool | undefined;
    const ops: JsonPatchOp[] = [];
    if (pool?.spec && pool.spec.ipVersion === undefined && typeof pool.spec.subnet === 'string') {
      try {
        ops.push({ op: 'add', path: '/spec/ipVersion', value: parseCidr(pool.spec.subnet).family });
      } catch {
        // an unparsable subnet is the validating webhook's to report
      }
    }
    return ops;
  },
};
