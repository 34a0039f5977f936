// The underlay veth pair: veth0 in the pod, veth<containerID[:11]> on the host, both up, without
// addresses (vethLinkAddress aside); the pod reaches node addresses through it by static neighbours.
import { CniError, Code } from '../../cni/errors.js';
import { Exists } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { hostCidr } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import type { VethMacs } from './plan.js';
import type { Attachment, CoordinatorConf } from './types.js';

export async function createVeth(kernel: Kernel, conf: CoordinatorConf, att: Attachment): Promise<void> {
  try {
    await kernel.createLink(att.netns, {
      kind: 'veth',
      name: att.viaNic,
      peer: att.hostVeth,
      peerNetns: null,
      mtu: conf.vethMTU,
    });
  } catch (e) {
    if (e instanceof Exists) {
      throw new CniError(
        Code.Internal,
        `cannot create veth pair ${att.viaNic}/${att.hostVeth}: ${att.hostVeth} already exists on the host`,
        'another sandbox with the same container ID prefix is coordinated',
        { cause: e },
      );
    }
    throw e;
  }
}

/** Brings the pair up with its options; returns both MACs for the static neighbours. */
export async function setupVeth(kernel: Kernel, conf: CoordinatorConf, att: Attachment): Promise<VethMacs> {
  const v6 = att.podIps.some((c) => familyOf(c) === 6);
  const q = conf.txQueueLen > 0 ? { txQueueLen: conf.txQueueLen } : {};
  if (v6) {
    await kernel.sysctlSet(att.netns, `net/ipv6/conf/${att.viaNic}/disable_ipv6`, '0').catch(() => undefined);
    await kernel.sysctlSet(null, `net/ipv6/conf/${att.hostVeth}/disable_ipv6`, '0').catch(() => undefined);
  }
  await kernel.setLink(null, att.hostVeth, { ...q, up: true });
  await kernel.setLink(att.netns, att.viaNic, { ...q, up: true });
  if (conf.vethLinkAddress)
    await kernel.addAddr(att.netns, att.viaNic, hostCidr(conf.vethLinkAddress), { noDad: true });
  const [pod, host] = await Promise.all([
    kernel.getLink(att.netns, att.viaNic),
    kernel.getLink(null, att.hostVeth),
  ]);
  return { pod: pod.mac, host: host.mac };
}
