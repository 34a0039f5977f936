// DEL: removes what ADD installed for this NIC, idempotently: the veth pair (underlay, first NIC),
// this NIC's table and rules in the pod (moved routes go back to main), the shared main-table routes
// once no other coordinated NIC remains, and the host's rules and routes toward the pod's addresses.
import { CniError } from '../../cni/errors.js';
import { logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import { isGone } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { resolveAttachment, type Target } from './attachment.js';
import { buildPlan, removeHost, removePodRoutes, sweepHostRules } from './plan.js';
import { untune } from './tune.js';
import type { Attachment, CoordinatorConf } from './types.js';

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

export async function teardown(
  kernel: Kernel,
  conf: CoordinatorConf,
  att: Attachment,
  podPresent: boolean,
): Promise<void> {
  const plan = await buildPlan(kernel, conf, att);
  if (podPresent) {
    const shared = await untune(kernel, att, plan, conf.hostRuleTable).catch((e) => {
      if (isGone(e)) return true;
      throw e;
    });
    if (att.ownsVeth) await ignoreGone(kernel.deleteLink(att.netns, att.viaNic));
    else await removePodRoutes(kernel, att.netns, plan.podRoutes).catch(() => undefined);
    if (!shared) await removePodRoutes(kernel, att.netns, plan.podMainRoutes).catch(() => undefined);
  }
  if (att.ownsVeth) await ignoreGone(kernel.deleteLink(null, att.hostVeth));
  await removeHost(kernel, plan);
}

export async function del(kernel: Kernel, inv: Invocation<CoordinatorConf>): Promise<void> {
  const { env, conf } = inv;
  if (conf.mode === 'disabled') return;
  const log = logger({ containerID: env.containerId, netns: env.netns, ifname: env.ifname });
  const podPresent =
    env.netns !== '' &&
    (await kernel.checkNetns(env.netns).then(
      () => true,
      () => false,
    ));
  const t: Target = { netns: env.netns, ifname: env.ifname, containerId: env.containerId };
  let att: Attachment;
  try {
    att = await resolveAttachment(kernel, conf, t, inv.prevResult, podPresent);
  } catch (e) {
    // A NIC ADD would have refused has nothing installed; only stale host rules may need sweeping.
    if (!(e instanceof CniError)) throw e;
    log.info('nothing to remove', { reason: e.message });
    await sweepHostRules(kernel, conf.hostRuleTable);
    return;
  }
  await teardown(kernel, conf, att, podPresent);
  if (att.podIps.length === 0) await sweepHostRules(kernel, conf.hostRuleTable);
}
