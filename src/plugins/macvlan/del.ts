// DEL is idempotent: no netns, no link, no allocation are all success.
import { delegateDel } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import { isGone, NetnsNotFound } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { tempName } from './create.js';
import type { MacvlanConf } from './types.js';

export async function del(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { env, conf } = inv;
  if (conf.ipamType) await delegateDel(conf.ipamType, inv, inv.stdin);
  if (env.netns === '') return;
  // The link, and the one an ADD killed between creating and renaming left under its temporary name.
  for (const name of [env.ifname, tempName(env.containerId, env.ifname)]) {
    try {
      await kernel.deleteLink(env.netns, name);
    } catch (e) {
      if (e instanceof NetnsNotFound) return;
      if (!isGone(e)) throw e;
    }
  }
}
