// STATUS: like Multus, ask only the first delegate — the cluster network, which every pod gets.
// defaultNetworks and annotation networks do not decide whether the node can start pods.
import { CniError } from '../../cni/errors.js';
import type { Invocation } from '../../cni/plugin.js';
import { buildDelegates } from '../../multus/delegates.js';
import { pathFor } from './add.js';
import type { MetaDeps } from './deps.js';
import { statusDelegate, supports } from './invoke.js';
import { metaLogger } from './log.js';
import { waitForReadiness } from './readiness.js';
import type { MetaConf } from './types.js';

export async function status(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<void> {
  const { conf } = inv;
  const log = metaLogger(conf, {});
  await waitForReadiness(conf.readinessindicatorfile, conf.readinessTimeoutSeconds);
  const [cluster] = await buildDelegates({ conf, source: deps.source(conf), pod: undefined, ifname: 'eth0' });
  if (cluster === undefined || !supports(cluster, '1.1.0')) {
    log.debug('STATUS skipped: the cluster network predates CNI 1.1', { network: cluster?.name });
    return;
  }
  try {
    await statusDelegate(pathFor(conf, inv.env.path), cluster, inv.registry);
  } catch (err) {
    if (!(err instanceof CniError)) throw err;
    throw new CniError(err.code, `network ${cluster.name} is not ready: ${err.message}`, err.details, {
      cause: err,
    });
  }
}
