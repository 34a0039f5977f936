// STATUS: ready when every network every pod may get (cluster network, defaultNetworks) is ready.
import { CniError } from '../../cni/errors.js';
import { logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import { pathFor } from './add.js';
import type { MetaDeps } from './deps.js';
import { baseNetworks } from './garbage.js';
import { statusDelegate, supports } from './invoke.js';
import type { MetaConf } from './types.js';

export async function status(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<void> {
  const log = logger({});
  for (const d of await baseNetworks(deps, inv.conf, log)) {
    if (!supports(d, '1.1.0')) continue;
    try {
      await statusDelegate(pathFor(inv.conf, inv.env.path), d);
    } catch (err) {
      const e = err instanceof CniError ? err : new CniError(999, String(err));
      throw new CniError(e.code, `network ${d.name} is not ready: ${e.message}`, e.details);
    }
  }
}
