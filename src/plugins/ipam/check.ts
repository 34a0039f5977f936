// CHECK: the attachment still holds addresses in the store, and (when the runtime passes the
// previous result) each of them is among that result's addresses.
import { CniError, Code } from '../../cni/errors.js';
import type { Invocation } from '../../cni/plugin.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function check(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<void> {
  const { env, conf, prevResult } = inv;
  const store = deps.store(conf);
  try {
    const held = await store.get({ containerId: env.containerId, ifname: env.ifname });
    if (held.length === 0) {
      throw new CniError(
        Code.UnknownContainer,
        `trunkline-ipam: container ${env.containerId} interface ${env.ifname} holds no address`,
        'expected the addresses handed out at ADD to be still allocated',
      );
    }
    if (prevResult === undefined) return;
    const listed = new Set((prevResult.ips ?? []).map((i) => i.address.split('/')[0]));
    const missing = held.filter((a) => !listed.has(a.ip));
    if (missing.length > 0) {
      throw new CniError(
        Code.Internal,
        `trunkline-ipam: container ${env.containerId} interface ${env.ifname} holds ${missing.map((a) => a.ip).join(', ')}, missing from prevResult`,
        `prevResult has ${[...listed].join(', ') || 'no addresses'}`,
      );
    }
  } finally {
    await store.close();
  }
}
