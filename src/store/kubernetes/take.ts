// Choosing and taking one address in a SpiderIPPool: the requested address (or one a fixed-IP owner
// hands over, in the same write), else the next free one after the pool's cursor (next-fit, cursor.ts),
// each as a change of the pool's allocation map written by PoolWriter (writer.ts).
import { type Family, formatIp, type Interval, intervalsContain, parseIp } from '../ip.js';
import type { AllocateResult, Allocation, FamilyRequest, Holder, PoolCandidate } from '../types.js';
import { Cursors } from './cursor.js';
import { heldIn, holderKey } from './held.js';
import { allocationOf, type Entry, isHolder, type PoolEntries, recordOf } from './records.js';
import type { Change, PoolWriter } from './writer.js';

export class Taker {
  private readonly cursors = new Cursors();

  constructor(private readonly writer: PoolWriter) {}

  /** One family's address for `h`: the requested one, else the next free one of the first candidate pool with one. */
  async family(
    h: Holder,
    req: FamilyRequest,
    snapshot: readonly Readonly<PoolEntries>[],
  ): Promise<Allocation | AllocateResult> {
    const pools = req.candidates.map((c) => c.pool);
    const elsewhere = (pool: string) => {
      const s = new Map<bigint, Allocation>();
      for (const p of snapshot)
        if (p.pool !== pool)
          for (const e of p.entries) if (e.family === req.family) s.set(e.value, allocationOf(p.pool, e));
      return s;
    };
    if (req.requestedIp !== undefined) {
      const ip = req.requestedIp;
      const a = parseIp(ip);
      const cand =
        a === undefined ? undefined : req.candidates.find((c) => intervalsContain(c.intervals, a.value));
      if (a === undefined || a.family !== req.family || cand === undefined) {
        return { ok: false, reason: 'outside', family: req.family, ip, pools };
      }
      const other = elsewhere(cand.pool).get(a.value);
      if (other !== undefined)
        return { ok: false, reason: 'taken', family: req.family, ip, pool: other.pool, holder: other };
      const r = await this.takeRequested(h, cand, a.value, req.adopt);
      if (r === undefined) return { ok: false, reason: 'outside', family: req.family, ip, pools };
      if ('ip' in r) return r;
      return { ok: false, reason: 'taken', family: req.family, ip, pool: cand.pool, holder: r.holder };
    }
    for (const cand of req.candidates) {
      if (cand.intervals.length === 0) continue;
      const got = await this.takeNext(h, cand, elsewhere(cand.pool));
      if (got !== undefined) return got;
    }
    return { ok: false, reason: 'exhausted', family: req.family, pools };
  }

  private takeNext(h: Holder, c: PoolCandidate, elsewhere: Map<bigint, Allocation>) {
    return this.writer.mutate(c.pool, (pe): Change<Allocation | undefined> => {
      const idx = heldIn(pe.entries);
      const mine = idx.holders.get(holderKey(c.family, h.containerId, h.ifname));
      if (mine !== undefined) return { value: allocationOf(pe.pool, mine), write: false };
      const held = idx.values.get(c.family);
      const taken = (v: bigint) => held?.has(v) === true || elsewhere.has(v);
      const from = this.cursors.start(pe, c.family, c.intervals[0]!.start);
      const v = nextFree(c.intervals, from, taken);
      if (v === undefined) return { value: undefined, write: false };
      return { value: this.add(pe, h, c.family, v), write: true };
    });
  }

  /** undefined: the pool is gone; {holder}: the address is held in this pool by someone else. */
  private takeRequested(h: Holder, c: PoolCandidate, v: bigint, adopt?: FamilyRequest['adopt']) {
    return this.writer.mutate(c.pool, (pe): Change<Allocation | { holder: Allocation } | undefined> => {
      const cur = pe.entries.find((e) => e.family === c.family && e.value === v);
      if (cur !== undefined) {
        const a = allocationOf(pe.pool, cur);
        if (isHolder(cur, h.containerId, h.ifname)) return { value: a, write: false };
        if (adopt === undefined || !adopt(a)) return { value: { holder: a }, write: false };
        // Taken over in the same write: the address is never free in between.
        pe.entries = pe.entries.filter((e) => e !== cur);
      }
      return { value: this.add(pe, h, c.family, v), write: true };
    });
  }

  private add(pe: PoolEntries, h: Holder, family: Family, v: bigint): Allocation {
    const at = new Date().toISOString();
    const e: Entry = { text: formatIp(family, v), family, value: v, record: recordOf(h, family, at) };
    pe.entries.push(e);
    this.cursors.handedOut(pe.pool, family, v, at);
    return allocationOf(pe.pool, e);
  }
}

/** First address not `taken` at or after `from`, wrapping once; cost bounded by the addresses taken. */
function nextFree(
  intervals: readonly Interval[],
  from: bigint,
  taken: (v: bigint) => boolean,
): bigint | undefined {
  const segs: Interval[] = [];
  for (const iv of intervals)
    if (iv.end >= from) segs.push({ start: iv.start > from ? iv.start : from, end: iv.end });
  for (const iv of intervals)
    if (iv.start < from) segs.push({ start: iv.start, end: iv.end < from ? iv.end : from - 1n });
  for (const s of segs) {
    let v = s.start;
    while (v <= s.end && taken(v)) v++;
    if (v <= s.end) return v;
  }
  return undefined;
}
