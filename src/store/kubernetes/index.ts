// The Kubernetes allocation store: allocations live in SpiderIPPool status, as Spiderpool keeps them.
import type { ClusterSource } from '../../cluster/types.js';
import type { AllocationStore } from '../types.js';
import { KubernetesStore } from './store.js';
import type { KubernetesStoreOptions } from './writer.js';

export { type KubernetesStoreConf, parseKubernetesStoreConf } from './conf.js';
export { KubernetesStore } from './store.js';
export type { KubernetesStoreOptions } from './writer.js';

/** `source` must share pools between hosts (KubernetesSource: getIPPool + updateIPPoolStatus). */
export function kubernetesStore(source: ClusterSource, cfg: KubernetesStoreOptions = {}): AllocationStore {
  return new KubernetesStore(source, cfg);
}
