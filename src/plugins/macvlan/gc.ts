// GC: the macvlan plugin holds no state of its own; IPAM does.
import { delegateGc } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import type { MacvlanConf } from './types.js';

export async function gc(inv: Invocation<MacvlanConf>): Promise<void> {
  if (inv.conf.ipamType) await delegateGc(inv.conf.ipamType, inv, inv.stdin);
}
