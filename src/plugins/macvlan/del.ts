// DEL is idempotent: no netns, no link, no allocation are all success.
import { delegateDel } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import type { CniEnv } from '../../cni/types.js';
import { isGone, NetnsNotFound } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { tempName } from './create.js';
import type { MacvlanConf } from './types.js';

export async function del(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { env, conf } = inv;
  // The links go while the IPAM releases: the kernel's unregister of a macvlan (~15 ms) overlaps the
  // store's work. Both are attempted; the first failure is the answer, as a retried DEL redoes both.
  const links = deleteLinks(kernel, env);
  const released = conf.ipamType ? delegateDel(conf.ipamType, inv, inv.stdin) : undefined;
  const [ipam, link] = await Promise.allSettled([released, links]);
  if (ipam.status === 'rejected') throw ipam.reason;
  if (link.status === 'rejected') throw link.reason;
}

/** The link, and the one an ADD killed between creating and renaming left under its temporary name. */
async function deleteLinks(kernel: Kernel, env: CniEnv): Promise<void> {
  if (env.netns === '') return;
  const gone = (name: string) =>
    kernel.deleteLink(env.netns, name).catch((e: unknown) => {
      if (!(e instanceof NetnsNotFound) && !isGone(e)) throw e;
    });
  await Promise.all([gone(env.ifname), gone(tempName(env.containerId, env.ifname))]);
}
