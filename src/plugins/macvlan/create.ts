// Creates the macvlan under a temporary name directly inside the pod namespace, then renames it:
// creating with the final name could collide with a host interface of that name. The temporary name is
// derived from the container id and ifname, so an ADD killed between create and rename leaves a link
// that the next ADD or the DEL of the same attachment can find and remove.
import { createHash } from 'node:crypto';
import { CniError, Code, causedBy } from '../../cni/errors.js';
import type { Interface } from '../../cni/types.js';
import { Exists, isGone, NetnsNotFound } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import type { MacvlanConf } from './types.js';

/** 15 characters at most (IFNAMSIZ); "tlm" marks it as ours. */
export const tempName = (containerId: string, ifname: string): string =>
  `tlm${createHash('sha256').update(`${containerId}\0${ifname}`).digest('hex').slice(0, 12)}`;

/** Removes a temp-named link left by a killed ADD of this attachment; absent is fine. */
async function removeTemp(kernel: Kernel, netns: string, containerId: string, ifname: string) {
  await kernel.deleteLink(netns, tempName(containerId, ifname)).catch((e: unknown) => {
    if (!isGone(e)) throw e;
  });
}

export async function createMacvlan(
  kernel: Kernel,
  conf: MacvlanConf,
  netns: string,
  containerId: string,
  ifname: string,
): Promise<Interface> {
  const tmp = tempName(containerId, ifname);
  await removeTemp(kernel, netns, containerId, ifname);
  const base = {
    kind: 'macvlan' as const,
    name: tmp,
    master: conf.master,
    mode: conf.macvlanMode,
    ...(conf.effectiveMac ? { mac: conf.effectiveMac } : {}),
    ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
  };
  try {
    if (conf.linkInContainer) await kernel.createLink(netns, base);
    else await kernel.createLink(null, { ...base, netns });
  } catch (e) {
    if (e instanceof NetnsNotFound)
      throw new CniError(
        Code.UnknownContainer,
        `failed to open netns "${netns}": no such namespace`,
        undefined,
        {
          cause: e,
        },
      );
    throw causedBy(Code.Internal, `failed to create macvlan on ${conf.master}`, e);
  }
  try {
    await kernel.setLink(netns, tmp, { name: ifname });
  } catch (e) {
    await kernel.deleteLink(netns, tmp).catch(() => undefined);
    if (e instanceof Exists) {
      throw new CniError(
        Code.InvalidEnv,
        `failed to rename macvlan to "${ifname}": an interface of that name already exists in ${netns}`,
        undefined,
        { cause: e },
      );
    }
    throw causedBy(Code.Internal, `failed to rename macvlan to "${ifname}"`, e);
  }
  const link = await kernel.getLink(netns, ifname);
  return { name: ifname, mac: link.mac, sandbox: netns };
}
