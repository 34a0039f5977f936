// Pod identity rules shared by every cluster source (Multus's GetPod / SetNetworkStatus): the UID the
// runtime passes in K8S_POD_UID must be the UID of the pod the source found, except for static pods.
import { CniError, Code } from '../cni/errors.js';
import type { PodInfo } from './types.js';

/** Kubelet-managed static pods have a mirror object whose UID differs from the one in CNI_ARGS. */
export function isStaticPod(pod: PodInfo): boolean {
  const src = pod.metadata.annotations?.['kubernetes.io/config.source'];
  return src !== undefined && src !== 'api';
}

/** The pod with this name is another incarnation than the sandbox's (deleted and re-created). */
export class PodUidMismatchError extends CniError {
  constructor(
    readonly pod: string,
    readonly expected: string,
    readonly found: string | undefined,
  ) {
    // Multus's wording; it reaches the runtime as a plain (999) error there too.
    super(
      Code.Internal,
      `expected pod UID "${expected}" but got "${found ?? ''}" from Kube API`,
      `pod ${pod}`,
    );
    this.name = 'PodUidMismatchError';
  }
}

/** The pod was deleted while its sandbox was being set up (404 where the pod was expected). */
export class PodGoneError extends CniError {
  constructor(
    readonly pod: string,
    what: string,
  ) {
    super(Code.IoFailure, `${what}: pod not found (already deleted?)`);
    this.name = 'PodGoneError';
  }
}

/** Throws PodUidMismatchError unless `uid` is absent, equal, or the pod is static. */
export function checkPodUid(pod: PodInfo, uid: string | undefined): void {
  if (uid === undefined || uid === '' || pod.metadata.uid === uid || isStaticPod(pod)) return;
  throw new PodUidMismatchError(`${pod.metadata.namespace}/${pod.metadata.name}`, uid, pod.metadata.uid);
}
