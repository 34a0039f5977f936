// Which address an allocation tries to claim: the one asked for (if a candidate pool holds it and no
// one has it), or the next free one after the pool's cursor. Nothing is written here: the claim
// becomes real only when the allocation's transaction commits (ops.ts), so a lost race costs a retry.
import { type Family, intervalsContain, keyAddr, parseIp } from '../ip.js';
import type { AllocateResult, FamilyRequest } from '../types.js';
import type { EtcdClient, KeyValue } from './client.js';
import { GapFinder } from './free.js';
import { decodeAllocation, type Keys, publicAllocation } from './keys.js';
import type { Claim } from './ops.js';

interface ClaimContext {
  client: EtcdClient;
  keys: Keys;
  /** Addresses concurrent allocate() calls of this store instance are claiming: they never race each other. */
  claiming: Record<Family, Set<bigint>>;
  /** Gap-finder round trips, cumulative. */
  stats: { searches: number };
}

export async function claimRequested(
  ctx: ClaimContext,
  req: FamilyRequest,
  ip: string,
): Promise<Claim | AllocateResult> {
  const addr = parseIp(ip);
  const cand =
    addr === undefined ? undefined : req.candidates.find((x) => intervalsContain(x.intervals, addr.value));
  if (addr === undefined || addr.family !== req.family || cand === undefined) {
    return {
      ok: false,
      reason: 'outside',
      family: req.family,
      ip,
      pools: req.candidates.map((x) => x.pool),
    };
  }
  const owner = (await ctx.client.range(ctx.keys.ip(addr.family, addr.value))).kvs[0];
  if (owner !== undefined) {
    const a = publicAllocation(decodeAllocation(owner.value));
    return { ok: false, reason: 'taken', family: req.family, ip, pool: a.pool, holder: a };
  }
  return { pool: cand.pool, family: req.family, value: addr.value, requested: true };
}

export async function claimNext(
  ctx: ClaimContext,
  req: FamilyRequest,
  cursors: Map<string, KeyValue | undefined>,
  lost: Map<string, bigint>,
  attempt: number,
): Promise<Claim | AllocateResult> {
  const finder = new GapFinder(ctx.client, ctx.keys);
  try {
    for (const cand of req.candidates) {
      if (cand.intervals.length === 0) continue;
      const cur = cursors.get(cand.pool);
      const stored = cur?.value.startsWith(`${req.family}:`) ? keyAddr(cur.value).value : undefined;
      const prev = lost.get(cand.pool);
      // After a lost race, start a random short distance past the lost address: the winners of
      // the next round are then spread over several addresses instead of all racing for one.
      const from =
        prev !== undefined
          ? prev + 1n + BigInt(Math.floor(Math.random() * Math.min(2 ** (attempt + 3), 64)))
          : (stored ?? cand.intervals[0]!.start);
      const claiming = ctx.claiming[req.family];
      const v = await finder.next(req.family, cand.intervals, from, (x) => {
        if (claiming.has(x)) return false;
        claiming.add(x);
        return true;
      });
      if (v !== undefined) {
        return {
          pool: cand.pool,
          family: req.family,
          value: v,
          requested: false,
          cursor: { mod: cur?.modRevision ?? '0' },
        };
      }
    }
  } finally {
    ctx.stats.searches += finder.requests;
  }
  return { ok: false, reason: 'exhausted', family: req.family, pools: req.candidates.map((x) => x.pool) };
}
