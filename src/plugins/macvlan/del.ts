// DEL is idempotent: no netns, no link, no allocation are all success.
import { delegateDel } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import { isGone } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import type { MacvlanConf } from './types.js';

export async function del(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { env, conf } = inv;
  if (conf.ipamType) await delegateDel(conf.ipamType, env, inv.stdin);
  if (env.netns === '') return;
  try {
    await kernel.deleteLink(env.netns, env.ifname);
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}
