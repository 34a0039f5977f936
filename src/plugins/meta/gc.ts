// GC: containers the runtime no longer lists lose their delegates (DEL from their cache), then
// every known network is GC'd with the attachments of the containers that remain.
import type { Invocation } from '../../cni/plugin.js';
import type { Attachment } from '../../cni/types.js';
import { pathFor } from './add.js';
import { listCaches, removeCache } from './cache.js';
import { delAll } from './del.js';
import type { MetaDeps } from './deps.js';
import { attachmentsOf, baseNetworks, forwardGc, knownNetworks } from './garbage.js';
import { metaLogger } from './log.js';
import type { MetaConf } from './types.js';

export async function gc(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<void> {
  const { conf } = inv;
  const log = metaLogger(conf, {});
  const path = pathFor(conf, inv.env.path);
  const valid = (conf['cni.dev/valid-attachments'] ?? []) as Attachment[];
  const validIds = new Set(valid.map((a) => a.containerID));
  const caches = listCaches(conf.cniDir);
  for (const c of caches.filter((x) => !validIds.has(x.containerId))) {
    const t = {
      containerId: c.containerId,
      netns: c.netns,
      args: c.args,
      path,
      runtimeConfig: conf.runtimeConfig,
      deviceInfoDir: conf.deviceInfoDir,
      registry: inv.registry,
    };
    const errors = await delAll(t, c.delegates, c.results, log);
    if (errors.length === 0) removeCache(conf.cniDir, c.containerId, c.ifname);
    log.info('GC released a stale container', { containerID: c.containerId, failures: errors.length });
  }
  const live = caches.filter((x) => validIds.has(x.containerId));
  const networks = knownNetworks(await baseNetworks(deps, conf, log), live);
  const first = await forwardGc(path, networks, attachmentsOf(live), log, inv.registry);
  if (first !== undefined) throw first;
}
