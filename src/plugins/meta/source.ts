// Which ClusterSource the config asks for. Both constructors are cheap: the Kubernetes client is
// loaded on the first API call only.
import { KubernetesSource } from '../../cluster/kubernetes/source.js';
import { LocalSource } from '../../cluster/local/source.js';
import type { ClusterSource } from '../../cluster/types.js';
import type { MetaConf } from './types.js';

export function makeSource(conf: MetaConf): ClusterSource {
  if (conf.source.type === 'kubernetes') {
    return new KubernetesSource(conf.kubeconfig !== undefined ? { kubeconfig: conf.kubeconfig } : {});
  }
  return new LocalSource({
    manifestDir: conf.source.manifestDir,
    ...(conf.source.stateDir !== undefined ? { stateDir: conf.source.stateDir } : {}),
    cacheParsed: true,
  });
}
