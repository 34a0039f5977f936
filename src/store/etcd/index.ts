// The etcd allocation store: one etcd cluster shared by every host (see store.ts, keys.ts).
import type { AllocationStore } from '../types.js';
import type { EtcdStoreConf } from './conf.js';
import { EtcdStore } from './store.js';

export { type EtcdStoreConf, parseEtcdConf } from './conf.js';
export { DEFAULT_PREFIX } from './keys.js';
export { EtcdStore } from './store.js';

/** A store for a validated config block (parseEtcdConf); nothing connects until the first call. */
export function etcdStore(cfg: Omit<EtcdStoreConf, 'type'> & { type?: 'etcd' }): AllocationStore {
  return new EtcdStore(cfg);
}
