// CHECK every delegate, annotation networks included (Multus checks only its own conf's delegates),
// each against the result it returned on ADD.
import { CniError, Code, errorText } from '../../cni/errors.js';
import type { Invocation } from '../../cni/plugin.js';
import { pathFor } from './add.js';
import { loadCache } from './cache.js';
import { checkDelegate, supports, type Target } from './invoke.js';
import { metaLogger } from './log.js';
import type { MetaConf } from './types.js';

export async function check(inv: Invocation<MetaConf>): Promise<void> {
  const { env, conf } = inv;
  const log = metaLogger(conf, { containerID: env.containerId, netns: env.netns, ifname: env.ifname });
  const cache = loadCache(conf.cniDir, env.containerId, env.ifname);
  if (cache === undefined) {
    throw new CniError(
      Code.UnknownContainer,
      `no delegate cache for container ${env.containerId} in ${conf.cniDir}`,
    );
  }
  const t: Target = {
    containerId: env.containerId,
    netns: env.netns,
    args: env.args.raw !== '' ? env.args.raw : cache.args,
    path: pathFor(conf, env.path),
    runtimeConfig: conf.runtimeConfig,
    deviceInfoDir: conf.deviceInfoDir,
    registry: inv.registry,
  };
  for (const [i, d] of cache.delegates.entries()) {
    if (!supports(d, '0.4.0')) {
      log.debug('CHECK skipped: network config predates CNI 0.4.0', { network: d.name });
      continue;
    }
    const prev = cache.results[i];
    if (prev === null || prev === undefined) {
      throw new CniError(
        Code.UnknownContainer,
        `network ${d.name} (${d.ifname}) never completed ADD for this container`,
      );
    }
    try {
      await checkDelegate(t, d, prev);
    } catch (err) {
      if (!(err instanceof CniError)) throw err;
      log.error('CHECK of a network failed', {
        network: d.name,
        delegateIfname: d.ifname,
        error: errorText(err),
      });
      throw new CniError(
        err.code,
        `CHECK of network ${d.name} (${d.ifname}) failed: ${err.message}`,
        err.details,
        {
          cause: err,
        },
      );
    }
  }
}
