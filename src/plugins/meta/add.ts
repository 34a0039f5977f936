// ADD: resolve every network of the pod, record them, attach them in order, roll back on failure,
// publish network-status, and answer with the default network's result.
import { podRefFromArgs } from '../../cni/args.js';
import { CniError, Code, invalidConfig } from '../../cni/errors.js';
import { logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import { NETWORK_STATUS_ANNOTATION } from '../../multus/annotations.js';
import { buildDelegates, type Delegate } from '../../multus/delegates.js';
import { applyToResult, defaultRoutePlan, planIsEmpty } from '../../multus/routes.js';
import { buildNetworkStatus, networkStatusAnnotation } from '../../multus/status.js';
import { removeCache, saveCache } from './cache.js';
import type { MetaDeps } from './deps.js';
import { addDelegate, delDelegate, type Target } from './invoke.js';
import { applyDefaultRoutePlan, assertIfnameFree } from './netns.js';
import { waitForReadiness } from './readiness.js';
import type { DelegateCache, MetaConf } from './types.js';

export const pathFor = (conf: MetaConf, path: string[]) => [...new Set([conf.binDir, ...path])];

/** DEL delegates last..0 in reverse; errors are logged, never thrown (DEL must stay idempotent). */
async function rollback(
  t: Target,
  ds: Delegate[],
  results: (Result | null)[],
  last: number,
  log: ReturnType<typeof logger>,
) {
  for (let i = last; i >= 0; i--) {
    const d = ds[i]!;
    await delDelegate(t, d, results[i] ?? undefined).catch((e: unknown) =>
      log.warn('rollback DEL failed', { network: d.name, ifname: d.ifname, error: String(e) }),
    );
  }
}

function wrap(err: unknown, pod: string, d: Delegate): CniError {
  const e = err instanceof CniError ? err : new CniError(999, String((err as Error)?.message ?? err));
  return new CniError(
    e.code,
    `[${pod}] error adding network ${d.name} as ${d.ifname}: ${e.message}`,
    e.details,
  );
}

export async function add(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<Result> {
  const { env, conf } = inv;
  const podRef = podRefFromArgs(env.args);
  const podId = podRef !== undefined ? `${podRef.namespace}/${podRef.name}` : '-';
  const log = logger({ containerID: env.containerId, netns: env.netns, ifname: env.ifname, pod: podId });
  const kernel = deps.kernel();
  // The pod namespace first: a missing one is the runtime's error (3), before any wait or side effect.
  await kernel.checkNetns(env.netns).catch((e: unknown) => {
    throw new CniError(
      Code.UnknownContainer,
      `failed to open netns "${env.netns}": ${(e as Error).message}`,
      undefined,
      {
        cause: e,
      },
    );
  });
  await waitForReadiness(conf.readinessindicatorfile, conf.readinessTimeoutSeconds);
  const source = deps.source(conf);
  const pod = podRef !== undefined ? await source.getPod(podRef.namespace, podRef.name) : undefined;
  if (podRef !== undefined && pod === undefined) {
    throw invalidConfig(
      `pod ${podId} not found (${conf.source.type} source): cannot tell which networks it asks for`,
    );
  }
  const delegates = await buildDelegates({ conf, source, pod, ifname: env.ifname });
  const cache: DelegateCache = {
    version: 1,
    containerId: env.containerId,
    netns: env.netns,
    ifname: env.ifname,
    args: env.args.raw,
    ...(podRef !== undefined ? { pod: podRef } : {}),
    delegates,
    results: delegates.map(() => null),
  };
  saveCache(conf.cniDir, cache);
  const t: Target = {
    containerId: env.containerId,
    netns: env.netns,
    args: env.args.raw,
    path: pathFor(conf, env.path),
    runtimeConfig: conf.runtimeConfig,
  };
  for (const [i, d] of delegates.entries()) {
    // A name taken by something we did not create must not be DELeted by the rollback (Multus does).
    let invoked = false;
    try {
      await assertIfnameFree(kernel, env.netns, d.ifname, d.name);
      invoked = true;
      let result = await addDelegate(t, d);
      cache.results[i] = result;
      const plan = defaultRoutePlan(d);
      if (!planIsEmpty(plan)) {
        await applyDefaultRoutePlan(kernel, env.netns, d.ifname, plan);
        result = applyToResult(result, plan);
        cache.results[i] = result;
      }
      saveCache(conf.cniDir, cache);
      log.debug('delegate added', { network: d.name, delegateIfname: d.ifname });
    } catch (err) {
      await rollback(t, delegates, cache.results, invoked ? i : i - 1, log);
      removeCache(conf.cniDir, env.containerId);
      throw wrap(err, podId, d);
    }
  }
  if (podRef !== undefined) {
    const entries = buildNetworkStatus(
      delegates.map((delegate, i) => ({ delegate, result: cache.results[i]! })),
    );
    try {
      await source.setPodAnnotations(
        podRef.namespace,
        podRef.name,
        { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(entries) },
        podRef.uid !== undefined ? { uid: podRef.uid } : {},
      );
    } catch (err) {
      await rollback(t, delegates, cache.results, delegates.length - 1, log);
      removeCache(conf.cniDir, env.containerId);
      const e = err instanceof CniError ? err : new CniError(999, String(err));
      throw new CniError(
        e.code,
        `[${podId}] error setting ${NETWORK_STATUS_ANNOTATION}: ${e.message}`,
        e.details,
      );
    }
  }
  return { ...cache.results[0]!, cniVersion: conf.cniVersion };
}
