// The ordered delegate list of one pod, as Multus builds it: the cluster network (or the pod's
// default-network override) first, then defaultNetworks unless the pod is in a system namespace,
// then the pod's annotation networks. Interface names, default-route filters and the seed rule
// (an overlay network may not be the default network) are settled here, before any side effect.

import type { ClusterSource, PodInfo } from '../cluster/types.js';
import { invalidConfig } from '../cni/errors.js';
import {
  checkDefaultRouteRequests,
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseNetworksAnnotation,
} from './annotations.js';
import { baseNetworks } from './base-networks.js';
import type { MultusConf } from './config.js';
import { assignDevices, toDelegate } from './delegate-config.js';
import { type Delegate, fromSelection } from './delegate-types.js';
import { checkNamespaceIsolation, resolveNad } from './nad.js';

export type { Delegate } from './delegate-types.js';

interface BuildInput {
  conf: MultusConf;
  source: ClusterSource;
  /** undefined when the pod is unknown: only the cluster network is attached. */
  pod: PodInfo | undefined;
  /** CNI_IFNAME */
  ifname: string;
}

/** Resolve every network of the pod into the ordered, named delegate list. Throws code 7. */
export async function buildDelegates(input: BuildInput): Promise<Delegate[]> {
  const { conf, source, pod } = input;
  const podId = pod !== undefined ? `${pod.metadata.namespace}/${pod.metadata.name}` : undefined;
  const pending = await baseNetworks(conf, source, pod, podId);
  if (pod !== undefined) {
    const ns = pod.metadata.namespace;
    for (const sel of parseNetworksAnnotation(pod.metadata.annotations?.[NETWORKS_ANNOTATION], ns, podId)) {
      checkNamespaceIsolation(conf, ns, sel.namespace, podId);
      pending.push(
        fromSelection(await resolveNad(source, sel.namespace, sel.name, conf.confDir), sel, false),
      );
    }
  }
  if (pending.length === 0) throw invalidConfig('no networks to attach: no cluster network and no delegates');
  if (pod !== undefined) assignDevices(pending, conf, pod);
  checkDefaultRouteRequests(
    pending.map((p) => ({ name: p.net.name, defaultRoute: p.request.defaultRoute })),
    podId,
  );
  const delegates = pending.map((p, idx) => toDelegate(p, idx, conf, input.ifname, pending));
  checkInterfaceNames(delegates, podId);
  // podman's `--network a,b` calls the meta plugin once per NIC (eth0, eth1, …): only the runtime's
  // primary interface is the pod's default network; an overlay network may own eth1 and up.
  if (input.ifname === PRIMARY_IFNAME) assertDefaultNotOverlay(delegates[0]!, podId);
  return delegates;
}

function checkInterfaceNames(delegates: Delegate[], podId: string | undefined): void {
  const seen = new Map<string, string>();
  for (const d of delegates) {
    const other = seen.get(d.ifname);
    if (other !== undefined) {
      throw invalidConfig(
        `interface name "${d.ifname}" is used twice${podId !== undefined ? ` in pod ${podId}` : ''}: by network ${other} and by network ${d.name}; give one of them another name with @ifname or "interface"`,
      );
    }
    seen.set(d.ifname, d.name);
  }
}

const PRIMARY_IFNAME = 'eth0';

/** Seed rule: a network whose chain runs in overlay mode must not own the pod's default interface. */
function assertDefaultNotOverlay(d: Delegate, podId?: string): void {
  if (!d.overlay) return;
  throw invalidConfig(
    `network ${d.name} (${d.origin}) cannot be the default network${podId !== undefined ? ` of pod ${podId}` : ''}: it is marked overlay (coordinator mode "overlay" or annotation trunkline.io/network-mode: overlay), and overlay networks leave ${d.ifname} and the default route to the cluster's overlay CNI, so they may only be extra interfaces listed in ${NETWORKS_ANNOTATION}; use a standalone (underlay) network for ${DEFAULT_NETWORK_ANNOTATION}`,
  );
}
