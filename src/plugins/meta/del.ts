// DEL: every delegate in reverse, from the cache or rebuilt from the pod. When neither exists
// (cache lost and pod gone) Multus returns success having released nothing (multus#1087, #355,
// #1449); we delete what needs no pod (the cluster network) and let the networks' IPAM GC release
// whatever no live container holds.
import { type PodRef, podRefFromArgs } from '../../cni/args.js';
import { CniError, errorText, toCniError } from '../../cni/errors.js';
import type { Logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { CniEnv, Result } from '../../cni/types.js';
import { RELEASE_CONTAINER } from '../../cni/types.js';
import { buildDelegates, type Delegate } from '../../multus/delegates.js';
import { pathFor } from './add.js';
import { listCaches, loadCache, removeCache } from './cache.js';
import type { MetaDeps } from './deps.js';
import { attachmentsOf, baseNetworks, forwardGc, knownNetworks } from './garbage.js';
import { delDelegate, type Target } from './invoke.js';
import { metaLogger } from './log.js';
import { waitForReadiness } from './readiness.js';
import type { MetaConf } from './types.js';

/** DEL delegates in reverse; returns the failures (every delegate is tried). */
export async function delAll(
  t: Target,
  ds: Delegate[],
  results: (Result | null)[],
  log: Logger,
): Promise<CniError[]> {
  const errors: CniError[] = [];
  for (let i = ds.length - 1; i >= 0; i--) {
    const d = ds[i]!;
    try {
      await delDelegate(t, d, results[i] ?? undefined);
    } catch (err) {
      const e = toCniError(err);
      log.warn('delegate DEL failed', { network: d.name, delegateIfname: d.ifname, error: errorText(err) });
      errors.push(
        new CniError(e.code, `network ${d.name} (${d.ifname}): ${e.message}`, e.details, { cause: err }),
      );
    }
  }
  return errors;
}

async function rebuild(deps: MetaDeps, conf: MetaConf, env: CniEnv, podRef: PodRef | undefined, log: Logger) {
  if (podRef === undefined) return undefined;
  const source = deps.source(conf);
  try {
    const pod = await source.getPod(podRef.namespace, podRef.name);
    if (pod === undefined) return undefined;
    return await buildDelegates({ conf, source, pod, ifname: env.ifname });
  } catch (err) {
    log.warn('cannot rebuild delegates from the pod', { error: errorText(err) });
    return undefined;
  }
}

async function fallback(
  deps: MetaDeps,
  conf: MetaConf,
  t: Target,
  ifname: string,
  log: Logger,
): Promise<void> {
  const base = await baseNetworks(deps, conf, log);
  const cluster = base.filter((d) => d.ifname !== '');
  await delAll(t, cluster, [], log);
  // A sibling attachment of the same container (podman's second network) is live too.
  const live = listCaches(conf.cniDir).filter((c) => c.containerId !== t.containerId || c.ifname !== ifname);
  const valid = attachmentsOf(live);
  // This runs concurrently with other ADDs (unlike a runtime's GC): an ADD that wrote its cache after
  // we listed the caches would look like a leak. trunkline-ipam honours RELEASE_CONTAINER and releases
  // only this container's addresses; other IPAMs get the standard GC.
  await forwardGc(t.path, await knownNetworks(base, live), valid, log, t.registry, {
    [RELEASE_CONTAINER]: t.containerId,
  });
  log.warn('no delegate cache and no pod to rebuild from: deleted the cluster network and ran IPAM GC', {
    keptAttachments: valid.length,
  });
}

export async function del(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<void> {
  const { env, conf } = inv;
  const podRef = podRefFromArgs(env.args);
  const log = metaLogger(conf, {
    containerID: env.containerId,
    netns: env.netns,
    ifname: env.ifname,
    pod: podRef !== undefined ? `${podRef.namespace}/${podRef.name}` : '-',
  });
  // A node being torn down may never become ready again; DEL must still release.
  await waitForReadiness(conf.readinessindicatorfile, conf.readinessTimeoutSeconds).catch((err: unknown) =>
    log.warn('deleting without the readiness indicator', { error: errorText(err) }),
  );
  const cache = loadCache(conf.cniDir, env.containerId, env.ifname);
  const t: Target = {
    containerId: env.containerId,
    netns: env.netns,
    args: env.args.raw !== '' ? env.args.raw : (cache?.args ?? ''),
    path: pathFor(conf, env.path),
    runtimeConfig: conf.runtimeConfig,
    deviceInfoDir: conf.deviceInfoDir,
    registry: inv.registry,
  };
  const delegates = cache?.delegates ?? (await rebuild(deps, conf, env, podRef, log));
  if (delegates === undefined) return fallback(deps, conf, t, env.ifname, log);
  const errors = await delAll(t, delegates, cache?.results ?? [], log);
  // Multus's retryDeleteOnError: keep the cache after a failed DEL so the runtime's retry finds the
  // same delegates (unless the failure says a file is gone, which a retry cannot cure). Without it
  // the cache goes either way, and a retried DEL rebuilds from the pod or falls back.
  const keep =
    conf.retryDeleteOnError &&
    errors.length > 0 &&
    !errors.some((e) => e.message.includes('no such file or directory'));
  if (!keep) removeCache(conf.cniDir, env.containerId, env.ifname);
  if (errors.length > 0) {
    // Every delegate's msg, as the runtime sees only msg; the first failure travels as the cause.
    throw new CniError(errors[0]!.code, errors.map((e) => e.message).join(' / '), errors[0]!.details, {
      cause: errors[0],
    });
  }
}
