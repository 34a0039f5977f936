// DEL releases exactly this attachment's addresses; releasing nothing is success (idempotent). It
// needs neither the pod nor the manifests, so it works after both are gone. With a Kubernetes source
// it follows Spiderpool's release.go: a StatefulSet/KubeVirt pod whose owner still wants the replica
// keeps its addresses (the re-created pod takes them over), and a pod's SpiderEndpoint goes once the
// pod is no longer alive. A failed look-up never blocks the release.
import { errorText } from '../../cni/errors.js';
import { log } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import { forgetEndpoint, keepOnDel } from '../../ipam/endpoint.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function del(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<void> {
  const { env, conf } = inv;
  const ref = conf.resolved.pod;
  const fields = {
    containerID: env.containerId,
    ifname: env.ifname,
    ...(ref ? { pod: `${ref.namespace}/${ref.name}` } : {}),
  };
  const source = ref !== undefined && conf.resolved.kubeconfig !== undefined ? deps.source(conf) : undefined;
  const lookup = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      log('warn', what, { ...fields, error: errorText(err) });
      return fallback;
    }
  };
  if (source !== undefined && ref !== undefined) {
    const keep = await lookup(
      'could not tell whether the pod keeps its addresses',
      () => keepOnDel(source, ref),
      false,
    );
    if (keep) {
      log('info', 'kept the addresses of a StatefulSet/VM replica its owner still wants', fields);
      return;
    }
  }
  const store = deps.store(conf);
  try {
    const released = await store.release({ containerId: env.containerId, ifname: env.ifname });
    if (released.length > 0) log('info', 'released', { ...fields, ips: released.map((a) => a.ip) });
  } finally {
    await store.close();
  }
  if (source !== undefined && ref !== undefined)
    await lookup('could not remove the SpiderEndpoint', () => forgetEndpoint(source, ref), undefined);
}
