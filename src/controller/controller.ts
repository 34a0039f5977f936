// `trunkline controller`: every replica campaigns for the Lease; the leader runs the reconcilers
// (pool status, IP GC, SMC → NAD) on a period and on cluster events, behind the fence; all serve
// probes and the admission webhook (no leader needed: src/webhook/keeper.ts shares its certificate
// through a Secret). The webhook starts before the election, so NADs the leader generates find a
// webhook to admit them.
import { KubernetesSource } from '../cluster/kubernetes/source.js';
import type { GcPolicy } from '../gc/types.js';
import { createStore, type StoreConf } from '../store/index.js';
import { type RunningWebhook, startWebhook, type WebhookOptions } from '../webhook/start.js';
import { ClusterEvents } from './events.js';
import type { Fence } from './fence.js';
import { defineGcMetrics, gcPass } from './gc.js';
import { serveHttp } from './http.js';
import { connect, leaseClient } from './kube.js';
import { LeaderElector, type LeaseTimings } from './lease.js';
import { Metrics } from './metrics.js';
import { reconcileFinalizers } from './pool-finalizer.js';
import { DRIFT_METRIC, reconcilePoolStatus } from './pool-status.js';
import { reconcileSmcs } from './smc/reconcile.js';
import { SmcWatch } from './smc/watch.js';

interface ControllerOptions {
  kubeconfig?: string;
  identity: string;
  leaseNamespace: string;
  leaseName: string;
  timings: LeaseTimings;
  host: string;
  port: number;
  /** Full reconcile period while leading. */
  resyncMs: number;
  /** The shared allocation store the GC cleans: kubernetes (SpiderIPPool status) or etcd. */
  store: StoreConf;
  gc: GcPolicy;
  /** The admission webhook every replica serves; absent: none. */
  webhook?: WebhookOptions;
}

interface RunningController {
  port: number;
  webhookPort?: number;
  metrics: Metrics;
  /** Releases the lease (when held), stops serving. */
  stop(): Promise<void>;
}

type Log = (event: string, fields?: Record<string, unknown>) => void;

export async function startController(o: ControllerOptions, log: Log): Promise<RunningController> {
  const metrics = new Metrics();
  metrics.define('trunkline_controller_is_leader', 'gauge', '1 while this replica holds the lease');
  metrics.define(
    'trunkline_controller_leader_transitions_total',
    'counter',
    'times this replica became leader',
  );
  metrics.define('trunkline_controller_reconcile_errors_total', 'counter', 'reconcile passes that failed');
  metrics.define(DRIFT_METRIC, 'counter', 'pool status fields found wrong and repaired, by field');
  defineGcMetrics(metrics);
  metrics.define(
    'trunkline_controller_gc_triggers_total',
    'counter',
    'cluster events that woke the GC, by kind',
  );
  const clients = await connect(o.kubeconfig);
  const source = new KubernetesSource(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {});
  const store = createStore(o.store, source);
  await store.open();
  let webhook: RunningWebhook | undefined;
  if (o.webhook) {
    webhook = await startWebhook(
      {
        ...o.webhook,
        onError: (err) => log('webhook certificate pass failed', { error: (err as Error).message }),
      },
      clients,
      source,
    );
    log('webhook listening', { webhookPort: webhook.port });
  }
  let electing = true;
  let wake: (() => void) | undefined;
  let leaderRun: Promise<void> | undefined;
  const elector = new LeaderElector(
    leaseClient(clients, o.leaseNamespace, o.leaseName),
    o.identity,
    o.timings,
    {
      onStartedLeading: () => {
        metrics.set('trunkline_controller_is_leader', 1);
        metrics.add('trunkline_controller_leader_transitions_total');
        log('started leading', { identity: o.identity });
        leaderRun = lead();
        smcWatch.kick();
      },
      onStoppedLeading: (reason) => {
        metrics.set('trunkline_controller_is_leader', 0);
        log('stopped leading', { identity: o.identity, reason });
        wake?.();
      },
      onError: (err) => log('lease error', { error: (err as Error).message }),
    },
  );
  const fence: Fence = () => elector.canWrite();
  const smcWatch = new SmcWatch(
    clients,
    fence,
    () => elector.isLeader,
    log,
    (s) => log('nads written', { created: s.created, updated: s.updated }),
  );
  smcWatch.start();
  // Only the leader acts on events; a follower's wake-up finds it not leading and does nothing.
  let pending = false;
  const events = new ClusterEvents(clients, (what) => {
    metrics.add('trunkline_controller_gc_triggers_total', 1, ['event', what]);
    pending = true;
    wake?.();
  });
  events.start();

  async function lead(): Promise<void> {
    while (elector.isLeader) {
      pending = false;
      try {
        // GC first: its releases are status writes the repair would otherwise race.
        await gcPass(clients, store, o.gc, fence, metrics, log);
        const n = await reconcilePoolStatus(source, fence, metrics);
        if (n > 0) log('pool status repaired', { pools: n });
        const f = await reconcileFinalizers(clients, fence);
        if (f.removed.length > 0) log('pool deletion released', { pools: f.removed });
        const s = await reconcileSmcs(clients, fence, log);
        if (s.created.length + s.updated.length > 0)
          log('nads written', { created: s.created, updated: s.updated });
      } catch (err) {
        metrics.add('trunkline_controller_reconcile_errors_total');
        log('reconcile failed', { error: (err as Error).message });
      }
      // An event during the pass means another pass at once (after a short pause to batch a burst).
      if (pending) await new Promise((r) => setTimeout(r, 100));
      else
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, o.resyncMs).unref();
        });
    }
  }

  const loop = elector.run().finally(() => {
    electing = false;
  });
  const http = await serveHttp(o.host, o.port, metrics, {
    healthy: () => electing,
    ready: () => elector.reached && (webhook?.ready() ?? true),
  });
  return {
    port: http.port,
    metrics,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    stop: async () => {
      events.stop();
      await smcWatch.stop();
      await elector.stop();
      wake?.();
      await leaderRun;
      await loop;
      await store.close();
      // Last: until the Service drops this pod, kube-apiserver may still pick it.
      await webhook?.stop();
      // Probes and scrapes keep connections alive; they must not hold the shutdown.
      const closed = new Promise<void>((r) => http.server.close(() => r()));
      http.server.closeAllConnections();
      await closed;
    },
  };
}
