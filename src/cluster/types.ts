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

/** The pod's controlling ownerReference (metadata.ownerReferences with controller: true). */
export interface ControllerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
}

export interface PodInfo {
  metadata: ObjectMeta & { namespace: string };
  nodeName?: string;
  /** Set once the pod is being deleted (RFC 3339). */
  deletionTimestamp?: string;
  phase?: string;
  controller?: ControllerRef;
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

/** One NIC's addresses in a SpiderEndpoint (Spiderpool's IPAllocationDetail, same field names). */
export interface EndpointNic {
  interface: string;
  ipv4?: string; // with prefix length, "10.6.1.10/24"
  ipv6?: string;
  ipv4Pool?: string;
  ipv6Pool?: string;
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  cleanGateway?: boolean;
  vlan?: number;
  routes?: { dst: string; gw: string }[];
  mac?: string;
}

/** SpiderEndpoint spiderpool.spidernet.io/v2beta1: the addresses one pod (or VM) holds. */
export interface SpiderEndpoint {
  metadata: ObjectMeta & {
    namespace: string;
    ownerReferences?: (ControllerRef & { uid: string; controller?: boolean; blockOwnerDeletion?: boolean })[];
    creationTimestamp?: string;
  };
  status: {
    current: { uid: string; node: string; ips: EndpointNic[] };
    ownerControllerType: string;
    ownerControllerName: string;
  };
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
   * Sources with a watch cache of pools: the cached copy of one pool, no request (behind the API by
   * at most the watch's delay; a status write based on it is still checked by its resourceVersion).
   * undefined when the cache has not synced or does not hold it.
   */
  cachedIPPool?(name: string): SpiderIPPool | undefined;
  /**
   * Sources whose pools are shared between nodes: write `pool.status` only if the pool is still at
   * `pool.metadata.resourceVersion`; 'conflict' when another writer got there first (re-read, retry).
   */
  updateIPPoolStatus?(pool: SpiderIPPool): Promise<SpiderIPPool | 'conflict'>;
  /**
   * Sources that keep SpiderEndpoints (Kubernetes). undefined when there is none; 'unsupported' when
   * the cluster does not serve the kind (CRD not installed: no fixed IPs).
   */
  getEndpoint?(namespace: string, name: string): Promise<SpiderEndpoint | undefined | 'unsupported'>;
  /** Create (no resourceVersion) or replace at the resourceVersion; 'conflict' on 409. */
  putEndpoint?(ep: SpiderEndpoint): Promise<SpiderEndpoint | 'conflict' | 'unsupported'>;
  /** Delete if still at `resourceVersion` (when given); absent already is success. */
  deleteEndpoint?(namespace: string, name: string, resourceVersion?: string): Promise<void>;
  /** The StatefulSet's wanted ordinals [start, start + replicas), or undefined when it does not exist. */
  getStatefulSet?(namespace: string, name: string): Promise<{ replicas: number; start: number } | undefined>;
  /** A KubeVirt VirtualMachineInstance of that name exists, or its VirtualMachine wants to run. */
  vmWanted?(namespace: string, name: string): Promise<boolean>;
  /** The KubeVirt VirtualMachine's UID, undefined when there is none (a standalone VMI). */
  getVirtualMachineUid?(namespace: string, name: string): Promise<string | undefined>;
}
