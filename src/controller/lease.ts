// Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does it:
// candidates try every retryPeriod; a lease held by someone else is taken only after it has not
// changed for leaseDuration as observed on *our* clock (never comparing clocks across hosts); the
// leader renews every retryPeriod and gives up when no renewal succeeded within renewDeadline.
//
// Fencing: renewDeadline < leaseDuration. The leader may write only while
// (start of its last successful renewal) + renewDeadline is in the future; a rival can take over
// only leaseDuration after it observed that renewal, which is later. So a deposed or paused leader
// stops writing (leaseDuration - renewDeadline) before anyone else can start.
import type { Lease } from './kube.js';

export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: LeaseTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** The Lease API as the elector uses it; 'conflict' on a resourceVersion mismatch or a lost create race. */
export interface LeaseClient {
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease | 'conflict'>;
  replace(lease: Lease): Promise<Lease | 'conflict'>;
}

interface ElectorEvents {
  onStartedLeading(): void;
  onStoppedLeading(reason: string): void;
  onError?(err: unknown): void;
}

export function validateTimings(t: LeaseTimings): void {
  if (!(t.retryPeriodMs > 0 && t.renewDeadlineMs > t.retryPeriodMs && t.leaseDurationMs > t.renewDeadlineMs))
    throw new Error(
      `leader election timings: expected leaseDuration > renewDeadline > retryPeriod > 0, found ${t.leaseDurationMs} / ${t.renewDeadlineMs} / ${t.retryPeriodMs} ms`,
    );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LeaderElector {
  private observed: { key: string; at: number } | undefined;
  private leaseValidUntil = 0;
  private leading = false;
  private stopped = false;
  private current: Lease | undefined;
  private attempt: Promise<boolean> = Promise.resolve(false);
  /** The API server answered at least once (readiness). */
  reached = false;

  constructor(
    private readonly client: LeaseClient,
    readonly identity: string,
    private readonly t: LeaseTimings,
    private readonly events: ElectorEvents,
  ) {
    validateTimings(t);
  }

  /** True only while this process may write (see the fencing note above). */
  canWrite(): boolean {
    return this.leading && Date.now() < this.leaseValidUntil;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Runs until stop(): acquire, renew while leading, fall back to candidate when renewal fails. */
  async run(): Promise<void> {
    while (!this.stopped) {
      this.attempt = this.tryAcquireOrRenew();
      const ok = await this.attempt;
      if (this.stopped) break;
      if (ok && !this.leading) {
        this.leading = true;
        this.events.onStartedLeading();
      } else if (!ok && this.leading && Date.now() >= this.leaseValidUntil) {
        this.demote('renewal did not succeed within renewDeadline');
      }
      if (!this.stopped)
        await sleep(this.leading ? this.t.retryPeriodMs : this.t.retryPeriodMs * (1 + Math.random() * 0.2));
    }
  }

  /** Stops the loop; a leader releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.attempt;
    const cur = this.current;
    if (this.leading) this.demote('shutting down');
    // A stale `cur` (someone took over since) makes the replace conflict: nothing to release then.
    if (cur === undefined || cur.spec?.holderIdentity !== this.identity) return;
    const now = micro(Date.now());
    await this.client
      .replace({
        ...cur,
        spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      })
      .catch((err: unknown) => this.events.onError?.(err));
  }

  private demote(reason: string): void {
    this.leading = false;
    this.leaseValidUntil = 0;
    this.events.onStoppedLeading(reason);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const start = Date.now();
    const durationS = Math.ceil(this.t.leaseDurationMs / 1000);
    try {
      const old = await this.client.get();
      this.reached = true;
      if (old === undefined) {
        const created = await this.client.create({
          metadata: { name: '', namespace: '' },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: durationS,
            acquireTime: micro(start),
            renewTime: micro(start),
            leaseTransitions: 0,
          },
        });
        return this.won(created, start);
      }
      const key = JSON.stringify(old.spec ?? {});
      if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
      const holder = old.spec?.holderIdentity ?? '';
      const mine = holder === this.identity;
      if (holder !== '' && !mine && this.leading) this.demote(`the lease is now held by ${holder}`);
      if (holder !== '' && !mine && this.observed.at + this.t.leaseDurationMs > Date.now()) return false;
      const keep = mine && this.leading;
      const next: Lease = {
        ...old,
        spec: {
          ...old.spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: durationS,
          renewTime: micro(start),
          acquireTime: keep ? (old.spec?.acquireTime ?? micro(start)) : micro(start),
          leaseTransitions: (old.spec?.leaseTransitions ?? 0) + (keep || mine ? 0 : 1),
        },
      };
      return this.won(await this.client.replace(next), start);
    } catch (err) {
      this.events.onError?.(err);
      return false;
    }
  }

  private won(r: Lease | 'conflict', start: number): boolean {
    if (r === 'conflict') return false;
    this.current = r;
    this.observed = { key: JSON.stringify(r.spec ?? {}), at: Date.now() };
    this.leaseValidUntil = start + this.t.renewDeadlineMs;
    return true;
  }
}

/** Lease timestamps are MicroTime: RFC 3339 with exactly six fractional digits. */
function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
