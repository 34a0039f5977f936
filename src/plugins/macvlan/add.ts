// ADD: every step after the link exists is undone on failure (link deleted, IPAM released).

import { CniError, Code, causedBy } from '../../cni/errors.js';
import { delegateAdd, delegateDel } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import { Exists } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { configureIface } from '../common/configure.js';
import { checkMtu } from './conf.js';
import { createMacvlan } from './create.js';
import { ensureParent } from './ifacer.js';
import type { MacvlanConf } from './types.js';

export async function add(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<Result> {
  const { env, conf } = inv;
  await kernel.checkNetns(env.netns).catch((e) => {
    throw causedBy(Code.UnknownContainer, `failed to open netns "${env.netns}"`, e);
  });
  if (await kernel.findLink(env.netns, env.ifname)) {
    throw new CniError(
      Code.InvalidEnv,
      `interface "${env.ifname}" already exists in ${env.netns}`,
      'CNI_IFNAME must name a new interface',
    );
  }
  if (conf.ifacer) {
    await ensureParent(kernel, conf.ifacer);
    conf.masterMtu ??= (await kernel.getLink(null, conf.master)).mtu;
    checkMtu(conf);
  }
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const itf = await createMacvlan(kernel, conf, env.netns, env.containerId, env.ifname);
    undo.push(() => kernel.deleteLink(env.netns, env.ifname));
    const result: Result = { cniVersion: conf.cniVersion, interfaces: [itf] };
    if (conf.ipamType) {
      // The kernel announces the new address itself (gratuitous ARP / unsolicited NA) on link up.
      // Both set off the main thread while the IPAM allocates; best effort, as the reference does.
      const announce = Promise.all([
        kernel.sysctlSet(env.netns, `net/ipv4/conf/${env.ifname}/arp_notify`, '1'),
        kernel.sysctlSet(env.netns, `net/ipv6/conf/${env.ifname}/ndisc_notify`, '1'),
      ]).catch(() => undefined);
      undo.push(() => delegateDel(conf.ipamType!, inv, inv.stdin));
      const ipam = await delegateAdd(conf.ipamType, inv, inv.stdin);
      if (!ipam.ips?.length) throw new CniError(Code.Internal, 'IPAM plugin returned missing IP config');
      result.ips = ipam.ips.map((ip) => ({ ...ip, interface: 0 }));
      if (ipam.routes?.length) result.routes = ipam.routes;
      await announce;
      await configureIface(kernel, env.netns, env.ifname, result);
    } else {
      await kernel.setLink(env.netns, env.ifname, { up: true });
    }
    if (conf.dns) result.dns = conf.dns;
    undo.length = 0;
    return result;
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    if (e instanceof Exists) throw new CniError(Code.Internal, e.message, undefined, { cause: e });
    throw e;
  }
}
