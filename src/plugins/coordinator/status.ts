// STATUS: ready unless detection is enabled and its probe tools are missing.
import { CniError, Code } from '../../cni/errors.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Prober } from './probe.js';
import type { CoordinatorConf } from './types.js';

export async function status(prober: Prober, inv: Invocation<CoordinatorConf>): Promise<void> {
  const { conf } = inv;
  if ((conf.detectGateway || conf.detectIPConflict) && !prober.available()) {
    throw new CniError(
      Code.NotAvailable,
      'IP-conflict/gateway detection is enabled but arping or ndisc6 is missing',
      'install the Debian packages iputils-arping and ndisc6',
    );
  }
}
