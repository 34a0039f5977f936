// STATUS: ready when the master exists (the reference leaves this as a TODO) and IPAM is ready.

import { CniError, Code } from '../../cni/errors.js';
import { delegateStatus } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Kernel } from '../../kernel/types.js';
import type { MacvlanConf } from './types.js';

export async function status(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { conf, env } = inv;
  if (!conf.linkInContainer && !(await kernel.findLink(null, conf.master))) {
    throw new CniError(Code.NotAvailable, `master interface "${conf.master}" does not exist`);
  }
  if (conf.ipamType) await delegateStatus(conf.ipamType, env, inv.stdin);
}
