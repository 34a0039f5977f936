// Writes to SpiderIPPool status as spiderpool-agent does them: re-read the pool fresh, change the
// allocation map, write with the resourceVersion read (optimistic concurrency); on 409 back off
// (jittered, growing) and start over, a few more times than Spiderpool's 5. Writes to one pool from
// this process queue behind each other (Spiderpool's per-pool request queue), so only writers on
// other hosts can make them conflict.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterSource, SpiderIPPool } from '../../cluster/types.js';
import { tryAgainLater } from '../../cni/errors.js';
import { type PoolEntries, parseEntries, renderEntries } from './records.js';

export interface KubernetesStoreOptions {
  /** Attempts per pool write while the API answers 409 Conflict (default 10; Spiderpool: 5). */
  conflictRetries?: number;
  /** First backoff after a conflict in ms (default 10), times `backoffFactor` (1.5) per retry, jittered. */
  backoffMs?: number;
  backoffFactor?: number;
}

type SharedSource = ClusterSource & Required<Pick<ClusterSource, 'getIPPool' | 'updateIPPoolStatus'>>;

/** What a change of one pool decided: the value to return, and whether the pool must be written. */
export interface Change<T> {
  value: T;
  write: boolean;
}

export class PoolWriter {
  conflicts = 0;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly factor: number;
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(
    private readonly source: () => SharedSource,
    opts: KubernetesStoreOptions = {},
  ) {
    this.retries = opts.conflictRetries ?? 10;
    this.backoffMs = opts.backoffMs ?? 10;
    this.factor = opts.backoffFactor ?? 1.5;
  }

  /**
   * Read the pool fresh, apply `fn`, write the status if asked; on 409 start over. undefined when the
   * pool does not exist (deleted since the caller saw it).
   */
  mutate<T>(pool: string, fn: (pe: PoolEntries) => Change<T>): Promise<T | undefined> {
    return this.serial(pool, async () => {
      const src = this.source();
      for (let attempt = 1; ; attempt++) {
        const fresh = await src.getIPPool(pool);
        if (fresh === undefined) return undefined;
        const pe = parseEntries(fresh);
        const change = fn(pe);
        if (!change.write) return change.value;
        const next: SpiderIPPool = {
          ...fresh,
          status: {
            ...(fresh.status ?? {}),
            allocatedIPs: renderEntries(pe),
            allocatedIPCount: pe.entries.length,
          },
        };
        if ((await src.updateIPPoolStatus(next)) !== 'conflict') return change.value;
        this.conflicts++;
        if (attempt >= this.retries) {
          throw tryAgainLater(
            `SpiderIPPool "${pool}": status update still conflicting after ${attempt} attempts`,
            'other writers kept changing the pool; retry',
          );
        }
        const delay = this.backoffMs * this.factor ** (attempt - 1);
        await sleep(delay * (0.5 + Math.random()));
      }
    });
  }

  private serial<T>(pool: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.lanes.get(pool) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.lanes.set(pool, tail);
    void tail.then(() => {
      if (this.lanes.get(pool) === tail) this.lanes.delete(pool);
    });
    return run;
  }
}
