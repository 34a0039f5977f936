// rp_filter in the pod (podRPFilter, default 0: replies may arrive on another NIC than the route
// back) and, when asked, on the host end of the pod's link (hostRPFilter).
import type { Kernel } from '../../kernel/types.js';
import type { Attachment, CoordinatorConf } from './types.js';

export async function applyRpFilter(kernel: Kernel, conf: CoordinatorConf, att: Attachment): Promise<void> {
  if (conf.podRPFilter >= 0) {
    const v = String(conf.podRPFilter);
    // The effective value is the maximum of "all" and the interface's own.
    for (const dev of new Set(['all', att.ifname, att.viaNic])) {
      await kernel.sysctlSet(att.netns, `net/ipv4/conf/${dev}/rp_filter`, v);
    }
  }
  if (conf.hostRPFilter >= 0 && att.hostVeth !== '') {
    await kernel.sysctlSet(null, `net/ipv4/conf/${att.hostVeth}/rp_filter`, String(conf.hostRPFilter));
  }
}
