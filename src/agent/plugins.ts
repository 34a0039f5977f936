// The agent's plugin registry: our own types, run in-process with warm dependencies. Other types
// (host-local, the reference plugins, anything third-party) are not listed: delegation executes them
// from CNI_PATH, and a shim asking for an unlisted type is told to run its bundled plugin itself.
import type { Plugin } from '../cni/plugin.js';
import type { Kernel } from '../kernel/types.js';
import { coordinatorPlugin } from '../plugins/coordinator/index.js';
import { ipamPlugin } from '../plugins/ipam/index.js';
import type { IpamConf } from '../plugins/ipam/types.js';
import { macvlanPlugin } from '../plugins/macvlan/index.js';
import { metaPlugin } from '../plugins/meta/index.js';
import type { Tracer } from './trace.js';
import type { WarmCaches } from './warm.js';

/** type → plugin; `kernel` is the backend the in-process plugins use; `tracer` times sources and stores. */
export function ownPlugins(kernel: () => Kernel, warm: WarmCaches, tracer?: Tracer): Map<string, Plugin> {
  const timed = <T extends object>(x: T, phase: 'source' | 'store'): T =>
    tracer ? tracer.wrap(x, phase) : x;
  // As the plugin's default deps (the Kubernetes API when the IPAM config names a kubeconfig, else the
  // local manifests), but shared: one client or one watched directory, one open store.
  const source = (conf: IpamConf) =>
    conf.resolved.kubeconfig !== undefined
      ? warm.kubernetesSource(conf.resolved.kubeconfig)
      : warm.localSource(conf.resolved.manifestDir, conf.resolved.stateDir);
  const ipam = ipamPlugin({
    source: (conf) => timed(source(conf), 'source'),
    store: (conf) => {
      const src = source(conf);
      const store = warm.store(
        conf.resolved.store,
        conf.resolved.store.type === 'kubernetes' ? src : undefined,
      );
      const key = JSON.stringify([
        conf.resolved.kubeconfig,
        conf.resolved.manifestDir,
        conf.resolved.stateDir,
        conf.resolved.store,
      ]);
      warm.usedTogether(key, src, store);
      const { kubeconfig, store: sc } = conf.resolved;
      if (kubeconfig !== undefined && sc.type !== 'kubernetes' && sc.type !== 'etcd')
        warm.nodeGc.track(key, kubeconfig, store);
      return timed(store, 'store');
    },
  });
  const meta = metaPlugin({
    kernel,
    source: (conf) =>
      timed(
        conf.source.type === 'kubernetes'
          ? warm.kubernetesSource(conf.kubeconfig)
          : warm.localSource(conf.source.manifestDir, conf.source.stateDir),
        'source',
      ),
  });
  const list: Plugin[] = [macvlanPlugin(kernel), ipam, meta, coordinatorPlugin(kernel)];
  return new Map(list.map((p) => [p.name, p]));
}
