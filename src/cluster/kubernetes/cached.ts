// The Kubernetes source of the long-running agent: pods of this node, namespaces, NADs, pools and
// reserved IPs (and this node) are served from watch-backed caches, so an ADD reads nothing from the
// API that it does not need fresh. What stays a request: the pool being allocated from (getIPPool,
// then the status write — correctness needs the latest resourceVersion), any write, and every cache
// miss of a single object (a pod or NAD created a moment ago) — a GET, as Multus thick does a live
// query after its informer misses. A cached pod whose UID differs from the runtime's is re-read
// before the ADD is refused: the cache may still hold the previous incarnation. Until a cache has
// finished its first LIST, reads go to the API.
import { checkPodUid } from '../pod.js';
import type {
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  PodInfo,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';
import { toNad, toNamespace, toNode, toPod, toPool, toReserved } from './convert.js';
import { Informer, type InformerOptions, type InformerSpec, newer, type SyncState } from './informer.js';
import { IPPOOL, KubernetesSource, type KubernetesSourceOptions, NAD, RESERVEDIP } from './source.js';

interface CachedSourceOptions extends KubernetesSourceOptions {
  /** This node: pods are cached only for it (spec.nodeName), as Multus thick does; unset → pods uncached. */
  nodeName?: string;
  informer?: InformerOptions;
}

const crdPath = (r: { group: string; version: string; plural: string }) =>
  `/apis/${r.group}/${r.version}/${r.plural}`;

export class CachedKubernetesSource extends KubernetesSource {
  private readonly pods: Informer<PodInfo> | undefined;
  private readonly node: Informer<NodeInfo> | undefined;
  private readonly namespaces: Informer<NamespaceInfo>;
  private readonly nads: Informer<NetworkAttachmentDefinition>;
  private readonly pools: Informer<SpiderIPPool>;
  private readonly reserved: Informer<SpiderReservedIP>;
  private readonly all: Informer<unknown>[];

  constructor(private readonly cacheOpts: CachedSourceOptions = {}) {
    super(cacheOpts);
    const mk = <T>(spec: InformerSpec<T>) =>
      new Informer<T>(() => this.api(), spec, {
        ...cacheOpts.informer,
        onUnauthorized: () => this.reloadCredentials(),
      });
    const node = cacheOpts.nodeName;
    if (node !== undefined) {
      const pods = `spec.nodeName=${node}`;
      this.pods = mk({
        what: `pods on ${node}`,
        path: '/api/v1/pods',
        fieldSelector: pods,
        list: (c) => c.core.listPodForAllNamespaces({ fieldSelector: pods }),
        convert: (o) => toPod(o),
      });
      const self = `metadata.name=${node}`;
      this.node = mk({
        what: `node ${node}`,
        path: '/api/v1/nodes',
        fieldSelector: self,
        list: (c) => c.core.listNode({ fieldSelector: self }),
        convert: toNode,
      });
    }
    this.namespaces = mk({
      what: 'namespaces',
      path: '/api/v1/namespaces',
      list: (c) => c.core.listNamespace(),
      convert: toNamespace,
    });
    this.nads = mk({
      what: 'NetworkAttachmentDefinitions',
      path: crdPath(NAD),
      list: (c) => c.custom.listClusterCustomObject({ ...NAD }) as never,
      convert: (o) => toNad(o),
    });
    this.pools = mk({
      what: 'SpiderIPPools',
      path: crdPath(IPPOOL),
      list: (c) => c.custom.listClusterCustomObject({ ...IPPOOL }) as never,
      convert: toPool,
    });
    this.reserved = mk({
      what: 'SpiderReservedIPs',
      path: crdPath(RESERVEDIP),
      list: (c) => c.custom.listClusterCustomObject({ ...RESERVEDIP }) as never,
      convert: toReserved,
    });
    this.all = [this.pods, this.node, this.namespaces, this.nads, this.pools, this.reserved].filter(
      (i): i is Informer<never> => i !== undefined,
    );
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  /** Resolves when every cache has completed its first LIST. */
  async whenSynced(): Promise<void> {
    await Promise.all(this.all.map((i) => i.whenSynced()));
  }

  syncState(): SyncState[] {
    return this.all.map((i) => i.state());
  }

  override async getPod(
    namespace: string,
    name: string,
    opts: { uid?: string } = {},
  ): Promise<PodInfo | undefined> {
    const cached = this.pods?.isSynced ? this.pods.get(namespace, name) : undefined;
    if (cached !== undefined) {
      try {
        checkPodUid(cached, opts.uid);
        return cached;
      } catch {
        // Possibly the previous incarnation still in the cache: only the API can tell.
      }
    }
    return super.getPod(namespace, name, opts);
  }

  override async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    return (
      (this.namespaces.isSynced ? this.namespaces.get(undefined, name) : undefined) ??
      super.getNamespace(name)
    );
  }

  override async getNode(name: string): Promise<NodeInfo | undefined> {
    const cached =
      this.node?.isSynced && name === this.cacheOpts.nodeName ? this.node.get(undefined, name) : undefined;
    return cached ?? super.getNode(name);
  }

  override async getNetworkAttachmentDefinition(
    namespace: string,
    name: string,
  ): Promise<NetworkAttachmentDefinition | undefined> {
    const cached = this.nads.isSynced ? this.nads.get(namespace, name) : undefined;
    return cached ?? super.getNetworkAttachmentDefinition(namespace, name);
  }

  override async listIPPools(): Promise<SpiderIPPool[]> {
    return this.pools.isSynced ? this.pools.list() : super.listIPPools();
  }

  override async listReservedIPs(): Promise<SpiderReservedIP[]> {
    return this.reserved.isSynced ? this.reserved.list() : super.listReservedIPs();
  }

  cachedIPPool(name: string, newerThan?: string): SpiderIPPool | undefined {
    const pool = this.pools.isSynced ? this.pools.get(undefined, name) : undefined;
    const rv = pool?.metadata.resourceVersion;
    if (newerThan !== undefined && (rv === undefined || !newer(rv, newerThan))) return undefined;
    return pool;
  }

  /** Fresh GET (the allocation's base after a conflict); its answer also refreshes the cache. */
  override async getIPPool(name: string): Promise<SpiderIPPool | undefined> {
    const pool = await super.getIPPool(name);
    if (pool !== undefined) this.pools.upsert(pool);
    return pool;
  }

  /** Our own write is in the cache at once, so the next ADD on this node sees it before its watch event. */
  override async updateIPPoolStatus(pool: SpiderIPPool): Promise<SpiderIPPool | 'conflict' | 'unknown'> {
    const r = await super.updateIPPoolStatus(pool);
    if (r !== 'conflict' && r !== 'unknown') this.pools.upsert(r);
    return r;
  }
}
