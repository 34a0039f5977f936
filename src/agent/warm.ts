// What the agent keeps warm between requests, where a plugin process would start cold every time:
// allocation stores opened once (the plugin's close() becomes a no-op here), local manifest sources
// read once and re-read when their directory changes (fs.watch), one Kubernetes client per
// kubeconfig. Also the pool-utilization metrics, computed from the same sources and stores.
import { type FSWatcher, watch } from 'node:fs';
import { CachedKubernetesSource } from '../cluster/kubernetes/cached.js';
import { LocalSource } from '../cluster/local/source.js';
import type { ClusterSource } from '../cluster/types.js';
import { NodeGc } from '../gc/node-gc.js';
import { poolUsage } from '../ipam/status.js';
import { createStore, type StoreConf } from '../store/index.js';
import type { AllocationStore } from '../store/types.js';
import { AGENT_WAL_PAGES } from './checkpoint.js';
import type { CollectedFamily } from './metrics.js';

/** A store shared by every request: opened on first use, really closed only by the agent. */
class SharedStore implements AllocationStore {
  private opened: Promise<void> | undefined;
  constructor(readonly inner: AllocationStore) {}
  get description(): string {
    return this.inner.description;
  }
  open(): Promise<void> {
    this.opened ??= this.inner.open().catch((e: unknown) => {
      this.opened = undefined;
      throw e;
    });
    return this.opened;
  }
  async close(): Promise<void> {}
  private async on<T>(fn: () => Promise<T>): Promise<T> {
    await this.open();
    return fn();
  }
  allocate(...a: Parameters<AllocationStore['allocate']>) {
    return this.on(() => this.inner.allocate(...a));
  }
  get(...a: Parameters<AllocationStore['get']>) {
    return this.on(() => this.inner.get(...a));
  }
  release(...a: Parameters<AllocationStore['release']>) {
    return this.on(() => this.inner.release(...a));
  }
  list(...a: Parameters<AllocationStore['list']>) {
    return this.on(() => this.inner.list(...a));
  }
  releaseAllExcept(...a: Parameters<AllocationStore['releaseAllExcept']>) {
    return this.on(() => this.inner.releaseAllExcept(...a));
  }
  check() {
    return this.on(() => this.inner.check());
  }
}

export class WarmCaches {
  private readonly stores = new Map<string, SharedStore>();
  private readonly locals = new Map<string, LocalSource>();
  private readonly kubes = new Map<string, CachedKubernetesSource>();
  private readonly watchers: FSWatcher[] = [];
  /** (source, store) pairs IPAM requests used, for pool utilization. */
  private readonly pairs = new Map<string, { source: ClusterSource; store: AllocationStore }>();
  /** SQLite stores of requests with a Kubernetes source: this node's IP GC (shared stores: the controller's). */
  readonly nodeGc = new NodeGc();

  store(conf: StoreConf, source?: ClusterSource): AllocationStore {
    // The whole config names a store; a Kubernetes store is also tied to the source it writes through.
    const key = JSON.stringify([conf, conf.type === 'kubernetes' && source ? this.sourceId(source) : 0]);
    let s = this.stores.get(key);
    if (!s) {
      s = new SharedStore(createStore(conf, source, { walAutoCheckpoint: AGENT_WAL_PAGES }));
      this.stores.set(key, s);
    }
    return s;
  }

  /** The stores' own backends (for the quiet-moment checkpoints). */
  *backends(): Iterable<AllocationStore> {
    for (const s of this.stores.values()) yield s.inner;
  }

  private readonly sourceIds = new WeakMap<ClusterSource, number>();
  private nextSourceId = 1;
  private sourceId(source: ClusterSource): number {
    const known = this.sourceIds.get(source);
    if (known !== undefined) return known;
    const id = this.nextSourceId++;
    this.sourceIds.set(source, id);
    return id;
  }

  localSource(manifestDir: string, stateDir?: string): LocalSource {
    const key = JSON.stringify([manifestDir, stateDir ?? '']);
    let s = this.locals.get(key);
    if (!s) {
      const src = new LocalSource({ manifestDir, ...(stateDir !== undefined ? { stateDir } : {}) });
      s = src;
      this.locals.set(key, src);
      try {
        const w = watch(manifestDir, { recursive: true, persistent: false }, () => src.reload());
        w.on('error', () => src.reload());
        this.watchers.push(w);
      } catch {
        // No directory (yet) or no watch support: fall back to reading it on every request.
        this.locals.delete(key);
      }
    }
    return s;
  }

  /** Watch-backed: pods of this node (NODE_NAME, as the DaemonSet sets it), NADs, pools, … */
  kubernetesSource(kubeconfig: string | undefined): CachedKubernetesSource {
    const key = kubeconfig ?? '';
    let s = this.kubes.get(key);
    if (!s) {
      const nodeName = process.env['NODE_NAME'] || undefined;
      s = new CachedKubernetesSource({
        ...(kubeconfig !== undefined ? { kubeconfig } : {}),
        ...(nodeName !== undefined ? { nodeName } : {}),
      });
      s.start();
      this.kubes.set(key, s);
    }
    return s;
  }

  /** Caches still without their first LIST, for /readyz (reads meanwhile go to the API). */
  unsyncedCaches(): string[] {
    return [...this.kubes.values()].flatMap((s) =>
      s.syncState().flatMap((c) => (c.synced ? [] : [`${c.what}${c.error ? ` (${c.error})` : ''}`])),
    );
  }

  /** Remembers which pools live in which store, for the utilization metrics. */
  usedTogether(key: string, source: ClusterSource, store: AllocationStore): void {
    if (!this.pairs.has(key)) this.pairs.set(key, { source, store });
  }

  async poolMetrics(): Promise<CollectedFamily[]> {
    const usable: CollectedFamily = {
      name: 'trunkline_ipam_pool_usable_ips',
      help: 'Addresses a pool can hand out (total minus reserved, gateway, network and broadcast).',
      type: 'gauge',
      samples: [],
    };
    const allocated: CollectedFamily = {
      name: 'trunkline_ipam_pool_allocated_ips',
      help: 'Addresses of a pool currently allocated in this node store.',
      type: 'gauge',
      samples: [],
    };
    const ratio: CollectedFamily = {
      name: 'trunkline_ipam_pool_utilization_ratio',
      help: 'allocated / usable per pool (0..1).',
      type: 'gauge',
      samples: [],
    };
    for (const { source, store } of this.pairs.values()) {
      const [pools, reserved, allocs] = await Promise.all([
        source.listIPPools(),
        source.listReservedIPs(),
        store.list(),
      ]);
      for (const pool of pools) {
        const u = poolUsage(pool, reserved, allocs);
        const labels = { pool: u.name };
        const n = Number(u.usable);
        usable.samples.push({ labels, value: n });
        allocated.samples.push({ labels, value: u.allocated });
        ratio.samples.push({ labels, value: n > 0 ? u.allocated / n : 0 });
      }
    }
    return [usable, allocated, ratio];
  }

  async close(): Promise<void> {
    await this.nodeGc.close();
    for (const w of this.watchers.splice(0)) w.close();
    for (const s of this.stores.values()) await s.inner.close().catch(() => undefined);
    await Promise.all([...this.kubes.values()].map((s) => s.stop()));
    this.stores.clear();
    this.locals.clear();
    this.kubes.clear();
    this.pairs.clear();
  }
}
