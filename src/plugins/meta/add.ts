// ADD: resolve every network of the pod, record them, attach them in order, roll back on failure,
// publish network-status, and answer with the default network's result.

import { PodGoneError } from '../../cluster/pod.js';
import { CniError, Code, causedBy, errorText, invalidConfig, toCniError } from '../../cni/errors.js';
import type { Logger } from '../../cni/log.js';
import type { Invocation } from '../../cni/plugin.js';
import type { Result } from '../../cni/types.js';
import { NETWORK_STATUS_ANNOTATION } from '../../multus/annotations.js';
import { buildDelegates, type Delegate } from '../../multus/delegates.js';
import { copyDpDeviceInfo, dpDeviceInfoPath, loadDeviceInfo } from '../../multus/devices.js';
import { NadNotFoundError } from '../../multus/nad.js';
import { applyToResult, defaultRoutePlan, planIsEmpty } from '../../multus/routes.js';
import { deviceInfoFileOf } from '../../multus/runtime.js';
import { buildNetworkStatus, networkStatusAnnotation } from '../../multus/status.js';
import { removeCache, saveCache } from './cache.js';
import type { MetaDeps } from './deps.js';
import { addedInterface, noNetworkFound } from './events.js';
import { argsWithNamespace, podIdentity } from './identity.js';
import { addDelegate, delDelegate, type Target } from './invoke.js';
import { metaLogger } from './log.js';
import { applyDefaultRoutePlan, assertIfnameFree } from './netns.js';
import { waitForReadiness } from './readiness.js';
import type { DelegateCache, MetaConf } from './types.js';

export const pathFor = (conf: MetaConf, path: string[]) => [...new Set([conf.binDir, ...path])];

/** DEL delegates last..0 in reverse; errors are logged, never thrown (DEL must stay idempotent). */
async function rollback(t: Target, ds: Delegate[], results: (Result | null)[], last: number, log: Logger) {
  for (let i = last; i >= 0; i--) {
    const d = ds[i]!;
    await delDelegate(t, d, results[i] ?? undefined).catch((e: unknown) =>
      log.warn('rollback DEL failed', { network: d.name, ifname: d.ifname, error: errorText(e) }),
    );
  }
}

/** A delegate's failure is an ordinary outcome: one line in the log, its code kept, no stack trace
 * (the cause marks it as reported by someone else). Our own faults keep their stack. The delegate's
 * msg stays in ours, as Multus words it: a runtime shows its user only msg. */
function wrap(err: unknown, pod: string, d: Delegate, log: Logger): CniError {
  if (!(err instanceof CniError)) {
    const e = causedBy(Code.Internal, `[${pod}] error adding network ${d.name} as ${d.ifname}`, err);
    if (err instanceof Error && err.stack !== undefined) e.stack = err.stack;
    return e;
  }
  log.error('error adding network', { network: d.name, delegateIfname: d.ifname, error: errorText(err) });
  return new CniError(
    err.code,
    `[${pod}] error adding network ${d.name} as ${d.ifname}: ${err.message}`,
    err.details,
    { cause: err },
  );
}

/** Multus copies the device plugin's info for the allocated device to the delegate's file first. */
function prepareDeviceInfo(d: Delegate, conf: MetaConf, file: string | undefined, log: Logger): void {
  if (file === undefined || d.resourceName === undefined || d.deviceID === undefined) return;
  try {
    copyDpDeviceInfo(dpDeviceInfoPath(conf.deviceInfoDir, d.resourceName, d.deviceID), file);
  } catch (err) {
    log.debug('cannot copy the device plugin device-info', { network: d.name, error: errorText(err) });
  }
}

const createdSomething = (r: Result) => (r.interfaces?.length ?? 0) > 0 || (r.ips?.length ?? 0) > 0;

export async function add(deps: MetaDeps, inv: Invocation<MetaConf>): Promise<Result> {
  const { env, conf } = inv;
  const id = podIdentity(env.args, conf.source.podNamespace);
  let podRef = id.ref;
  let podId = podRef !== undefined ? `${podRef.namespace}/${podRef.name}` : '-';
  const log = metaLogger(conf, {
    containerID: env.containerId,
    netns: env.netns,
    ifname: env.ifname,
    pod: podId,
  });
  const kernel = deps.kernel();
  // The pod namespace first: a missing one is the runtime's error (3), before any wait or side effect.
  await kernel.checkNetns(env.netns).catch((e: unknown) => {
    throw causedBy(Code.UnknownContainer, `failed to open netns "${env.netns}"`, e);
  });
  await waitForReadiness(conf.readinessindicatorfile, conf.readinessTimeoutSeconds);
  const source = deps.source(conf);
  // A pod re-created under the same name is refused here, before any delegate runs (Multus GetPod).
  const pod =
    podRef !== undefined
      ? await source.getPod(
          podRef.namespace,
          podRef.name,
          podRef.uid !== undefined ? { uid: podRef.uid } : {},
        )
      : undefined;
  if (podRef !== undefined && pod === undefined && id.assumed) {
    log.info('pod cannot be identified: no Pod of that name in source.podNamespace; default networks only', {
      lookedUp: podId,
      source: conf.source.type,
    });
    podRef = undefined;
    podId = '-';
  } else if (podRef !== undefined && pod === undefined && conf.source.type === 'kubernetes') {
    // Deleted before its sandbox was set up: Multus attaches nothing and answers an empty result.
    log.warn('pod not found (already deleted?): nothing attached, empty result');
    return emptyResult(conf.cniVersion, env.ifname, env.netns);
  } else if (podRef !== undefined && pod === undefined) {
    throw invalidConfig(
      `pod ${podId} not found (${conf.source.type} source): cannot tell which networks it asks for`,
    );
  } else if (podRef === undefined) {
    log.info('pod cannot be identified: CNI_ARGS carry no K8S_POD_NAME; default networks only', {
      args: env.args.raw,
    });
  }
  const args = podRef !== undefined ? argsWithNamespace(env.args.raw, id) : env.args.raw;
  const delegates = await buildDelegates({ conf, source, pod, ifname: env.ifname }).catch(
    async (err: unknown) => {
      if (err instanceof NadNotFoundError) await noNetworkFound(source, pod, err);
      throw err;
    },
  );
  const events: Promise<void>[] = [];
  const cache: DelegateCache = {
    version: 1,
    containerId: env.containerId,
    netns: env.netns,
    ifname: env.ifname,
    args,
    ...(podRef !== undefined ? { pod: podRef } : {}),
    delegates,
    results: delegates.map(() => null),
  };
  await saveCache(conf.cniDir, cache);
  const t: Target = {
    containerId: env.containerId,
    netns: env.netns,
    args,
    path: pathFor(conf, env.path),
    runtimeConfig: conf.runtimeConfig,
    deviceInfoDir: conf.deviceInfoDir,
    registry: inv.registry,
  };
  const devinfo = { dir: conf.deviceInfoDir, containerId: env.containerId };
  const deviceInfo: unknown[] = [];
  for (const [i, d] of delegates.entries()) {
    // A name taken by something we did not create must not be DELeted by the rollback (Multus does).
    let invoked = false;
    try {
      await assertIfnameFree(kernel, env.netns, d.ifname, d.name);
      invoked = true;
      const infoFile = deviceInfoFileOf(d, conf.runtimeConfig, devinfo);
      prepareDeviceInfo(d, conf, infoFile, log);
      let result = await addDelegate(t, d);
      cache.results[i] = result;
      deviceInfo[i] = infoFile !== undefined ? loadDeviceInfo(infoFile) : undefined;
      const plan = defaultRoutePlan(d);
      // Like Multus, default-route handling skips delegates that created nothing.
      if (!planIsEmpty(plan) && createdSomething(result)) {
        await applyDefaultRoutePlan(kernel, env.netns, d.ifname, plan);
        result = applyToResult(result, plan);
        cache.results[i] = result;
      }
      await saveCache(conf.cniDir, cache);
      const ev = addedInterface(source, pod, d.ifname, d.name, result);
      if (ev !== undefined) events.push(ev);
      log.debug('delegate added', { network: d.name, delegateIfname: d.ifname });
    } catch (err) {
      await rollback(t, delegates, cache.results, invoked ? i : i - 1, log);
      removeCache(conf.cniDir, env.containerId, env.ifname);
      throw wrap(err, podId, d, log);
    }
  }
  if (podRef !== undefined) {
    const entries = buildNetworkStatus(
      delegates.map((delegate, i) => ({ delegate, result: cache.results[i]!, deviceInfo: deviceInfo[i] })),
    );
    try {
      await source.setPodAnnotations(
        podRef.namespace,
        podRef.name,
        { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(entries) },
        podRef.uid !== undefined ? { uid: podRef.uid } : {},
      );
    } catch (err) {
      if (err instanceof PodGoneError) {
        // Deleted while we attached: the runtime tears the sandbox down with a DEL (Multus tolerates it).
        log.warn('pod deleted before network-status could be written; network kept', {
          error: errorText(err),
        });
        await Promise.all(events);
        return { ...cache.results[0]!, cniVersion: conf.cniVersion };
      }
      await rollback(t, delegates, cache.results, delegates.length - 1, log);
      removeCache(conf.cniDir, env.containerId, env.ifname);
      const e = toCniError(err);
      throw new CniError(
        e.code,
        `[${podId}] error setting ${NETWORK_STATUS_ANNOTATION}: ${e.message}`,
        e.details,
        { cause: err },
      );
    }
  }
  await Promise.all(events);
  return { ...cache.results[0]!, cniVersion: conf.cniVersion };
}

/** Multus's emptyCNIResult: the interface name and sandbox, address 0.0.0.0/0. */
const emptyResult = (cniVersion: string, ifname: string, netns: string): Result => ({
  cniVersion,
  interfaces: [{ name: ifname, sandbox: netns }],
  ips: [{ address: '0.0.0.0/0', gateway: '0.0.0.0' }],
});
