// ClusterSource backed by a Kubernetes API server through @kubernetes/client-node (object-parameter
// API of client-node 1.x). The client library is loaded on the first call only.
import { CniError, Code, tryAgainLater } from '../../cni/errors.js';
import type {
  ClusterSource,
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  ObjectMeta,
  PodInfo,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';
import { apiFailure, type Clients, httpStatus, loadClients, sleep, withTimeout } from './client.js';

export const NAD = {
  group: 'k8s.cni.cncf.io',
  version: 'v1',
  plural: 'network-attachment-definitions',
} as const;
export const IPPOOL = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderippools',
} as const;
export const RESERVEDIP = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderreservedips',
} as const;

export interface KubernetesSourceOptions {
  /** Path of a kubeconfig; absent → in-cluster service account. */
  kubeconfig?: string;
  /** Per-request limit (default 10 s). */
  timeoutMs?: number;
  /** Attempts for update-on-conflict (default 5, as client-go's retry.DefaultRetry). */
  conflictRetries?: number;
}

type Raw = { metadata?: Record<string, unknown>; [k: string]: unknown };

function meta(m: Record<string, unknown> | undefined): ObjectMeta {
  const src = m ?? {};
  const pick = <K extends keyof ObjectMeta>(k: K) =>
    src[k] !== undefined && src[k] !== null ? { [k]: src[k] } : {};
  return {
    name: String(src.name ?? ''),
    ...pick('namespace'),
    ...pick('uid'),
    ...pick('labels'),
    ...pick('annotations'),
    ...pick('resourceVersion'),
  } as ObjectMeta;
}

// Kubelet-managed static pods have a mirror object whose UID differs from the one in CNI_ARGS.
const isStaticPod = (annotations: Record<string, string> | undefined) => {
  const src = annotations?.['kubernetes.io/config.source'];
  return src !== undefined && src !== 'api';
};

export class KubernetesSource implements ClusterSource {
  private clients: Promise<Clients> | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly opts: KubernetesSourceOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.conflictRetries ?? 5;
  }

  private api(): Promise<Clients> {
    this.clients ??= loadClients(this.opts.kubeconfig);
    return this.clients;
  }

  /** Run one request; 404 → undefined (or error), 503 retried for `retry503Ms`, failures → CniError. */
  private async call<T>(
    what: string,
    fn: (c: Clients) => Promise<T>,
    notFound: 'undefined' | 'throw',
    retry503Ms = 0,
  ): Promise<T | undefined> {
    const c = await this.api();
    const deadline = Date.now() + retry503Ms;
    for (;;) {
      try {
        return await withTimeout(fn(c), this.timeoutMs, what, c.server);
      } catch (err) {
        const status = httpStatus(err);
        if (notFound === 'undefined' && status === 404) return undefined;
        if (status === 503 && Date.now() < deadline) {
          await sleep(500);
          continue;
        }
        throw apiFailure(err, what, c.server);
      }
    }
  }

  async getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    // Multus retries a 503 for up to 5 s (apiserver restarting) before failing the pod.
    const pod = await this.call(
      `reading pod ${namespace}/${name}`,
      (c) => c.core.readNamespacedPod({ namespace, name }),
      'undefined',
      5000,
    );
    if (pod === undefined) return undefined;
    const m = meta(pod.metadata as unknown as Record<string, unknown>);
    return {
      metadata: { ...m, namespace: m.namespace ?? namespace },
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    };
  }

  async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    const ns = await this.call(
      `reading namespace ${name}`,
      (c) => c.core.readNamespace({ name }),
      'undefined',
    );
    return ns === undefined
      ? undefined
      : { metadata: meta(ns.metadata as unknown as Record<string, unknown>) };
  }

  async getNode(name: string): Promise<NodeInfo | undefined> {
    const node = await this.call(`reading node ${name}`, (c) => c.core.readNode({ name }), 'undefined');
    return node === undefined
      ? undefined
      : { metadata: meta(node.metadata as unknown as Record<string, unknown>) };
  }

  async getNetworkAttachmentDefinition(
    namespace: string,
    name: string,
  ): Promise<NetworkAttachmentDefinition | undefined> {
    const raw = (await this.call(
      `reading NetworkAttachmentDefinition ${namespace}/${name}`,
      (c) => c.custom.getNamespacedCustomObject({ ...NAD, namespace, name }),
      'undefined',
    )) as Raw | undefined;
    if (raw === undefined) return undefined;
    const m = meta(raw.metadata);
    const config = (raw.spec as { config?: unknown } | undefined)?.config;
    return {
      metadata: { ...m, namespace: m.namespace ?? namespace },
      spec: typeof config === 'string' ? { config } : {},
    };
  }

  async listIPPools(): Promise<SpiderIPPool[]> {
    const list = (await this.call(
      'listing SpiderIPPools',
      (c) => c.custom.listClusterCustomObject({ ...IPPOOL }),
      'throw',
    )) as {
      items?: Raw[];
    };
    return (list.items ?? []).map((o) => ({ ...o, metadata: meta(o.metadata) }) as SpiderIPPool);
  }

  async listReservedIPs(): Promise<SpiderReservedIP[]> {
    const list = (await this.call(
      'listing SpiderReservedIPs',
      (c) => c.custom.listClusterCustomObject({ ...RESERVEDIP }),
      'throw',
    )) as {
      items?: Raw[];
    };
    return (list.items ?? []).map((o) => ({ ...o, metadata: meta(o.metadata) }) as SpiderReservedIP);
  }

  async getIPPool(name: string): Promise<SpiderIPPool | undefined> {
    const o = (await this.call(
      `reading SpiderIPPool ${name}`,
      (c) => c.custom.getClusterCustomObject({ ...IPPOOL, name }),
      'undefined',
    )) as Raw | undefined;
    return o === undefined ? undefined : ({ ...o, metadata: meta(o.metadata) } as SpiderIPPool);
  }

  async updateIPPoolStatus(pool: SpiderIPPool): Promise<SpiderIPPool | 'conflict'> {
    const name = pool.metadata.name;
    const body = { apiVersion: `${IPPOOL.group}/${IPPOOL.version}`, kind: 'SpiderIPPool', ...pool };
    const c = await this.api();
    try {
      const o = (await withTimeout(
        c.custom.replaceClusterCustomObjectStatus({ ...IPPOOL, name, body }),
        this.timeoutMs,
        `updating SpiderIPPool ${name} status`,
        c.server,
      )) as Raw;
      return { ...o, metadata: meta(o.metadata) } as SpiderIPPool;
    } catch (err) {
      if (httpStatus(err) === 409) return 'conflict';
      throw apiFailure(err, `updating SpiderIPPool ${name} status`, c.server);
    }
  }

  /** GET + update of pods/status, retried on 409 Conflict with a fresh GET (Multus's SetNetworkStatus). */
  async setPodAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    opts: { uid?: string } = {},
  ): Promise<void> {
    const what = `updating annotations of pod ${namespace}/${name}`;
    const c = await this.api();
    for (let attempt = 1; ; attempt++) {
      try {
        const pod = await withTimeout(
          c.core.readNamespacedPod({ namespace, name }),
          this.timeoutMs,
          what,
          c.server,
        );
        const m = pod.metadata ?? {};
        if (opts.uid !== undefined && m.uid !== opts.uid && !isStaticPod(m.annotations)) {
          throw new CniError(
            Code.IoFailure,
            `${what}: expected pod UID ${opts.uid} but the API has ${m.uid} (pod was recreated)`,
          );
        }
        pod.metadata = { ...m, annotations: { ...(m.annotations ?? {}), ...annotations } };
        await withTimeout(
          c.core.replaceNamespacedPodStatus({ namespace, name, body: pod }),
          this.timeoutMs,
          what,
          c.server,
        );
        return;
      } catch (err) {
        if (httpStatus(err) === 409 && attempt < this.retries) {
          await sleep(10 * (0.9 + Math.random() * 0.2));
          continue;
        }
        if (httpStatus(err) === 409)
          throw tryAgainLater(`${what}: still conflicting after ${attempt} attempts`);
        if (httpStatus(err) === 404)
          throw new CniError(Code.IoFailure, `${what}: pod not found (already deleted?)`);
        throw apiFailure(err, what, c.server);
      }
    }
  }
}
