// The two things the meta plugin does in the pod namespace itself: refuse an interface name that is
// taken, and carry out the default-route plan of a delegate.
import { invalidConfig } from '../../cni/errors.js';
import type { Kernel } from '../../kernel/types.js';
import type { DefaultRoutePlan } from '../../multus/routes.js';

export async function assertIfnameFree(
  kernel: Kernel,
  netns: string,
  ifname: string,
  network: string,
): Promise<void> {
  if ((await kernel.findLink(netns, ifname)) !== undefined) {
    throw invalidConfig(
      `cannot attach network ${network}: interface name "${ifname}" already exists in ${netns}`,
    );
  }
}

const DEFAULT = { 4: '0.0.0.0/0', 6: '::/0' } as const;

export async function applyDefaultRoutePlan(
  kernel: Kernel,
  netns: string,
  ifname: string,
  plan: DefaultRoutePlan,
): Promise<void> {
  for (const family of plan.remove) {
    const routes = await kernel.listRoutes(netns, { family });
    for (const r of routes) {
      if (r.dst === DEFAULT[family] && r.dev === ifname && r.table === undefined)
        await kernel.delRoute(netns, r);
    }
  }
  for (const a of plan.add) {
    await kernel.addRoute(netns, { family: a.family, dst: DEFAULT[a.family], gw: a.gateway, dev: ifname });
  }
}
