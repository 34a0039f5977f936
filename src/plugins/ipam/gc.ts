// GC (CNI 1.1): releases every allocation of this network whose (containerID, ifname) is not in
// cni.dev/valid-attachments. Scoped to the network name because one store serves all networks.
import { invalidConfig } from '../../cni/errors.js';
import { log } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import { type Attachment, RELEASE_CONTAINER } from '../../cni/types.js';
import type { Allocation, AllocationStore } from '../../store/types.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

function validAttachments(conf: IpamConf): Attachment[] {
  const v = conf['cni.dev/valid-attachments'];
  // Without the list nothing can be told apart from a leak; refusing is safer than releasing all.
  if (!Array.isArray(v)) throw invalidConfig('GC needs "cni.dev/valid-attachments" (a list, possibly empty)');
  return v.map((a, i) => {
    if (typeof a?.containerID !== 'string' || typeof a?.ifname !== 'string') {
      throw invalidConfig(`cni.dev/valid-attachments[${i}] needs string containerID and ifname`);
    }
    return a;
  });
}

/** Only this container's allocations in this network: nothing another ADD just made. */
async function releaseContainer(
  store: AllocationStore,
  network: string,
  containerId: string,
): Promise<Allocation[]> {
  const mine = (await store.list()).filter((a) => a.containerId === containerId && a.network === network);
  const out: Allocation[] = [];
  for (const ifname of new Set(mine.map((a) => a.ifname)))
    out.push(...(await store.release({ containerId, ifname })));
  return out;
}

export async function gc(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<void> {
  const { conf } = inv;
  const valid = validAttachments(conf);
  if (!conf.name) throw invalidConfig('GC needs the network "name": allocations are collected per network');
  const only = conf[RELEASE_CONTAINER];
  const store = deps.store(conf);
  try {
    const released =
      typeof only === 'string' && only !== ''
        ? await releaseContainer(store, conf.name, only)
        : await store.releaseAllExcept(
            valid.map((a) => ({ containerId: a.containerID, ifname: a.ifname })),
            { network: conf.name },
          );
    if (released.length > 0) {
      log('info', 'gc released', {
        network: conf.name,
        released: released.map((a) => `${a.ip} ${a.containerId}/${a.ifname}`),
      });
    }
  } finally {
    await store.close();
  }
}
