// Which pod a call is for. Kubernetes runtimes pass K8S_POD_NAMESPACE and K8S_POD_NAME; podman 4.3
// passes only K8S_POD_NAME (the container's name). For the latter the pod is looked up in
// `source.podNamespace`; a container with no Pod there is attached to the default networks only, and
// the log says so at info level instead of silently ignoring manifests.
import { type PodRef, podRefFromArgs } from '../../cni/args.js';
import type { CniArgs } from '../../cni/types.js';

interface PodIdentity {
  ref?: PodRef;
  /** The namespace came from configuration, not from the runtime. */
  assumed: boolean;
}

export function podIdentity(args: CniArgs, podNamespace: string): PodIdentity {
  const ref = podRefFromArgs(args);
  if (ref !== undefined) return { ref, assumed: false };
  const name = args.get('K8S_POD_NAME');
  if (!name || args.get('K8S_POD_NAMESPACE')) return { assumed: false };
  const uid = args.get('K8S_POD_UID');
  return { ref: { namespace: podNamespace, name, ...(uid ? { uid } : {}) }, assumed: true };
}

/** The delegates' CNI_ARGS name the namespace we assumed, so their IPAM finds the same pod. */
export function argsWithNamespace(raw: string, id: PodIdentity): string {
  if (!id.assumed || id.ref === undefined) return raw;
  return `${raw}${raw === '' || raw.endsWith(';') ? '' : ';'}K8S_POD_NAMESPACE=${id.ref.namespace}`;
}
