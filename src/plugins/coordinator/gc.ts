// GC: the coordinator keeps no state; it removes host rules toward pod addresses whose host route
// (and so whose pod) is gone.
import type { Invocation } from '../../cni/plugin.js';
import type { Kernel } from '../../kernel/types.js';
import { sweepHostRules } from './plan.js';
import type { CoordinatorConf } from './types.js';

export async function gc(kernel: Kernel, inv: Invocation<CoordinatorConf>): Promise<void> {
  await sweepHostRules(kernel, inv.conf.hostRuleTable);
}
