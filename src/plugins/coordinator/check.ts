// CHECK: everything ADD installed for this NIC is still there: the veth pair (underlay), the host's
// rules and routes toward the pod, the pod's node/Service routes and static neighbours, this NIC's
// policy rules, and the prefixed MAC.
import { CniError, Code, causedBy, invalidConfig } from '../../cni/errors.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Kernel } from '../../kernel/types.js';
import { addrOf } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { hostPeer, resolveAttachment } from './attachment.js';
import { prefixedMac } from './ipnet.js';
import { buildPlan, verifyHost, verifyPod } from './plan.js';
import { type CoordinatorConf, MAIN_TABLE } from './types.js';

const fail = (msg: string, details?: string) => new CniError(Code.Internal, msg, details);

export async function check(kernel: Kernel, inv: Invocation<CoordinatorConf>): Promise<void> {
  const { env, conf, prevResult } = inv;
  if (!prevResult) throw invalidConfig('required prevResult missing');
  if (conf.mode === 'disabled') return;
  await kernel.checkNetns(env.netns).catch((e) => {
    throw causedBy(Code.UnknownContainer, `failed to open netns "${env.netns}"`, e);
  });
  const nic = await kernel.findLink(env.netns, env.ifname);
  // No interface at all: CHECK was asked about an attachment that does not exist (never ADDed, or
  // already deleted), which is the caller's error, not a drift found in a live one.
  if (!nic) throw new CniError(Code.UnknownContainer, `interface ${env.ifname} not found in ${env.netns}`);
  const t = { netns: env.netns, ifname: env.ifname, containerId: env.containerId };
  const att = await resolveAttachment(kernel, conf, t, prevResult, true);
  if (att.podIps.length === 0) return;

  let macs: { pod: string; host: string } | undefined;
  if (att.mode === 'underlay') {
    const veth0 = await kernel.findLink(env.netns, att.viaNic);
    if (veth0?.kind !== 'veth') throw fail(`veth ${att.viaNic} not found in ${env.netns}`);
    if (att.ownsVeth) {
      const peer = await hostPeer(kernel, veth0);
      if (peer?.name !== att.hostVeth) {
        throw fail(
          `host end ${att.hostVeth} of ${att.viaNic} not found on the host`,
          peer ? `the peer is ${peer.name}` : 'no host peer',
        );
      }
      macs = { pod: veth0.mac, host: peer.mac };
    }
  } else if (att.hostVeth === '') {
    throw fail(`${att.viaNic} in ${env.netns} has no veth peer on the host`);
  }
  const plan = await buildPlan(kernel, conf, att, macs);
  await verifyHost(kernel, plan);
  await verifyPod(kernel, env.netns, plan);

  if (att.table !== MAIN_TABLE && (conf.tunePodRoutes || conf.policyRoutes)) {
    for (const fam of new Set(att.podIps.map(familyOf))) {
      const rules = await kernel.listRules(env.netns, fam);
      if (!rules.some((r) => r.table === att.table))
        throw fail(`no IPv${fam} rule points at table ${att.table} for ${env.ifname} in ${env.netns}`);
    }
  }
  if (conf.podMACPrefix) {
    const v4 = att.podIps.find((c) => familyOf(c) === 4);
    const want = prefixedMac(conf.podMACPrefix, addrOf(v4 ?? att.podIps[0]!));
    if (nic.mac.toLowerCase() !== want)
      throw fail(`interface ${env.ifname} MAC is ${nic.mac}, expected ${want}`);
  }
}
