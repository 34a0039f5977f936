// What IP garbage collection needs to know about the cluster, independent of where it comes from
// (the controller's lists and watches, or the agent's Kubernetes source).

export interface OwnerRef {
  kind: string;
  name: string;
}

export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  nodeName?: string;
  phase?: string;
  /** RFC 3339; when set the pod is terminating and this is when its grace period ends. */
  deletionTimestamp?: string;
  owner?: OwnerRef;
}

export interface NodeView {
  name: string;
  /** The Ready condition's status ('True', 'False', 'Unknown') and when it last changed. */
  ready: string;
  readySince?: string;
}

export interface ClusterView {
  /** From a cache or a list: may lag behind the API server. */
  pod(namespace: string, name: string): PodView | undefined;
  /** undefined: the node object does not exist. */
  node(name: string): NodeView | undefined;
  /** The StatefulSet's wanted ordinals, or undefined when it does not exist. */
  statefulSet(namespace: string, name: string): { replicas: number; start: number } | undefined;
  /** A KubeVirt VirtualMachine that wants to run, or its VirtualMachineInstance, exists. */
  vmWanted(namespace: string, name: string): boolean;
  /**
   * Fresh reads from the API server of the pods named, to confirm before releasing on the cache's
   * word: a lookup over what the server said after this call began.
   */
  freshPods(
    pods: { namespace: string; name: string }[],
  ): Promise<(namespace: string, name: string) => PodView | undefined>;
}

export interface GcPolicy {
  /** Allocations younger than this are an ADD in flight: never released (default 120 s). */
  inflightGraceMs: number;
  /** Extra wait after a terminating pod's grace period ends (Spiderpool's AdditionalGraceDelay). */
  terminatingMarginMs: number;
  /** A node NotReady/Unknown for this long counts as gone, with its pods. */
  nodeNotReadyMs: number;
}

export const DEFAULT_POLICY: GcPolicy = {
  inflightGraceMs: 120_000,
  terminatingMarginMs: 0,
  nodeNotReadyMs: 300_000,
};

export type Reason =
  | 'pod-gone'
  | 'uid-mismatch'
  | 'terminating-expired'
  | 'pod-completed'
  | 'node-gone'
  | 'node-not-ready';
