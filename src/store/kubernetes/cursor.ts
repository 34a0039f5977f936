// Next-fit without a stored cursor. The allocation map must hold only IP keys (Spiderpool's format),
// and it is the only thing written atomically with the allocations, so the cursor is derived: the
// search starts after the newest allocation in the map (records carry createdAt). That forgets an
// address released right after it was handed out (the map no longer shows it), so this process also
// remembers the last address it handed out per pool and uses it when it is newer than anything in
// the map. Both are hints: a wrong start costs only the next-fit preference, never correctness.
import { type Family, MAX } from '../ip.js';
import { heldIn, type Mark } from './held.js';
import type { PoolEntries } from './records.js';

export class Cursors {
  private readonly last = new Map<string, Mark>();

  /** Where to start searching `pool` for an address of `family`. */
  start(pe: PoolEntries, family: Family, first: bigint): bigint {
    const newest = heldIn(pe.entries).newest.get(family);
    const mine = this.last.get(`${family}/${pe.pool}`);
    const mark = mine !== undefined && (newest === undefined || mine.at >= newest.at) ? mine : newest;
    if (mark === undefined) return first;
    return mark.value === MAX[family] ? 0n : mark.value + 1n;
  }

  handedOut(pool: string, family: Family, value: bigint, at: string): void {
    this.last.set(`${family}/${pool}`, { value, at });
  }
}
