// ADD: one store transaction for all families; a repeated ADD for (containerID, ifname) returns the
// addresses it already holds.
import { log } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import { allocate } from '../../ipam/allocate.js';
import { selectionInput } from './context.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function add(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<Result> {
  const { conf, env } = inv;
  const store = deps.store(conf);
  try {
    const input = await selectionInput(conf, env, deps.source(conf));
    const out = await allocate({
      ...input,
      store,
      containerId: env.containerId,
      ...(conf.name ? { network: conf.name } : {}),
      ...(conf.resolved.pod?.uid ? { podUid: conf.resolved.pod.uid } : {}),
      requestedIps: conf.resolved.requestedIps,
    });
    log('info', out.reused ? 'returned held addresses' : 'allocated', {
      containerID: env.containerId,
      ifname: env.ifname,
      ...(input.podNamespace ? { pod: `${input.podNamespace}/${input.podName}` } : {}),
      ips: out.ips.map((i) => i.address),
      pools: out.allocations.map((a) => a.pool),
    });
    return { cniVersion: conf.cniVersion, ips: out.ips, routes: out.routes };
  } finally {
    await store.close();
  }
}
