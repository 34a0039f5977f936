// ADD (chained after the main plugin): checks, then detection (no side effects), then MAC, veth,
// sysctls, routes and rules. Anything after detection is undone if a later step fails; the result is
// prevResult, with the NIC's MAC updated when podMACPrefix rewrote it.
import { CniError, Code, causedBy, invalidConfig } from '../../cni/errors.js';
import { logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import type { Kernel } from '../../kernel/types.js';
import { addrOf } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { assertUsable, resolveAttachment, vethToCreate } from './attachment.js';
import { teardown } from './del.js';
import { detect } from './detect.js';
import { prefixedMac } from './ipnet.js';
import { applyHost, applyPod, buildPlan, type VethMacs } from './plan.js';
import type { Prober } from './probe.js';
import { applyRpFilter } from './sysctl.js';
import { tune } from './tune.js';
import type { Attachment, CoordinatorConf } from './types.js';
import { createVeth, setupVeth } from './veth.js';

async function rewriteMac(kernel: Kernel, conf: CoordinatorConf, att: Attachment, result: Result) {
  const v4 = att.podIps.find((c) => familyOf(c) === 4);
  const mac = prefixedMac(conf.podMACPrefix!, addrOf(v4 ?? att.podIps[0]!));
  // The kernel announces the new MAC itself (gratuitous ARP / unsolicited NA) when these are set.
  await kernel.sysctlSet(att.netns, `net/ipv4/conf/${att.ifname}/arp_notify`, '1').catch(() => undefined);
  await kernel.sysctlSet(att.netns, `net/ipv6/conf/${att.ifname}/ndisc_notify`, '1').catch(() => undefined);
  await kernel.setLink(att.netns, att.ifname, { mac });
  for (const itf of result.interfaces ?? []) {
    if (itf.name === att.ifname && (itf.sandbox === undefined || itf.sandbox === att.netns)) itf.mac = mac;
  }
}

export async function add(kernel: Kernel, prober: Prober, inv: Invocation<CoordinatorConf>): Promise<Result> {
  const { env, conf, prevResult } = inv;
  if (!prevResult) {
    throw invalidConfig(
      'the coordinator needs prevResult',
      'chain it after the main plugin (e.g. macvlan) in a conflist',
    );
  }
  if (conf.mode === 'disabled') return prevResult;
  const log = logger({ containerID: env.containerId, netns: env.netns, ifname: env.ifname });
  await kernel.checkNetns(env.netns).catch((e) => {
    throw causedBy(Code.UnknownContainer, `failed to open netns "${env.netns}"`, e);
  });
  const nic = await kernel.findLink(env.netns, env.ifname);
  if (!nic) {
    // The chain is misconfigured (or prevResult names an interface nothing made): the caller's error.
    throw new CniError(
      Code.InvalidConfig,
      `interface ${env.ifname} not found in ${env.netns}`,
      'the coordinator runs after the plugin that creates it',
    );
  }
  const t = { netns: env.netns, ifname: env.ifname, containerId: env.containerId };
  const att = await resolveAttachment(kernel, conf, t, prevResult, true);
  if (att.podIps.length === 0) {
    log.warn('interface has no addresses; nothing to coordinate');
    return prevResult;
  }
  await assertUsable(kernel, conf, att);
  const create = await vethToCreate(kernel, att);
  await detect(kernel, prober, conf, att);

  const result = structuredClone(prevResult);
  let created = false;
  try {
    if (conf.podMACPrefix) await rewriteMac(kernel, conf, att, result);
    let macs: VethMacs | undefined;
    if (create) {
      await createVeth(kernel, conf, att);
      created = true;
    }
    // The pod's first NIC sets the pair up even when a sibling created it: it owns it (DEL removes it).
    if (create || att.ownsVeth) macs = await setupVeth(kernel, conf, att);
    await applyRpFilter(kernel, conf, att);
    const plan = await buildPlan(kernel, conf, att, macs);
    await applyHost(kernel, plan);
    await applyPod(kernel, att.netns, plan);
    await tune(kernel, conf, att);
    log.info('coordinated', { mode: att.mode, table: att.table, nodeIps: plan.nodeIps });
    return result;
  } catch (e) {
    // A veth that could not be created (its host name was taken) is not ours to delete.
    await teardown(kernel, conf, { ...att, ownsVeth: created }, true).catch((u) =>
      log.warn('undo after a failed ADD was incomplete', { error: String(u) }),
    );
    if (conf.podMACPrefix && nic.mac)
      await kernel.setLink(env.netns, env.ifname, { mac: nic.mac }).catch(() => undefined);
    throw e;
  }
}
