// STATUS: ready when the master exists (the reference leaves this as a TODO) and IPAM is ready.

import { CniError, Code } from '../../cni/errors.js';
import { delegateStatus } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Kernel } from '../../kernel/types.js';
import type { MacvlanConf } from './types.js';

export async function status(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { conf } = inv;
  // An on-demand parent is ready when what it is built from exists.
  const needed =
    conf.ifacer && !(await kernel.findLink(null, conf.master)) ? conf.ifacer.ports : [conf.master];
  for (const name of conf.linkInContainer ? [] : needed) {
    if (!(await kernel.findLink(null, name))) {
      throw new CniError(Code.NotAvailable, `master interface "${name}" does not exist`);
    }
  }
  if (conf.ipamType) await delegateStatus(conf.ipamType, inv, inv.stdin);
}
