// STATUS: ready when the store can be opened and written.
import type { Invocation } from '../../cni/plugin.js';
import type { IpamDeps } from './deps.js';
import type { IpamConf } from './types.js';

export async function status(deps: IpamDeps, inv: Invocation<IpamConf>): Promise<void> {
  const store = deps.store(inv.conf);
  try {
    await store.check();
  } finally {
    await store.close();
  }
}
