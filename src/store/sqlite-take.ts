// Choosing an address inside an allocation's transaction: the next free one of the candidate pools, or
// the one a call asked for. A refusal rolls the transaction back through Abort.
import { addrKey, type Family, intervalsContain, parseIp } from './ip.js';
import type { FreeSpace } from './sqlite-free.js';
import { type Queries, toAllocation } from './sqlite-rows.js';
import type { AllocateResult, FamilyRequest, Holder, PoolCandidate } from './types.js';

/** Thrown inside a transaction to roll it back and report a non-exceptional outcome. */
export class Abort {
  constructor(readonly result: AllocateResult) {}
}

interface Tables {
  q: Queries;
  free: FreeSpace;
}

/** The first free address of the first candidate pool that has one; Abort when none has. */
export function takeFirstFree({ q, free }: Tables, holder: Holder, req: FamilyRequest, now: string): string {
  for (const c of req.candidates) {
    free.sync(c.pool, c.family, c.intervals);
    for (;;) {
      const key = free.takeNext(c.pool);
      if (key === undefined) break;
      // A free span can be stale only when pools overlap (invalid config): the address is then held
      // through another pool, and the primary key refuses it. It is gone from this pool's free
      // space now, so the loop moves on.
      if (insert(q, key, c, holder, now)) return key;
    }
  }
  throw new Abort({
    ok: false,
    reason: 'exhausted',
    family: req.family,
    pools: req.candidates.map((c) => c.pool),
  });
}

/** The requested address, if a candidate pool contains it and nobody holds it; Abort otherwise. */
export function takeRequested({ q, free }: Tables, holder: Holder, req: FamilyRequest, now: string): string {
  const ip = req.requestedIp ?? '';
  const addr = parseIp(ip);
  const pools = req.candidates.map((c) => c.pool);
  const c: PoolCandidate | undefined =
    addr === undefined ? undefined : req.candidates.find((x) => intervalsContain(x.intervals, addr.value));
  if (addr === undefined || addr.family !== req.family || c === undefined) {
    throw new Abort({ ok: false, reason: 'outside', family: req.family, ip, pools });
  }
  const key = addrKey(addr.family, addr.value);
  const owner = q.byIp.get(key);
  if (owner !== undefined) {
    throw new Abort({
      ok: false,
      reason: 'taken',
      family: req.family,
      ip,
      pool: owner.pool,
      holder: toAllocation(owner),
    });
  }
  free.sync(c.pool, c.family, c.intervals);
  free.takeExact(c.pool, key);
  insert(q, key, c, holder, now);
  return key;
}

function insert(q: Queries, key: string, c: PoolCandidate, h: Holder, now: string): boolean {
  const family: Family = c.family;
  return (
    q.insert.run(
      key,
      family,
      c.pool,
      h.containerId,
      h.ifname,
      h.network ?? null,
      h.podNamespace ?? null,
      h.podName ?? null,
      h.podUid ?? null,
      now,
    ).changes === 1
  );
}
