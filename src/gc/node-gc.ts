// IP GC for a per-node store (SQLite): the node agent runs the same collect() the controller runs
// on the shared stores, every `intervalMs`, for each (kubeconfig, store) pair its IPAM requests used.
// Without a Kubernetes source there is nothing to compare against: no GC (the runtime's CNI GC
// verb still applies).
import { loadClients } from '../cluster/kubernetes/client.js';
import { log } from '../cni/log.js';
import type { AllocationStore } from '../store/types.js';
import { kubeClusterView } from './kube-view.js';
import { collect } from './scan.js';
import { DEFAULT_POLICY, type GcPolicy } from './types.js';

export class NodeGc {
  private readonly tracked = new Map<string, { kubeconfig: string | undefined; store: AllocationStore }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly intervalMs = 60_000,
    private readonly policy: GcPolicy = DEFAULT_POLICY,
  ) {}

  /** Idempotent per key; the first tracked pair starts the timer. */
  track(key: string, kubeconfig: string | undefined, store: AllocationStore): void {
    if (this.tracked.has(key)) return;
    this.tracked.set(key, { kubeconfig, store });
    this.timer ??= setInterval(() => {
      this.running ??= this.pass().then(() => {
        this.running = undefined;
      });
    }, this.intervalMs).unref();
  }

  /** One pass over every tracked store; failures are logged, the next pass tries again. */
  async pass(): Promise<number> {
    let released = 0;
    for (const { kubeconfig, store } of this.tracked.values()) {
      try {
        const view = await kubeClusterView(await loadClients(kubeconfig));
        const r = await collect(store, view, this.policy, Date.now());
        released += r.released.length;
        for (const a of r.released)
          log('info', 'ip gc released', {
            ip: a.ip,
            pool: a.pool,
            reason: a.reason,
            containerID: a.containerId,
            ifname: a.ifname,
            pod: `${a.podNamespace ?? ''}/${a.podName ?? ''}`,
          });
      } catch (err) {
        log('warn', 'ip gc pass failed', { store: store.description, error: (err as Error).message });
      }
    }
    return released;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.tracked.clear();
  }
}
