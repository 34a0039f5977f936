// Event-driven SpiderMultusConfig → NAD: informers on SMCs and NADs (every replica keeps them warm,
// as client-go controllers do) feed a queue of SMC keys that the leader works off one at a time —
// an SMC created or changed, or a NAD it controls changed or deleted by hand, is acted on within
// that one event; the controller's periodic resync (reconcileSmcs) stays as the safety net. An SMC
// deleted needs nothing from us: the API server's garbage collector removes the NAD it owns.
import type { Clients } from '../../cluster/kubernetes/client.js';
import { type ChangeType, Informer } from '../../cluster/kubernetes/informer.js';
import { NAD } from '../../cluster/kubernetes/source.js';
import type { Fence } from '../fence.js';
import { nadNameOf, SMC, type Smc } from './generate.js';
import { controllingSmc, emptyPass, getNad, type RawNad, reconcileSmc, type SmcPass } from './reconcile.js';

type Log = (event: string, fields?: Record<string, unknown>) => void;

/** A cluster-wide cache of one custom resource that reports each change. */
function watchAll<T>(
  clients: Clients,
  what: string,
  r: { group: string; version: string; plural: string },
  onChange: (type: ChangeType, obj: T) => void,
): Informer<T> {
  return new Informer<T>(
    async () => clients,
    {
      what,
      path: `/apis/${r.group}/${r.version}/${r.plural}`,
      list: (c) => c.custom.listClusterCustomObject({ ...r }) as never,
      convert: (raw) => raw as T,
    },
    { onChange: (type, raw) => onChange(type, raw as T) },
  );
}

export class SmcWatch {
  private readonly smcs: Informer<Smc>;
  private readonly nads: Informer<RawNad>;
  private readonly queue = new Set<string>();
  /** Failed attempts per key, for the retry backoff (client-go's rate-limited requeue). */
  private readonly failures = new Map<string, number>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly clients: Clients,
    private readonly fence: Fence,
    private readonly leading: () => boolean,
    private readonly log: Log,
    private readonly done: (pass: SmcPass) => void,
  ) {
    this.smcs = watchAll<Smc>(clients, 'SpiderMultusConfigs', SMC, (t, o) => this.onSmc(t, o));
    this.nads = watchAll<RawNad>(clients, 'NetworkAttachmentDefinitions', NAD, (t, o) => this.onNad(t, o));
  }

  start(): void {
    this.smcs.start();
    this.nads.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.smcs.stop(), this.nads.stop()]);
    await this.draining;
  }

  /** Work off what arrived while following (the new leader's full pass covered it) from now on. */
  kick(): void {
    if (this.queue.size > 0) this.drainSoon();
  }

  private onSmc(type: ChangeType, smc: Smc): void {
    if (type !== 'DELETED') this.enqueue(`${smc.metadata.namespace}/${smc.metadata.name}`);
  }

  private onNad(type: ChangeType, nad: RawNad): void {
    if (type === 'ADDED') return; // ours, just created; or someone else's, which we leave alone
    const smc = controllingSmc(nad);
    if (smc !== undefined) this.enqueue(smc);
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    this.drainSoon();
  }

  private drainSoon(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.size > 0 && this.leading()) this.drainSoon();
    });
  }

  private async drain(): Promise<void> {
    const out = emptyPass();
    for (const key of this.queue) {
      if (!this.leading()) return;
      this.queue.delete(key);
      const [ns = '', name = ''] = key.split('/');
      const smc = this.smcs.get(ns, name);
      if (smc === undefined) continue;
      try {
        // The NAD fresh from the API server: the write decision must not rest on a lagging cache.
        await reconcileSmc(
          this.clients,
          this.fence,
          this.log,
          smc,
          await getNad(this.clients, ns, nadNameOf(smc)),
          out,
        );
        this.failures.delete(key);
      } catch (err) {
        // Retried with a doubling delay (a refused fence, an API error): the event is not lost.
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const retryInMs = Math.min(30_000, 250 * 2 ** (n - 1));
        this.log('spidermultusconfig reconcile failed', {
          smc: key,
          error: (err as Error).message,
          retryInMs,
        });
        setTimeout(() => this.enqueue(key), retryInMs).unref();
      }
    }
    if (out.created.length + out.updated.length > 0) this.done(out);
  }
}
