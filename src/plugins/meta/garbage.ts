// What STATUS, GC and the DEL fallback work on when no single pod is in view: the networks this
// node knows about, and the attachments that are still alive (one delegate cache per container).
import { type CniError, errorText, toCniError } from '../../cni/errors.js';
import type { Logger } from '../../cni/log.js';
import type { Registry } from '../../cni/plugin.js';
import type { Attachment } from '../../cni/types.js';
import { resolveNetworkRef } from '../../multus/base-networks.js';
import { buildDelegates, type Delegate } from '../../multus/delegates.js';
import type { MetaDeps } from './deps.js';
import { gcDelegate, supports } from './invoke.js';
import type { DelegateCache, MetaConf } from './types.js';

function asDelegate(
  conf: MetaConf,
  d: Omit<Delegate, 'master' | 'ifname' | 'request' | 'filterV4Gateway' | 'filterV6Gateway'>,
): Delegate {
  const config = d.config.cniVersion === undefined ? { ...d.config, cniVersion: conf.cniVersion } : d.config;
  return {
    ...d,
    config,
    master: false,
    ifname: '',
    request: {},
    filterV4Gateway: false,
    filterV6Gateway: false,
  };
}

/** The cluster network (or inline delegates) and defaultNetworks: what every pod may have. */
export async function baseNetworks(deps: MetaDeps, conf: MetaConf, log: Logger): Promise<Delegate[]> {
  const source = deps.source(conf);
  const out: Delegate[] = [];
  try {
    out.push(...(await buildDelegates({ conf, source, pod: undefined, ifname: 'eth0' })));
  } catch (err) {
    log.warn('cannot resolve the cluster network', { error: errorText(err) });
  }
  for (const ref of conf.defaultNetworks) {
    try {
      out.push(asDelegate(conf, await resolveNetworkRef(conf, source, ref)));
    } catch (err) {
      log.warn('cannot resolve a default network', { network: ref, error: errorText(err) });
    }
  }
  return out;
}

/** Base networks plus every network some live container uses, each config once. */
export function knownNetworks(base: Delegate[], live: DelegateCache[]): Delegate[] {
  const all = [...base, ...live.flatMap((c) => c.delegates)];
  const seen = new Set<string>();
  return all.filter((d) => {
    const key = JSON.stringify(d.config);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function attachmentsOf(caches: DelegateCache[]): Attachment[] {
  return caches.flatMap((c) => c.delegates.map((d) => ({ containerID: c.containerId, ifname: d.ifname })));
}

/** GC every network that speaks CNI 1.1; returns the first failure after trying all of them. */
export async function forwardGc(
  path: string[],
  networks: Delegate[],
  valid: Attachment[],
  log: Logger,
  registry: Registry,
  extra: Record<string, unknown> = {},
): Promise<CniError | undefined> {
  let first: CniError | undefined;
  for (const d of networks) {
    if (!supports(d, '1.1.0')) {
      log.debug('GC skipped: network config predates CNI 1.1', { network: d.name });
      continue;
    }
    try {
      await gcDelegate(path, d, valid, extra, registry);
    } catch (err) {
      log.warn('GC of a network failed', { network: d.name, error: errorText(err) });
      first ??= toCniError(err);
    }
  }
  return first;
}
