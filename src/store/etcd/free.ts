// Finding a free address in etcd without walking the pool: claims are keys ordered like addresses, so
// a short keys-only range after the start point usually shows a free address at once; when that
// window is fully held, count-only ranges bisect toward the first gap (log2(pool size) round trips at
// most). No request ever covers more than one interval, and none returns more than WINDOW keys.
import type { Family, Interval } from '../ip.js';
import { keyAddr } from '../ip.js';
import type { EtcdClient } from './client.js';
import type { Keys } from './keys.js';

const WINDOW = 64;

export class GapFinder {
  /** Round trips spent, for tests and measurements. */
  requests = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly keys: Keys,
  ) {}

  /**
   * Next-fit: the first unclaimed address at or after `from` within the intervals, wrapping around
   * to the start once. `take` reserves the address in this process (synchronously, right after the
   * read that showed it unclaimed) and refuses one that a concurrent call here is already claiming.
   * undefined when every address is claimed.
   */
  async next(
    family: Family,
    intervals: readonly Interval[],
    from: bigint,
    take: (v: bigint) => boolean = () => true,
  ): Promise<bigint | undefined> {
    const ahead: Interval[] = [];
    const behind: Interval[] = [];
    for (const iv of intervals) {
      if (iv.end >= from) ahead.push({ start: iv.start > from ? iv.start : from, end: iv.end });
      if (iv.start < from) behind.push({ start: iv.start, end: iv.end < from ? iv.end : from - 1n });
    }
    for (const seg of [...ahead, ...behind]) {
      const hit = await this.firstFree(family, seg.start, seg.end, take);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  private rangeOf(family: Family, lo: bigint, hi: bigint): { key: string; end: string } {
    return { key: this.keys.ip(family, lo), end: `${this.keys.ip(family, hi)}\0` };
  }

  private async held(family: Family, lo: bigint, hi: bigint): Promise<number> {
    this.requests++;
    const r = await this.client.range(this.rangeOf(family, lo, hi).key, {
      end: this.rangeOf(family, lo, hi).end,
      countOnly: true,
    });
    return r.count;
  }

  private async firstFree(
    family: Family,
    lo: bigint,
    hi: bigint,
    take: (v: bigint) => boolean,
  ): Promise<bigint | undefined> {
    const strip = this.keys.ipOfKey('').length;
    while (lo <= hi) {
      const wEnd = hi - lo + 1n > BigInt(WINDOW) ? lo + BigInt(WINDOW) - 1n : hi;
      const { key, end } = this.rangeOf(family, lo, wEnd);
      this.requests++;
      const r = await this.client.range(key, { end, keysOnly: true, limit: WINDOW });
      const claimed = new Set(r.kvs.map((kv) => keyAddr(kv.key.slice(strip)).value));
      for (let v = lo; v <= wEnd; v++) if (!claimed.has(v) && take(v)) return v;
      if (wEnd === hi) return undefined;
      let a = wEnd + 1n;
      let b = hi;
      if ((await this.held(family, a, b)) >= Number(b - a + 1n)) return undefined;
      // Invariant: [a, b] contains an unclaimed address.
      while (a < b) {
        const mid = (a + b) >> 1n;
        if ((await this.held(family, a, mid)) < Number(mid - a + 1n)) b = mid;
        else a = mid + 1n;
      }
      if (take(a)) return a;
      lo = a + 1n;
    }
    return undefined;
  }
}
