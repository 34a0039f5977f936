// Writes to SpiderIPPool status as spiderpool-agent does them: take the pool as last seen, change the
// allocation map, write with that resourceVersion (optimistic concurrency); on 409 back off (jittered,
// growing), re-read the pool fresh and start over, a few more times than Spiderpool's 5. "As last
// seen" is the agent's watch cache when the source has one (its own writes and every other node's
// arrive there by watch, so it is usually current and costs no request; a stale copy costs one 409),
// else a fresh GET. Writes to one pool from
// this process never race each other: they queue, and one round at a time reads and writes the pool.
// `writes: "per-allocation"` (Spiderpool's mechanism) puts one change in a round, so N pods on a node
// cost N reads and N writes in a row. `writes: "batched"` (the default) takes every change that queued
// while the previous round was on the wire into the next one: one read and one write for all of them,
// so a node's burst costs a few rounds and the other nodes see a few writes to conflict with, not N.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterSource, SpiderIPPool } from '../../cluster/types.js';
import { tryAgainLater } from '../../cni/errors.js';
import { applyRound, type Change, type Op, PoolQueues } from './batch.js';
import { type PoolEntries, parseEntries, renderEntries } from './records.js';

export type { Change } from './batch.js';

export type WriteMode = 'batched' | 'per-allocation';

export interface KubernetesStoreOptions {
  /** Attempts per pool write while the API answers 409 Conflict (default 10; Spiderpool: 5). */
  conflictRetries?: number;
  /** First backoff after a conflict in ms (default 10), times `backoffFactor` (1.5) per retry, jittered. */
  backoffMs?: number;
  backoffFactor?: number;
  /** How many allocations one status write carries (default "batched"; see above). */
  writes?: WriteMode;
}

type SharedSource = ClusterSource & Required<Pick<ClusterSource, 'getIPPool' | 'updateIPPoolStatus'>>;

/** Changes per round in batched mode: bounds one write's work and what a failed round takes down. */
const MAX_BATCH = 256;
/**
 * Longest pause between attempts: beyond it a node sits out writes it could win (every other node's
 * write lands in far less), and the budget of attempts runs out in time, not in tries.
 */
const MAX_BACKOFF_MS = 200;

export class PoolWriter {
  conflicts = 0;
  /** Status writes that succeeded, and the changes they carried (batching: changes / writes > 1). */
  writes = 0;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly factor: number;
  private readonly perRound: number;
  private readonly queues = new PoolQueues();

  constructor(
    private readonly source: () => SharedSource,
    opts: KubernetesStoreOptions = {},
  ) {
    this.retries = opts.conflictRetries ?? 10;
    this.backoffMs = opts.backoffMs ?? 10;
    this.factor = opts.backoffFactor ?? 1.5;
    this.perRound = (opts.writes ?? 'batched') === 'batched' ? MAX_BATCH : 1;
  }

  /**
   * Read the pool fresh, apply `fn`, write the status if asked; on 409 start over. undefined when the
   * pool does not exist (deleted since the caller saw it).
   */
  mutate<T>(pool: string, fn: (pe: PoolEntries) => Change<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const op: Op = { fn, resolve: resolve as (v: unknown) => void, reject };
      if (this.queues.push(pool, op)) void this.drain(pool);
    });
  }

  private async drain(pool: string): Promise<void> {
    for (let ops = this.queues.take(pool, this.perRound); ops.length > 0; ) {
      try {
        await this.round(pool, ops);
      } catch (err) {
        for (const op of ops) op.reject(err);
      }
      ops = this.queues.take(pool, this.perRound);
    }
  }

  private async round(pool: string, ops: Op[]): Promise<void> {
    const src = this.source();
    for (let attempt = 1; ; attempt++) {
      const fresh = (attempt === 1 ? src.cachedIPPool?.(pool) : undefined) ?? (await src.getIPPool(pool));
      if (fresh === undefined) {
        for (const op of ops) op.resolve(undefined);
        return;
      }
      const pe = parseEntries(fresh);
      const { outcomes, write } = applyRound(pe, ops);
      const settle = () => {
        for (const [i, o] of outcomes.entries()) {
          if (o.ok) ops[i]!.resolve(o.value);
          else ops[i]!.reject(o.error);
        }
      };
      if (!write) return settle();
      const next: SpiderIPPool = {
        ...fresh,
        status: {
          ...(fresh.status ?? {}),
          allocatedIPs: renderEntries(pe),
          allocatedIPCount: pe.entries.length,
        },
      };
      if ((await src.updateIPPoolStatus(next)) !== 'conflict') {
        this.writes++;
        return settle();
      }
      this.conflicts++;
      if (attempt >= this.retries) {
        throw tryAgainLater(
          `SpiderIPPool "${pool}": status update still conflicting after ${attempt} attempts`,
          'other writers kept changing the pool; retry',
        );
      }
      const delay = Math.min(MAX_BACKOFF_MS, this.backoffMs * this.factor ** (attempt - 1));
      await sleep(delay * (0.5 + Math.random()));
      // Changes queued meanwhile join the retry: one more write would only add a contender.
      ops.push(...this.queues.join(pool, this.perRound - ops.length));
    }
  }
}
