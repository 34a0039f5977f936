// DEL releases exactly this attachment's addresses; releasing nothing is success (idempotent). It
// needs neither the pod nor the manifests, so it works after both are gone.
import { log } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function del(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<void> {
  const { env, conf } = inv;
  const store = deps.store(conf);
  try {
    const released = await store.release({ containerId: env.containerId, ifname: env.ifname });
    if (released.length > 0) {
      log('info', 'released', {
        containerID: env.containerId,
        ifname: env.ifname,
        ips: released.map((a) => a.ip),
      });
    }
  } finally {
    await store.close();
  }
}
