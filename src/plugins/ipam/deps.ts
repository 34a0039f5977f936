// What the plugin talks to, injectable so the node agent (and tests) can choose backends: by default
// the local manifest source and the embedded SQLite store named by the config.
import { LocalSource } from '../../cluster/local/source.js';
import type { ClusterSource } from '../../cluster/types.js';
import { createStore } from '../../store/index.js';
import type { AllocationStore } from '../../store/types.js';
import type { IpamConf } from './types.js';

export interface IpamDeps {
  source(conf: IpamConf): ClusterSource;
  /** A fresh, unopened store; the command closes it when done. */
  store(conf: IpamConf): AllocationStore;
}

export const defaultDeps: IpamDeps = {
  source: (conf) =>
    new LocalSource({ manifestDir: conf.resolved.manifestDir, stateDir: conf.resolved.stateDir }),
  store: (conf) => createStore(conf.resolved.store),
};
