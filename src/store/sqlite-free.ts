// Free-space bookkeeping of the SQLite store (see sqlite-schema.ts). Every method runs inside the
// caller's transaction; keys of one pool share family and width, so string order is address order.
import type BetterSqlite3 from 'better-sqlite3';
import { addrKey, type Family, type Interval, intervalsContain, keyAddr, MAX } from './ip.js';

interface Span {
  lo: string;
  hi: string;
}

function encodeIntervals(family: Family, intervals: readonly Interval[]): string {
  return `${family}|${intervals.map((iv) => `${iv.start.toString(16)}-${iv.end.toString(16)}`).join(',')}`;
}

function decodeIntervals(text: string): { family: Family; intervals: Interval[] } {
  const [fam, body = ''] = text.split('|');
  const intervals =
    body === ''
      ? []
      : body.split(',').map((p) => {
          const [a = '0', b = '0'] = p.split('-');
          return { start: BigInt(`0x${a}`), end: BigInt(`0x${b}`) };
        });
  return { family: fam === '6' ? 6 : 4, intervals };
}

function step(key: string, delta: 1n | -1n): string | undefined {
  const a = keyAddr(key);
  const v = a.value + delta;
  return v < 0n || v > MAX[a.family] ? undefined : addrKey(a.family, v);
}

export class FreeSpace {
  private readonly decoded = new Map<string, { family: Family; intervals: Interval[] }>();
  private readonly q;

  constructor(db: BetterSqlite3.Database) {
    this.q = {
      pool: db.prepare<[string], { intervals: string; cursor: string | null }>(
        'SELECT intervals, cursor FROM pools WHERE name = ?',
      ),
      upsertPool: db.prepare<[string, string, string | null]>(
        'INSERT INTO pools (name, intervals, cursor) VALUES (?, ?, ?) ' +
          'ON CONFLICT (name) DO UPDATE SET intervals = excluded.intervals, cursor = excluded.cursor',
      ),
      setCursor: db.prepare<[string | null, string]>('UPDATE pools SET cursor = ? WHERE name = ?'),
      clear: db.prepare<[string]>('DELETE FROM free WHERE pool = ?'),
      heldIn: db
        .prepare<[string, string], string>('SELECT ip FROM allocations WHERE ip >= ? AND ip <= ? ORDER BY ip')
        .pluck(),
      atOrBefore: db.prepare<[string, string], Span>(
        'SELECT lo, hi FROM free WHERE pool = ? AND lo <= ? ORDER BY lo DESC LIMIT 1',
      ),
      after: db.prepare<[string, string], Span>(
        'SELECT lo, hi FROM free WHERE pool = ? AND lo > ? ORDER BY lo LIMIT 1',
      ),
      first: db.prepare<[string], Span>('SELECT lo, hi FROM free WHERE pool = ? ORDER BY lo LIMIT 1'),
      startingAt: db.prepare<[string, string], Span>('SELECT lo, hi FROM free WHERE pool = ? AND lo = ?'),
      insert: db.prepare<[string, string, string]>('INSERT INTO free (pool, lo, hi) VALUES (?, ?, ?)'),
      remove: db.prepare<[string, string]>('DELETE FROM free WHERE pool = ? AND lo = ?'),
      setHi: db.prepare<[string, string, string]>('UPDATE free SET hi = ? WHERE pool = ? AND lo = ?'),
    };
  }

  /** Makes the pool's free space match its current intervals; one indexed read when unchanged. */
  sync(pool: string, family: Family, intervals: readonly Interval[]): void {
    const text = encodeIntervals(family, intervals);
    const row = this.q.pool.get(pool);
    if (row?.intervals === text) return;
    this.q.clear.run(pool);
    for (const iv of intervals) {
      let next: bigint | undefined = iv.start;
      for (const held of this.q.heldIn.all(addrKey(family, iv.start), addrKey(family, iv.end))) {
        const v = keyAddr(held).value;
        if (next !== undefined && v > next)
          this.q.insert.run(pool, addrKey(family, next), addrKey(family, v - 1n));
        next = v < iv.end ? v + 1n : undefined;
      }
      if (next !== undefined) this.q.insert.run(pool, addrKey(family, next), addrKey(family, iv.end));
    }
    const cursor = row?.cursor?.startsWith(`${family}:`) ? row.cursor : null;
    this.q.upsertPool.run(pool, text, cursor);
  }

  /** Next-fit: the first free address at or after the cursor, wrapping once; removed from free space. */
  takeNext(pool: string): string | undefined {
    const cursor = this.q.pool.get(pool)?.cursor ?? null;
    let span: Span | undefined;
    let key: string | undefined;
    if (cursor !== null) {
      const before = this.q.atOrBefore.get(pool, cursor);
      if (before !== undefined && before.hi >= cursor) {
        span = before;
        key = cursor;
      } else {
        span = this.q.after.get(pool, cursor);
      }
    }
    span ??= this.q.first.get(pool);
    if (span === undefined) return undefined;
    key ??= span.lo;
    this.carve(pool, span, key);
    this.q.setCursor.run(step(key, 1n) ?? null, pool);
    return key;
  }

  /** Removes one given address from free space; false when it was not free there. */
  takeExact(pool: string, key: string): boolean {
    const span = this.q.atOrBefore.get(pool, key);
    if (span === undefined || span.hi < key) return false;
    this.carve(pool, span, key);
    return true;
  }

  /** Returns a released address to its pool, merging with neighbours, if the pool still covers it. */
  giveBack(pool: string, key: string): void {
    const row = this.q.pool.get(pool);
    if (row === undefined) return;
    let dec = this.decoded.get(row.intervals);
    if (dec === undefined) {
      dec = decodeIntervals(row.intervals);
      this.decoded.set(row.intervals, dec);
    }
    const a = keyAddr(key);
    if (a.family !== dec.family || !intervalsContain(dec.intervals, a.value)) return;
    const before = this.q.atOrBefore.get(pool, key);
    if (before !== undefined && before.hi >= key) return; // already free
    const nextKey = step(key, 1n);
    const after = nextKey === undefined ? undefined : this.q.startingAt.get(pool, nextKey);
    const hi = after?.hi ?? key;
    if (after !== undefined) this.q.remove.run(pool, after.lo);
    if (before !== undefined && step(before.hi, 1n) === key) this.q.setHi.run(hi, pool, before.lo);
    else this.q.insert.run(pool, key, hi);
  }

  private carve(pool: string, span: Span, key: string): void {
    this.q.remove.run(pool, span.lo);
    if (span.lo < key) this.q.insert.run(pool, span.lo, step(key, -1n)!);
    if (key < span.hi) this.q.insert.run(pool, step(key, 1n)!, span.hi);
  }
}
