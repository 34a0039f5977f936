// Where pods, namespaces, NetworkAttachmentDefinitions and pools come from: local manifest files
// (the embedded default) or a Kubernetes API server. Plugins and domain logic see only this seam.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
}

export interface PodInfo {
  metadata: ObjectMeta & { namespace: string };
  nodeName?: string;
}

export interface NamespaceInfo {
  metadata: ObjectMeta;
}

export interface NetworkAttachmentDefinition {
  metadata: ObjectMeta & { namespace: string };
  spec: { config?: string };
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** SpiderIPPool spiderpool.spidernet.io/v2beta1, field names exactly as Spiderpool's CRD. */
export interface SpiderIPPool {
  metadata: ObjectMeta;
  spec: {
    ipVersion?: 4 | 6;
    subnet: string;
    ips?: string[];
    excludeIPs?: string[];
    gateway?: string;
    routes?: { dst: string; gw: string }[];
    default?: boolean;
    disable?: boolean;
    podAffinity?: LabelSelector;
    namespaceAffinity?: LabelSelector;
    namespaceName?: string[];
    nodeAffinity?: LabelSelector;
    nodeName?: string[];
    multusName?: string[];
    vlan?: number; // removed upstream in v1.0; accepted and ignored
  };
  status?: {
    allocatedIPs?: string; // JSON string: IP -> {pod, podUid, ...}
    allocatedIPCount?: number;
    totalIPCount?: number;
  };
}

export interface SpiderReservedIP {
  metadata: ObjectMeta;
  spec: { ipVersion?: 4 | 6; ips: string[] };
}

export interface NodeInfo {
  metadata: ObjectMeta;
}

/** A core/v1 Event about a pod (Multus's AddedInterface, NoNetworkFound). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ClusterSource {
  /**
   * undefined when the pod does not exist (or no pod identity was given). With `opts.uid` (the
   * runtime's K8S_POD_UID): throws PodUidMismatchError when the pod found is another incarnation
   * (static pods excepted).
   */
  getPod(namespace: string, name: string, opts?: { uid?: string }): Promise<PodInfo | undefined>;
  getNamespace(name: string): Promise<NamespaceInfo | undefined>;
  getNode(name: string): Promise<NodeInfo | undefined>;
  getNetworkAttachmentDefinition(
    namespace: string,
    name: string,
  ): Promise<NetworkAttachmentDefinition | undefined>;
  listIPPools(): Promise<SpiderIPPool[]>;
  listReservedIPs(): Promise<SpiderReservedIP[]>;
  /**
   * Merge the given annotations into the pod (network-status). Local source: best effort / no-op.
   * `opts.uid`: refuse to write when the pod with that name is a different incarnation.
   * Throws PodGoneError when the pod no longer exists.
   */
  setPodAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    opts?: { uid?: string },
  ): Promise<void>;
  /** Best effort: never rejects, never delays the caller for long. Sources without events omit it. */
  recordPodEvent?(pod: PodInfo, event: PodEvent): Promise<void>;
  /** Sources whose pools are shared between nodes (Kubernetes): read one pool fresh. */
  getIPPool?(name: string): Promise<SpiderIPPool | undefined>;
  /**
   * Sources whose pools are shared between nodes: write `pool.status` only if the pool is still at
   * `pool.metadata.resourceVersion`; 'conflict' when another writer got there first (re-read, retry).
   */
  updateIPPoolStatus?(pool: SpiderIPPool): Promise<SpiderIPPool | 'conflict'>;
}
