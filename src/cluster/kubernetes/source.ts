// ClusterSource backed by a Kubernetes API server through @kubernetes/client-node (object-parameter
// API of client-node 1.x): every read is a request. The client library is loaded on the first call.
import { statSync } from 'node:fs';
import { CniError, Code, tryAgainLater } from '../../cni/errors.js';
import { log } from '../../cni/log.js';
import { checkPodUid, isStaticPod, PodGoneError } from '../pod.js';
import type {
  ClusterSource,
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  PodEvent,
  PodInfo,
  SpiderEndpoint,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';
import { apiFailure, type Clients, httpStatus, loadClients, sleep, withTimeout } from './client.js';
import { type Raw, toNad, toNamespace, toNode, toPod, toPool, toReserved } from './convert.js';
import {
  ENDPOINT,
  endpointBody,
  readStatefulSet,
  readVmUid,
  readVmWanted,
  servesEndpoints,
  toEndpoint,
} from './endpoints.js';

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

/** How long discovery's answer on SpiderEndpoints (served or not) is believed. */
const ENDPOINTS_RECHECK_MS = 60_000;

/** Events name the component that emitted them (Multus: "multus"). */
const EVENT_COMPONENT = 'trunkline';
const EVENT_TIMEOUT_MS = 2000;

/** Identity of a file's current content (inode, size, mtime); '' when absent or not a file path. */
function fileStamp(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

const isReset = (err: unknown) => (err as { code?: unknown } | null)?.code === 'ECONNRESET';

export class KubernetesSource implements ClusterSource {
  private clients: Promise<Clients> | undefined;
  private stamp = '';
  private noEndpointsUntil = 0;
  private endpointsServedUntil = 0;
  protected readonly timeoutMs: number;
  private readonly retries: number;

  constructor(protected readonly opts: KubernetesSourceOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.conflictRetries ?? 5;
  }

  /**
   * The client, loaded once; a failed load (service-account files not mounted yet) is retried next
   * call, and a kubeconfig rewritten since (the installer puts a rotated token into it) is reloaded.
   */
  protected api(): Promise<Clients> {
    const stamp = fileStamp(this.opts.kubeconfig);
    // A kubeconfig that vanished keeps the credentials already loaded.
    if (stamp !== this.stamp && stamp !== '') {
      this.stamp = stamp;
      this.clients = undefined;
    }
    this.clients ??= loadClients(this.opts.kubeconfig).catch((err: unknown) => {
      this.clients = undefined;
      throw err;
    });
    return this.clients;
  }

  /** Forget the loaded credentials; the next request reads the kubeconfig / token again. */
  protected reloadCredentials(): void {
    this.clients = undefined;
  }

  /**
   * Run one read; 404 → undefined (or error), 503 retried for `retry503Ms`, a reset connection once,
   * failures → CniError.
   * A 401 reloads the credentials once (a kubeconfig rewritten with a rotated token) and retries.
   */
  protected async call<T>(
    what: string,
    fn: (c: Clients) => Promise<T>,
    notFound: 'undefined' | 'throw',
    retry503Ms = 0,
  ): Promise<T | undefined> {
    let c = await this.api();
    const deadline = Date.now() + retry503Ms;
    let reloaded = false;
    let reset = false;
    for (;;) {
      try {
        return await withTimeout(fn(c), this.timeoutMs, what, c.server);
      } catch (err) {
        const status = httpStatus(err);
        if (notFound === 'undefined' && status === 404) return undefined;
        // A kept-alive connection the server closed as we reused it (client-go retries these too).
        if (isReset(err) && !reset) {
          reset = true;
          continue;
        }
        if (status === 503 && Date.now() < deadline) {
          await sleep(500);
          continue;
        }
        if (status === 401 && !reloaded) {
          reloaded = true;
          this.reloadCredentials();
          c = await this.api();
          continue;
        }
        throw apiFailure(err, what, c.server);
      }
    }
  }

  async getPod(namespace: string, name: string, opts: { uid?: string } = {}): Promise<PodInfo | undefined> {
    // Multus retries a 503 for up to 5 s (apiserver restarting) before failing the pod.
    const raw = await this.call(
      `reading pod ${namespace}/${name}`,
      (c) => c.core.readNamespacedPod({ namespace, name }),
      'undefined',
      5000,
    );
    if (raw === undefined) return undefined;
    const pod = toPod(raw, namespace);
    checkPodUid(pod, opts.uid);
    return pod;
  }

  async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    const ns = await this.call(
      `reading namespace ${name}`,
      (c) => c.core.readNamespace({ name }),
      'undefined',
    );
    return ns === undefined ? undefined : toNamespace(ns);
  }

  async getNode(name: string): Promise<NodeInfo | undefined> {
    const node = await this.call(`reading node ${name}`, (c) => c.core.readNode({ name }), 'undefined');
    return node === undefined ? undefined : toNode(node);
  }

  async getNetworkAttachmentDefinition(
    namespace: string,
    name: string,
  ): Promise<NetworkAttachmentDefinition | undefined> {
    const raw = await this.call(
      `reading NetworkAttachmentDefinition ${namespace}/${name}`,
      (c) => c.custom.getNamespacedCustomObject({ ...NAD, namespace, name }),
      'undefined',
    );
    return raw === undefined ? undefined : toNad(raw, namespace);
  }

  /** Every NAD of every namespace (the operator's `trunkline networks`). */
  async listNetworkAttachmentDefinitions(): Promise<NetworkAttachmentDefinition[]> {
    const list = (await this.call(
      'listing NetworkAttachmentDefinitions',
      (c) => c.custom.listClusterCustomObject({ ...NAD }),
      'throw',
    )) as { items?: Raw[] };
    return (list.items ?? []).map((o) => toNad(o));
  }

  async listIPPools(): Promise<SpiderIPPool[]> {
    const list = (await this.call(
      'listing SpiderIPPools',
      (c) => c.custom.listClusterCustomObject({ ...IPPOOL }),
      'throw',
    )) as { items?: Raw[] };
    return (list.items ?? []).map(toPool);
  }

  async listReservedIPs(): Promise<SpiderReservedIP[]> {
    const list = (await this.call(
      'listing SpiderReservedIPs',
      (c) => c.custom.listClusterCustomObject({ ...RESERVEDIP }),
      'throw',
    )) as { items?: Raw[] };
    return (list.items ?? []).map(toReserved);
  }

  async getIPPool(name: string): Promise<SpiderIPPool | undefined> {
    const o = await this.call(
      `reading SpiderIPPool ${name}`,
      (c) => c.custom.getClusterCustomObject({ ...IPPOOL, name }),
      'undefined',
    );
    return o === undefined ? undefined : toPool(o);
  }

  async updateIPPoolStatus(pool: SpiderIPPool): Promise<SpiderIPPool | 'conflict'> {
    const name = pool.metadata.name;
    const body = { apiVersion: `${IPPOOL.group}/${IPPOOL.version}`, kind: 'SpiderIPPool', ...pool };
    const c = await this.api();
    try {
      const o = await withTimeout(
        c.custom.replaceClusterCustomObjectStatus({ ...IPPOOL, name, body }),
        this.timeoutMs,
        `updating SpiderIPPool ${name} status`,
        c.server,
      );
      return toPool(o);
    } catch (err) {
      // 404: deleted since the copy written was read (a watch cache lags); the re-read tells.
      const st = httpStatus(err);
      if (st === 409 || st === 404) return 'conflict';
      throw apiFailure(err, `updating SpiderIPPool ${name} status`, c.server);
    }
  }

  async getEndpoint(namespace: string, name: string): Promise<SpiderEndpoint | undefined | 'unsupported'> {
    // A cluster without the CRD costs the long-lived agent no request per ADD; it is asked again later.
    if (Date.now() < this.noEndpointsUntil) return 'unsupported';
    const what = `reading SpiderEndpoint ${namespace}/${name}`;
    const o = await this.call(
      what,
      (c) => c.custom.getNamespacedCustomObject({ ...ENDPOINT, namespace, name }),
      'undefined',
    );
    if (o !== undefined) return toEndpoint(o);
    // A new pod's 404 is the common case: discovery is asked once a minute, not once per ADD.
    if (Date.now() < this.endpointsServedUntil) return undefined;
    if (await this.call(what, servesEndpoints, 'throw')) {
      this.endpointsServedUntil = Date.now() + ENDPOINTS_RECHECK_MS;
      return undefined;
    }
    this.noEndpointsUntil = Date.now() + ENDPOINTS_RECHECK_MS;
    return 'unsupported';
  }

  async putEndpoint(ep: SpiderEndpoint): Promise<SpiderEndpoint | 'conflict' | 'unsupported'> {
    const { namespace, name, resourceVersion } = ep.metadata;
    const what = `writing SpiderEndpoint ${namespace}/${name}`;
    const c = await this.api();
    const body = endpointBody(ep);
    try {
      const o = await withTimeout(
        resourceVersion === undefined
          ? c.custom.createNamespacedCustomObject({ ...ENDPOINT, namespace, body })
          : c.custom.replaceNamespacedCustomObject({ ...ENDPOINT, namespace, name, body }),
        this.timeoutMs,
        what,
        c.server,
      );
      return toEndpoint(o);
    } catch (err) {
      const st = httpStatus(err);
      // 409: created meanwhile (AlreadyExists) or changed since read; 404 on replace: deleted since.
      if (st === 409 || (st === 404 && resourceVersion !== undefined)) return 'conflict';
      if (st === 404 && !(await servesEndpoints(c))) return 'unsupported';
      throw apiFailure(err, what, c.server);
    }
  }

  async deleteEndpoint(namespace: string, name: string, resourceVersion?: string): Promise<void> {
    const what = `deleting SpiderEndpoint ${namespace}/${name}`;
    const c = await this.api();
    const body = resourceVersion !== undefined ? { preconditions: { resourceVersion } } : undefined;
    try {
      await withTimeout(
        c.custom.deleteNamespacedCustomObject({ ...ENDPOINT, namespace, name, ...(body ? { body } : {}) }),
        this.timeoutMs,
        what,
        c.server,
      );
    } catch (err) {
      // Gone already, or rewritten since it was judged (a new ADD owns it now): both leave it be.
      const st = httpStatus(err);
      if (st === 404 || st === 409) return;
      throw apiFailure(err, what, c.server);
    }
  }

  async getStatefulSet(namespace: string, name: string) {
    return this.call(
      `reading StatefulSet ${namespace}/${name}`,
      (c) => readStatefulSet(c, namespace, name),
      'throw',
    );
  }

  async vmWanted(namespace: string, name: string): Promise<boolean> {
    return (
      (await this.call(
        `reading VirtualMachine ${namespace}/${name}`,
        (c) => readVmWanted(c, namespace, name),
        'throw',
      )) ?? false
    );
  }

  async getVirtualMachineUid(namespace: string, name: string): Promise<string | undefined> {
    return this.call(
      `reading VirtualMachine ${namespace}/${name}`,
      (c) => readVmUid(c, namespace, name),
      'throw',
    );
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
        const info = toPod(pod, namespace);
        if (opts.uid !== undefined && m.uid !== opts.uid && !isStaticPod(info)) {
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
        if (httpStatus(err) === 404) throw new PodGoneError(`${namespace}/${name}`, what);
        throw apiFailure(err, what, c.server);
      }
    }
  }

  /**
   * A core/v1 Event on the pod, shaped as client-go's recorder makes it (Multus emits through one).
   * Best effort: a failure is logged, never thrown; at most EVENT_TIMEOUT_MS of the caller's time.
   */
  async recordPodEvent(pod: PodInfo, event: PodEvent): Promise<void> {
    const { namespace, name, uid, resourceVersion } = pod.metadata;
    const now = new Date();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      // client-go names events <object>.<unix nanoseconds in hex>; two attachments may share a millisecond.
      metadata: {
        name: `${name}.${(BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16)}`,
        namespace,
      },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace,
        name,
        ...(uid !== undefined ? { uid } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      const c = await this.api();
      await withTimeout(
        c.core.createNamespacedEvent({ namespace, body }),
        Math.min(this.timeoutMs, EVENT_TIMEOUT_MS),
        `recording event ${event.reason} on pod ${namespace}/${name}`,
        c.server,
      );
    } catch (err) {
      log('warn', 'could not record pod event', {
        pod: `${namespace}/${name}`,
        reason: event.reason,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
