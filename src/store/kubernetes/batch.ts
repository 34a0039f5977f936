// One round of a pool write: several queued changes applied, in arrival order, to one fresh read of
// the pool, then one status write for all of them. A change that throws is isolated: the entries are
// put back as they were before it, it fails alone, and the others still go out in the same write.
// Re-applied from scratch on every attempt (a 409 means the read was stale), so a change must derive
// everything from the entries it is given. A change appends to `entries` or replaces the array (never
// edits it in place otherwise): undoing one is then a truncation, not a copy of the map per change.
import type { PoolEntries } from './records.js';

/** What a change of one pool decided: the value to return, and whether the pool must be written. */
export interface Change<T> {
  value: T;
  write: boolean;
}

export interface Op {
  fn: (pe: PoolEntries) => Change<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** performance.now() after which a conflict fails this change instead of retrying it. */
  deadline: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Applies `ops` to `pe` (changed in place); whether any of them asked for a write. */
export function applyRound(pe: PoolEntries, ops: readonly Op[]): { outcomes: Outcome[]; write: boolean } {
  let write = false;
  const outcomes = ops.map((op): Outcome => {
    const before = pe.entries;
    const length = before.length;
    try {
      const c = op.fn(pe);
      write ||= c.write;
      return { ok: true, value: c.value };
    } catch (error) {
      before.length = length;
      pe.entries = before;
      return { ok: false, error };
    }
  });
  return { outcomes, write };
}

/** Per pool: changes waiting for the next round, and whether a round is running. */
export class PoolQueues {
  private readonly waiting = new Map<string, Op[]>();
  private readonly running = new Set<string>();

  /** Queues `op`; true when the caller must start a round for `pool` (none is running). */
  push(pool: string, op: Op): boolean {
    const q = this.waiting.get(pool);
    if (q === undefined) this.waiting.set(pool, [op]);
    else q.push(op);
    if (this.running.has(pool)) return false;
    this.running.add(pool);
    return true;
  }

  /** Whether changes wait for the next round of `pool`. */
  pending(pool: string): boolean {
    return this.waiting.has(pool);
  }

  /** Up to `max` waiting changes joining the running round (it lost a conflict and starts over). */
  join(pool: string, max: number): Op[] {
    const q = this.waiting.get(pool) ?? [];
    const ops = q.splice(0, max);
    if (q.length === 0) this.waiting.delete(pool);
    return ops;
  }

  /** Up to `max` waiting changes for the next round; empty (and the pool idle) when none wait. */
  take(pool: string, max: number): Op[] {
    const q = this.waiting.get(pool) ?? [];
    const ops = q.splice(0, max);
    if (q.length === 0) this.waiting.delete(pool);
    if (ops.length === 0) this.running.delete(pool);
    return ops;
  }
}
