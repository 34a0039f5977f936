// ClusterSource backed by a Kubernetes API server through @kubernetes/client-node (object-parameter
// API of client-node 1.x): every read is a request (access.ts: the client, loaded on the first call,
// and how a request's failures are handled); the pod's status and events are written by pod-writes.ts.
import { checkPodUid } from '../pod.js';
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
import { KubernetesAccess } from './access.js';
import { apiFailure, httpStatus, withTimeout } from './client.js';
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
import { recordPodEvent, setPodAnnotations } from './pod-writes.js';
import { IPPOOL, NAD, RESERVEDIP } from './resources.js';

export type { KubernetesSourceOptions } from './access.js';
export { IPPOOL, NAD, RESERVEDIP } from './resources.js';

/** How long discovery's answer on SpiderEndpoints (served or not) is believed. */
const ENDPOINTS_RECHECK_MS = 60_000;

export class KubernetesSource extends KubernetesAccess implements ClusterSource {
  private noEndpointsUntil = 0;
  private endpointsServedUntil = 0;

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

  async setPodAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    opts: { uid?: string } = {},
  ): Promise<void> {
    const limits = { timeoutMs: this.timeoutMs, retries: this.retries };
    return setPodAnnotations(await this.api(), limits, namespace, name, annotations, opts);
  }

  recordPodEvent(pod: PodInfo, event: PodEvent): Promise<void> {
    return recordPodEvent(() => this.api(), this.timeoutMs, pod, event);
  }
}
