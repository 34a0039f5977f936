// What the plugin talks to, injectable so the node agent (and tests) can choose backends: by default
// the local manifest source (or the Kubernetes API when a kubeconfig is given) and the store the
// config names.
import { KubernetesSource } from '../../cluster/kubernetes/source.js';
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

// One source per invocation: selection and the Kubernetes store share its client.
const sources = new WeakMap<IpamConf, ClusterSource>();

function sourceFor(conf: IpamConf): ClusterSource {
  let s = sources.get(conf);
  if (!s) {
    const { kubeconfig, manifestDir, stateDir } = conf.resolved;
    s =
      kubeconfig !== undefined
        ? new KubernetesSource({ kubeconfig })
        : new LocalSource({ manifestDir, stateDir, cacheParsed: true });
    sources.set(conf, s);
  }
  return s;
}

const storeFor = (conf: IpamConf) =>
  createStore(conf.resolved.store, conf.resolved.store.type === 'kubernetes' ? sourceFor(conf) : undefined);

export const defaultDeps: IpamDeps = { source: sourceFor, store: storeFor };
