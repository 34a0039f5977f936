// ADD: one store transaction for all families; a repeated ADD for (containerID, ifname) returns the
// addresses it already holds. With a Kubernetes source the pod's SpiderEndpoint brings back what the
// NIC held before (same pod UID, or a StatefulSet/VM pod's predecessor) and records the result.
import { log } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import { allocate } from '../../ipam/allocate.js';
import { endpointContext, recordEndpoint, stickyOf } from '../../ipam/endpoint.js';
import { nicDetail } from '../../ipam/endpoint-nic.js';
import { selectionInput } from './context.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function add(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<Result> {
  const { conf, env } = inv;
  const store = deps.store(conf);
  try {
    const source = deps.source(conf);
    const input = await selectionInput(conf, env, source);
    const ep = await endpointContext(source, input.pod);
    const sticky = stickyOf(ep, env.ifname);
    const out = await allocate({
      ...input,
      store,
      containerId: env.containerId,
      ...(conf.name ? { network: conf.name } : {}),
      ...(conf.resolved.pod?.uid ? { podUid: conf.resolved.pod.uid } : {}),
      requestedIps: conf.resolved.requestedIps,
      ...(sticky !== undefined ? { sticky } : {}),
    });
    if (ep !== undefined) {
      const pools = new Map(input.pools.map((p) => [p.metadata.name, p]));
      const nic = nicDetail(env.ifname, out.allocations, out, pools, out.cleanGateway);
      try {
        await recordEndpoint(ep, nic, ep.pod.nodeName ?? input.nodeName ?? '');
      } catch (err) {
        // Undo what this ADD took; a fixed workload's addresses stay for its next attempt (or the GC).
        if (!out.reused && !ep.workload.fixed)
          await store.release({ containerId: env.containerId, ifname: env.ifname });
        throw err;
      }
    }
    log(
      'info',
      out.reused
        ? 'returned held addresses'
        : sticky
          ? 'allocated (previous addresses asked for)'
          : 'allocated',
      {
        containerID: env.containerId,
        ifname: env.ifname,
        ...(input.podNamespace ? { pod: `${input.podNamespace}/${input.podName}` } : {}),
        ips: out.ips.map((i) => i.address),
        pools: out.allocations.map((a) => a.pool),
      },
    );
    return { cniVersion: conf.cniVersion, ips: out.ips, routes: out.routes };
  } finally {
    await store.close();
  }
}
