// Writes to SpiderIPPool status as spiderpool-agent does them: take the pool as last seen, change the
// allocation map, write with that resourceVersion (optimistic concurrency); on 409 back off (jittered,
// growing), re-read the pool fresh and start over, for as long as each change's time budget allows
// (Spiderpool: 5 attempts). "As last seen" is the agent's watch cache when the source has one (its own
// writes and every other node's arrive there by watch, so it is usually current and costs no request;
// a stale copy costs one 409), else a fresh GET. Writes to one pool from this process never race each
// other: they queue, and one round at a time reads and writes the pool.
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

type WriteMode = 'batched' | 'per-allocation';

export interface KubernetesStoreOptions {
  /**
   * How long one change keeps being retried while the API answers 409 Conflict, from when it was
   * asked for (default 60 000 ms). Time, not a count of attempts: how many a node needs depends on
   * how many others write and how long its own read-to-write window is, and a count (40, ~7 s) ran
   * out for the busiest of ten nodes while the others still had pods to write. Below the agent's
   * deadline for a whole CNI call (110 s), so a pod that cannot get in fails with this message
   * while the call still has time to undo its other steps.
   */
  conflictTimeoutMs?: number;
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
 * write lands in far less); a node that keeps losing keeps trying at this pace until its deadline.
 */
const MAX_BACKOFF_MS = 200;
/** Unanswered writes (timeouts, connections lost after sending) tolerated per round. */
const MAX_UNKNOWN = 3;

export class PoolWriter {
  conflicts = 0;
  /** Status writes that succeeded, and the changes they carried (batching: changes / writes > 1). */
  writes = 0;
  private readonly budgetMs: number;
  private readonly backoffMs: number;
  private readonly factor: number;
  private readonly perRound: number;
  private readonly queues = new PoolQueues();

  constructor(
    private readonly source: () => SharedSource,
    opts: KubernetesStoreOptions = {},
  ) {
    this.budgetMs = opts.conflictTimeoutMs ?? 60_000;
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
      const deadline = performance.now() + this.budgetMs;
      const op: Op = { fn, resolve: resolve as (v: unknown) => void, reject, deadline };
      if (this.queues.push(pool, op)) void this.drain(pool);
    });
  }

  private async drain(pool: string): Promise<void> {
    for (let ops = this.queues.take(pool, this.perRound); ops.length > 0; ) {
      const t0 = performance.now();
      let won = false;
      try {
        won = await this.round(pool, ops);
      } catch (err) {
        for (const op of ops) op.reject(err);
      }
      // The node that just wrote holds the newest copy and would win the next write too, over and over,
      // while nodes that lost wait for theirs to arrive: batched, it lets them in first by pausing
      // up to one round's time (what queues meanwhile goes out in its next write).
      if (won && this.perRound > 1 && this.queues.pending(pool))
        await sleep((performance.now() - t0) * Math.random());
      ops = this.queues.take(pool, this.perRound);
    }
  }

  /** True when it wrote the pool. */
  private async round(pool: string, ops: Op[]): Promise<boolean> {
    const src = this.source();
    let lost: string | undefined;
    let unknown = 0;
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      // After a 409 the cached copy serves once the watch has brought the version that won (no
      // request, and the shortest window for the next writer to slip in); until then, read fresh.
      const fresh = src.cachedIPPool?.(pool, lost) ?? (await src.getIPPool(pool));
      if (fresh === undefined) {
        for (const op of ops) op.resolve(undefined);
        return false;
      }
      const pe = parseEntries(fresh);
      const { outcomes, write } = applyRound(pe, ops);
      const settle = () => {
        for (const [i, o] of outcomes.entries()) {
          if (o.ok) ops[i]!.resolve(o.value);
          else ops[i]!.reject(o.error);
        }
      };
      if (!write) {
        settle();
        return false;
      }
      const next: SpiderIPPool = {
        ...fresh,
        status: {
          ...(fresh.status ?? {}),
          allocatedIPs: renderEntries(pe),
          allocatedIPCount: pe.entries.length,
        },
      };
      const r = await src.updateIPPoolStatus(next);
      if (r !== 'conflict' && r !== 'unknown') {
        this.writes++;
        settle();
        return true;
      }
      lost = fresh.metadata.resourceVersion;
      if (r === 'unknown') {
        // Sent, unanswered: it may still land. The changes are applied again to a newer read; the
        // version they were based on can no longer be written, so a late landing cannot undo
        // anything decided since, and what did land is found there (an entry already held).
        if (++unknown >= MAX_UNKNOWN) {
          throw tryAgainLater(
            `SpiderIPPool "${pool}": ${unknown} status updates went unanswered`,
            'the API server took the writes but did not answer; retry',
          );
        }
      } else this.conflicts++;
      // Each change gives up at its own deadline; the others of the round carry on without it.
      const now = performance.now();
      if (ops.some((op) => op.deadline <= now)) {
        const err = tryAgainLater(
          `SpiderIPPool "${pool}": status update still conflicting after ${attempt} attempts in ${Math.round(now - t0)} ms`,
          'other writers kept changing the pool; retry',
        );
        for (const op of ops.filter((o) => o.deadline <= now)) op.reject(err);
        ops.splice(0, ops.length, ...ops.filter((o) => o.deadline > now));
        if (ops.length === 0) return false;
      }
      const delay = Math.min(MAX_BACKOFF_MS, this.backoffMs * this.factor ** (attempt - 1));
      await sleep(delay * (0.5 + Math.random()));
      // Changes queued meanwhile join the retry: one more write would only add a contender.
      ops.push(...this.queues.join(pool, this.perRound - ops.length));
    }
  }
}
