// NetworkAttachmentDefinition: spec.config must be a CNI config or conflist Multus can use; every
// plugin of ours in it is checked by that plugin's own loadConf (the static part: the master link
// lives on the nodes, not here). Other plugin types pass untouched, so third-party plugins keep working.

import type { NetworkAttachmentDefinition } from '../cluster/types.js';
import { parseCniArgs } from '../cni/args.js';
import { CniError, errorText } from '../cni/errors.js';
import type { CniEnv, NetConf } from '../cni/types.js';
import type { Kernel } from '../kernel/types.js';
import { configFromSpec } from '../multus/nad.js';
import { loadConf as coordinatorConf } from '../plugins/coordinator/conf.js';
import { loadConf as ipamConf } from '../plugins/ipam/conf.js';
import { loadConf as macvlanConf } from '../plugins/macvlan/conf.js';
import type { KindHandler } from './review.js';

// DEL stops each loadConf before it touches the host; every static check comes before that point.
const STATIC_ENV: CniEnv = {
  command: 'DEL',
  containerId: 'admission',
  netns: '',
  ifname: 'net1',
  args: parseCniArgs(''),
  path: [],
};
const NO_KERNEL = new Proxy({} as Kernel, {
  get: () => () => Promise.reject(new Error('no kernel in the admission webhook')),
});

async function checkPlugin(p: NetConf): Promise<void> {
  if (p.type === 'trunkline-macvlan') await macvlanConf(p, STATIC_ENV, NO_KERNEL);
  if (p.type === 'trunkline-coordinator') coordinatorConf(p, STATIC_ENV);
  if (p.type === 'trunkline-ipam' || p.ipam?.type === 'trunkline-ipam') ipamConf(p, STATIC_ENV);
}

export const nad: KindHandler = {
  async validate(req) {
    if (req.operation === 'DELETE') return [];
    const obj = req.object as unknown as NetworkAttachmentDefinition;
    const text = obj.spec?.config;
    if (text !== undefined && typeof text !== 'string')
      return [`spec.config: found ${typeof text}, expected a string holding a CNI config as JSON`];
    try {
      const parsed = configFromSpec({
        ...obj,
        metadata: { ...obj.metadata, namespace: obj.metadata.namespace ?? req.namespace ?? '' },
      });
      if (parsed === undefined) return [];
      const plugins = (parsed.isList ? parsed.config.plugins : [parsed.config]) as NetConf[];
      const out: string[] = [];
      for (const [i, p] of plugins.entries()) {
        const where = parsed.isList
          ? `spec.config: plugins[${i}] (type ${p.type})`
          : `spec.config (type ${p.type})`;
        try {
          await checkPlugin(
            parsed.isList
              ? ({ ...p, cniVersion: parsed.config.cniVersion, name: parsed.config.name } as NetConf)
              : p,
          );
        } catch (e) {
          if (!(e instanceof CniError)) throw e;
          out.push(`${where}: ${errorText(e)}`);
        }
      }
      return out;
    } catch (e) {
      if (e instanceof CniError)
        return [`spec.config: ${e.message.replace(/^NetworkAttachmentDefinition \S+: /, '')}`];
      throw e;
    }
  },
};
